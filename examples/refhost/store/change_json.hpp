// examples/refhost/store/change_json.hpp: a change record (change_record.hpp)
// as one JSON value, for an operator reading the transactions a revert
// undid (ccdr_undone_tx.changes). An array of ops in record order, e.g.
//   [{"op":"createNode","id":3,"labels":["A"],"properties":{"name":"x"}},
//    {"op":"setNodeProperty","id":3,"key":"age","value":42},
//    {"op":"createRelationship","id":0,"type":"KNOWS","start":3,"end":1,"properties":{}},
//    {"op":"deleteNode","id":7}]
// Values: null, booleans, integers, strings, lists and maps as JSON;
// floats as numbers (non-finite ones as the strings "NaN", "Infinity",
// "-Infinity"); bytes, temporal and spatial values as objects naming their
// type ({"$bytes":"0a1b"}, {"$date":{"days":19000}}, ...).
#pragma once

#include <ccdr/status.hpp>

#include <cstdint>
#include <span>
#include <string>

namespace refhost {

// CCDR_CORRUPT when the record or a value in it does not decode.
ccdr::Result<std::string> change_record_json(std::span<const uint8_t> record);

}  // namespace refhost

// examples/refhost/store/value_codec.hpp: the stored form of property values
// and property maps. Deterministic (maps are written in key order) so equal
// contents give equal bytes, which the content hash and the change records
// rely on. Every property type round-trips exactly, temporal and spatial
// ones included.
//
// Value: tag byte, then
//   0 null | 1 false | 2 true | 3 integer zigzag | 4 float f64 | 5 string
//   | 6 bytes | 7 list: count, values | 8 map: count, (key string, value)*
//   | 9 date: days | 10 local time: ns | 11 time: ns, offset s
//   | 12 local datetime: s, ns | 13 datetime: s, ns, offset s
//   | 14 datetime with zone id: s, ns, zone string
//   | 15 duration: months, days, s, ns | 16 point 2D: srid, x, y
//   | 17 point 3D: srid, x, y, z
// (integers zigzag varints, strings and bytes length-prefixed).
// A property map: count, then (key, value) in key order.
#pragma once

#include "common/value.hpp"
#include "store/bytes.hpp"

#include <optional>
#include <span>
#include <string>
#include <vector>

namespace refhost::codec {

// Why `v` cannot be stored as a property (Neo4j's rules: no maps, no graph
// entities, lists homogeneous and without nulls or nested lists), or
// nullopt when it can. A null top-level value means "remove" and is fine.
std::optional<std::string> property_value_problem(const Value& v);

// Encodes a value whose property_value_problem() is nullopt (maps are
// accepted too, for options and other host data).
void encode_value(ByteWriter& w, const Value& v);
bool decode_value(ByteReader& r, Value& out);
// Walks one encoded value without building it; false when malformed.
bool skip_value(ByteReader& r);

void encode_map(ByteWriter& w, const Map& m);
std::vector<uint8_t> encode_map(const Map& m);
bool decode_map(ByteReader& r, Map& out);
bool decode_map(std::span<const uint8_t> bytes, Map& out);
// True when `bytes` is exactly one well-formed map, keys strictly ascending.
bool valid_map(std::span<const uint8_t> bytes);

}  // namespace refhost::codec

// examples/refhost/common/value_conv.hpp: refhost::Value <-> ccdr::Value
// (procedure arguments and rows, database options). ccdr::Value has the
// ABI's types only (null, boolean, integer, float, string, bytes, list,
// map): check abi_representable() before to_ccdr, which turns anything else
// into null.
#pragma once

#include "common/value.hpp"

#include <ccdr/value.hpp>

namespace refhost {

// The name of the first value in `v` the ABI cannot carry (a temporal,
// spatial or graph value), or nullptr when every part of `v` fits.
const char* abi_unrepresentable(const Value& v);
ccdr::Value to_ccdr(const Value& v);
Value from_ccdr(const ccdr::Value& v);
Map map_from_ccdr(const ccdr::ValueMap& m);

}  // namespace refhost

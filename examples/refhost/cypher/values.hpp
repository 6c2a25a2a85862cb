// examples/refhost/cypher/values.hpp: Cypher's rules for values: equality
// with nulls (three-valued), comparison, the total order ORDER BY / DISTINCT /
// grouping use, arithmetic, string conversion, and what may be stored as a
// property.
#pragma once

#include "common/java_double.hpp"
#include "common/value.hpp"
#include "cypher/ast.hpp"

#include <optional>
#include <string>

namespace refhost::cypher {

enum class Tri { False, True, Null };

inline Value tri_value(Tri t) { return t == Tri::Null ? Value() : Value(t == Tri::True); }

// `a = b`: null if either side is null (or a list/map holds a null that decides).
Tri cypher_equals(const Value& a, const Value& b);

// `a < b` and friends: the sign of the comparison, or nullopt when the values
// are not comparable (different types, null, NaN) and the result is null.
std::optional<int> cypher_compare(const Value& a, const Value& b);

// The total order of ORDER BY ascending (nulls last) and the equivalence of
// DISTINCT and grouping keys (1 and 1.0 are equivalent, null equals null).
int order_compare(const Value& a, const Value& b);

struct ValueOrder {
    bool operator()(const Value& a, const Value& b) const { return order_compare(a, b) < 0; }
};
struct RowOrder {
    bool operator()(const List& a, const List& b) const;
};

// Neo4j's type names: "INTEGER", "STRING", "LIST", "NODE", ...
std::string type_name(const Value& v);
// How a value is quoted in an error message: 1, 'text', [1, 2], ...
std::string describe_value(const Value& v);

// The map of a MAP, or a node's or relationship's properties; null for any
// other value (null included).
const Map* properties_of(const Value& v);

// toString(): strings, numbers, booleans, temporal values; nullopt for other types.
std::optional<std::string> to_cypher_string(const Value& v);

// Arithmetic with Neo4j's errors: TypeError for wrong types, ArithmeticError
// for integer overflow and integer division by zero. Null in, null out.
Value arithmetic(Op op, const Value& a, const Value& b);
Value negate(const Value& v);

// Whether `v` may be stored as a property (scalars and homogeneous lists of
// them; null, which removes one); if not, the reason.
std::optional<std::string> property_value_problem(const Value& v);

bool is_number(const Value& v);
double as_double(const Value& v);

}  // namespace refhost::cypher

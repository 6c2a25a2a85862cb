// examples/refhost/cypher/functions.hpp: the built-in functions: their arity,
// whether they aggregate, and (for scalar ones) their implementation.
#pragma once

#include "common/value.hpp"

#include <string_view>
#include <vector>

namespace refhost::cypher {

struct EvalContext;

using ScalarFunction = Value (*)(std::vector<Value>& args, EvalContext& ctx);

struct FunctionDef {
    std::string_view name;  // as Neo4j documents it (lookup is case-insensitive)
    size_t min_args = 0;
    size_t max_args = 0;
    bool aggregate = false;
    ScalarFunction fn = nullptr;  // null for aggregates
};

const FunctionDef* find_function(std::string_view name);

// Every function, for documentation and tests.
const std::vector<FunctionDef>& all_functions();

}  // namespace refhost::cypher

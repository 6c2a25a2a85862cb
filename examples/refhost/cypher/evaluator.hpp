// examples/refhost/cypher/evaluator.hpp: evaluating an expression against one
// row. Variables are looked up by name through a chain of environments (the
// projected row, then the row before the projection); aggregate calls read
// their precomputed group results.
#pragma once

#include "common/value.hpp"
#include "cypher/ast.hpp"
#include "store/graph.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace refhost::cypher {

struct EvalContext {
    const Map& params;
    GraphReader* graph = nullptr;  // null where the query has no graph (system)
    int64_t timestamp_ms = 0;      // timestamp(): one value for the whole query
};

struct Env {
    const std::vector<std::string>* names = nullptr;
    const List* row = nullptr;
    const Env* outer = nullptr;
    const List* aggregates = nullptr;  // results by Expr::aggregate_slot

    const Value* lookup(const std::string& name) const;
};

Value evaluate(const Expr& e, const Env& env, EvalContext& ctx);

// WHERE and CASE WHEN: true keeps the row; false and null drop it; anything
// else is a TypeError.
bool evaluate_predicate(const Expr& e, const Env& env, EvalContext& ctx);

// The property `key` of a node, relationship or map (null if absent).
Value property_of(const Value& container, const std::string& key);

}  // namespace refhost::cypher

// examples/refhost/cypher/aggregation.hpp: the state of one aggregate call
// (count, count(*), sum, avg, min, max, collect, optionally DISTINCT) over
// the rows of one group.
#pragma once

#include "common/value.hpp"
#include "cypher/ast.hpp"
#include "cypher/values.hpp"

#include <set>

namespace refhost::cypher {

class Aggregate {
public:
    explicit Aggregate(const Expr& call);
    // `v` is the argument's value on one row (ignored by count(*)).
    void add(const Value& v);
    Value result() const;

private:
    enum class Kind { CountStar, Count, Sum, Avg, Min, Max, Collect };
    Kind kind_;
    bool distinct_;
    std::set<Value, ValueOrder> seen_;
    int64_t count_ = 0;
    int64_t int_sum_ = 0;
    double float_sum_ = 0;
    bool any_float_ = false;
    Value best_;
    List items_;
};

}  // namespace refhost::cypher

// examples/refhost/cypher/aggregation.cpp: aggregate semantics as Neo4j's:
// nulls are skipped (count(*) counts rows), sum of nothing is 0, avg/min/max
// of nothing are null, collect of nothing is [].
#include "cypher/aggregation.hpp"

#include "cypher/query_error.hpp"
#include "cypher/text.hpp"

#include <string>

namespace refhost::cypher {

Aggregate::Aggregate(const Expr& call) : kind_(Kind::CountStar), distinct_(call.distinct) {
    if (call.kind == ExprKind::CountStar) {
        return;
    }
    std::string n = ascii_lower(call.name);
    kind_ = n == "count" ? Kind::Count
          : n == "sum" ? Kind::Sum
          : n == "avg" ? Kind::Avg
          : n == "min" ? Kind::Min
          : n == "max" ? Kind::Max
                       : Kind::Collect;
}

void Aggregate::add(const Value& v) {
    if (kind_ == Kind::CountStar) {
        ++count_;
        return;
    }
    if (v.is_null()) {
        return;
    }
    if (distinct_ && !seen_.insert(v).second) {
        return;
    }
    switch (kind_) {
        case Kind::CountStar:
        case Kind::Count: ++count_; break;
        case Kind::Sum:
        case Kind::Avg:
            if (!is_number(v)) {
                throw_error(status::kTypeError, std::string(kind_ == Kind::Sum ? "sum()" : "avg()") +
                                              " can only handle numerical values, durations, and null. Got " +
                                              type_name(v) + " " + describe_value(v));
            }
            ++count_;
            float_sum_ += as_double(v);
            if (v.is<double>()) {
                any_float_ = true;
            } else if (!any_float_ && __builtin_add_overflow(int_sum_, v.as<int64_t>(), &int_sum_)) {
                throw_error(status::kArithmeticError, "long overflow");
            }
            break;
        case Kind::Min:
            if (best_.is_null() || order_compare(v, best_) < 0) {
                best_ = v;
            }
            break;
        case Kind::Max:
            if (best_.is_null() || order_compare(v, best_) > 0) {
                best_ = v;
            }
            break;
        case Kind::Collect: items_.push_back(v); break;
    }
}

Value Aggregate::result() const {
    switch (kind_) {
        case Kind::CountStar:
        case Kind::Count: return count_;
        case Kind::Sum: return any_float_ ? Value(float_sum_) : Value(int_sum_);
        case Kind::Avg: return count_ == 0 ? Value() : Value(float_sum_ / static_cast<double>(count_));
        case Kind::Min:
        case Kind::Max: return best_;
        case Kind::Collect: return items_;
    }
    return Value();
}

}  // namespace refhost::cypher

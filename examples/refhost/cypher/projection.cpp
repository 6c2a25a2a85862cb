// examples/refhost/cypher/projection.cpp: WITH and RETURN: items (grouped by
// the non-aggregate items when any item aggregates), DISTINCT, ORDER BY
// (stable; nulls last ascending, first descending), SKIP, LIMIT, then WITH's
// WHERE.
#include "cypher/executor.hpp"

#include "cypher/aggregation.hpp"
#include "cypher/query_error.hpp"
#include "cypher/values.hpp"

#include <algorithm>
#include <map>
#include <numeric>
#include <set>

namespace refhost::cypher {

namespace {

struct Projected {
    List values;
    List input;  // the row before the projection, when ORDER BY may read it
};

int64_t row_count(const Expr* e, const char* clause, EvalContext& ctx) {
    Env none;
    Value v = evaluate(*e, none, ctx);
    if (!v.is<int64_t>() || v.as<int64_t>() < 0) {
        throw_error(status::kArgumentError, std::string("Invalid input. '") + describe_value(v) +
                                          "' is not a valid value for " + clause +
                                          ". Must be a non-negative integer.");
    }
    return v.as<int64_t>();
}

}  // namespace

void Executor::project(const Projection& p) {
    std::vector<std::string> out_names;
    for (const auto& item : p.items) {
        out_names.push_back(item.name);
    }
    std::vector<Projected> outs;
    if (!p.aggregating) {
        outs.reserve(table_.rows.size());
        for (auto& row : table_.rows) {
            Projected o;
            Env env = env_of(row);
            for (const auto& item : p.items) {
                o.values.push_back(evaluate(*item.expr, env, ctx_));
            }
            if (p.order_sees_input && !p.order_by.empty()) {
                o.input = row;
            }
            outs.push_back(std::move(o));
        }
    } else {
        struct Group {
            List key;
            const List* first = nullptr;
            std::vector<Aggregate> aggregates;
        };
        std::vector<Group> groups;
        std::map<List, size_t, RowOrder> index;
        auto fresh = [&]() {
            Group g;
            for (const Expr* a : p.aggregates) {
                g.aggregates.emplace_back(*a);
            }
            return g;
        };
        for (const auto& row : table_.rows) {
            Env env = env_of(row);
            List key;
            for (const auto& item : p.items) {
                if (!item.has_aggregate) {
                    key.push_back(evaluate(*item.expr, env, ctx_));
                }
            }
            auto it = index.find(key);
            if (it == index.end()) {
                Group g = fresh();
                g.key = key;
                g.first = &row;
                groups.push_back(std::move(g));
                it = index.emplace(std::move(key), groups.size() - 1).first;
            }
            Group& g = groups[it->second];
            for (size_t i = 0; i < p.aggregates.size(); ++i) {
                const Expr* a = p.aggregates[i];
                g.aggregates[i].add(a->kind == ExprKind::CountStar ? Value() : evaluate(*a->children[0], env, ctx_));
            }
        }
        bool has_keys = std::any_of(p.items.begin(), p.items.end(), [](const auto& i) { return !i.has_aggregate; });
        List nulls(table_.names.size());
        if (groups.empty() && !has_keys) {
            // No rows and no grouping key: one row (count 0, collect [] ...).
            Group g = fresh();
            g.first = &nulls;
            groups.push_back(std::move(g));
        }
        for (const auto& g : groups) {
            List results;
            for (const auto& a : g.aggregates) {
                results.push_back(a.result());
            }
            Env env{&table_.names, g.first, nullptr, &results};
            Projected o;
            size_t k = 0;
            for (const auto& item : p.items) {
                o.values.push_back(item.has_aggregate ? evaluate(*item.expr, env, ctx_) : g.key[k++]);
            }
            outs.push_back(std::move(o));
        }
    }
    if (p.distinct) {
        std::set<List, RowOrder> seen;
        std::vector<Projected> unique;
        for (auto& o : outs) {
            if (seen.insert(o.values).second) {
                unique.push_back(std::move(o));
            }
        }
        outs = std::move(unique);
    }
    if (!p.order_by.empty()) {
        std::vector<List> keys;
        keys.reserve(outs.size());
        for (const auto& o : outs) {
            Env input{&table_.names, &o.input, nullptr, nullptr};
            Env env{&out_names, &o.values, p.order_sees_input ? &input : nullptr, nullptr};
            List k;
            for (const auto& s : p.order_by) {
                k.push_back(evaluate(*s.expr, env, ctx_));
            }
            keys.push_back(std::move(k));
        }
        std::vector<size_t> order(outs.size());
        std::iota(order.begin(), order.end(), 0);
        std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
            for (size_t i = 0; i < p.order_by.size(); ++i) {
                int c = order_compare(keys[a][i], keys[b][i]);
                if (c != 0) {
                    return p.order_by[i].descending ? c > 0 : c < 0;
                }
            }
            return false;
        });
        std::vector<Projected> sorted;
        sorted.reserve(outs.size());
        for (size_t i : order) {
            sorted.push_back(std::move(outs[i]));
        }
        outs = std::move(sorted);
    }
    size_t begin = 0;
    size_t end = outs.size();
    if (p.skip) {
        begin = static_cast<size_t>(std::min<int64_t>(row_count(p.skip.get(), "SKIP", ctx_),
                                                      static_cast<int64_t>(outs.size())));
    }
    if (p.limit) {
        int64_t limit = row_count(p.limit.get(), "LIMIT", ctx_);
        end = begin + static_cast<size_t>(std::min<int64_t>(limit, static_cast<int64_t>(outs.size() - begin)));
    }
    table_.names = std::move(out_names);
    table_.rows.clear();
    for (size_t i = begin; i < end; ++i) {
        table_.rows.push_back(std::move(outs[i].values));
    }
    filter(p.where.get());
}

}  // namespace refhost::cypher

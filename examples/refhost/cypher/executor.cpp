// examples/refhost/cypher/executor.cpp: clause dispatch, UNWIND, CALL, SHOW.
#include "cypher/executor.hpp"

#include "cypher/query_error.hpp"
#include "cypher/show.hpp"
#include "cypher/text.hpp"
#include "cypher/values.hpp"

#include <chrono>

namespace refhost::cypher {

int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

Executor::Executor(const Query& q, QueryContext& qc, const Map& params, const ResolvedProcedures& procedures)
    : query_(q),
      qc_(qc),
      procedures_(procedures),
      ctx_{params, qc.tx != nullptr ? &qc.tx->graph() : nullptr, now_ms()} {
    table_.rows.push_back(List{});  // a query starts from one empty row
}

GraphWriter& Executor::graph() {
    if (qc_.tx == nullptr) {
        throw_error(status::kNotSystemDatabase, "This Cypher command can only be executed in a user database");
    }
    return qc_.tx->graph();
}

size_t Executor::slot(const std::string& name) const {
    for (size_t i = 0; i < table_.names.size(); ++i) {
        if (table_.names[i] == name) {
            return i;
        }
    }
    return static_cast<size_t>(-1);
}

size_t Executor::add_column(const std::string& name) {
    size_t s = slot(name);
    if (s != static_cast<size_t>(-1)) {
        return s;
    }
    table_.names.push_back(name);
    for (auto& r : table_.rows) {
        r.emplace_back();
    }
    return table_.names.size() - 1;
}

Table Executor::run() {
    for (const auto& c : query_.clauses) {
        run_clause(c);
    }
    return std::move(table_);
}

void Executor::run_clause(const Clause& c) {
    std::visit(
        [&](const auto& body) {
            using T = std::decay_t<decltype(body)>;
            if constexpr (std::is_same_v<T, MatchClause>) {
                match(body);
            } else if constexpr (std::is_same_v<T, UnwindClause>) {
                unwind(body);
            } else if constexpr (std::is_same_v<T, WithClause>) {
                project(body.projection);
            } else if constexpr (std::is_same_v<T, ReturnClause>) {
                project(body.projection);
            } else if constexpr (std::is_same_v<T, CreateClause>) {
                create(body);
            } else if constexpr (std::is_same_v<T, SetClause>) {
                set(body);
            } else if constexpr (std::is_same_v<T, RemoveClause>) {
                remove(body);
            } else if constexpr (std::is_same_v<T, DeleteClause>) {
                remove_and_delete(body);
            } else if constexpr (std::is_same_v<T, CallClause>) {
                call(body);
            } else if constexpr (std::is_same_v<T, ShowClause>) {
                show(body);
            }
        },
        c.body);
}

void Executor::filter(const Expr* where) {
    if (where == nullptr) {
        return;
    }
    std::vector<List> kept;
    for (auto& row : table_.rows) {
        if (evaluate_predicate(*where, env_of(row), ctx_)) {
            kept.push_back(std::move(row));
        }
    }
    table_.rows = std::move(kept);
}

void Executor::unwind(const UnwindClause& u) {
    std::vector<List> out;
    std::vector<std::string> names = table_.names;
    names.push_back(u.var);
    for (auto& row : table_.rows) {
        Value v = evaluate(*u.list, env_of(row), ctx_);
        if (v.is_null()) {
            continue;
        }
        if (auto* l = v.get_if<List>()) {
            for (const auto& item : *l) {
                List r = row;
                r.push_back(item);
                out.push_back(std::move(r));
            }
        } else {
            List r = row;
            r.push_back(std::move(v));
            out.push_back(std::move(r));
        }
    }
    table_.names = std::move(names);
    table_.rows = std::move(out);
}

void Executor::call(const CallClause& c) {
    const ResolvedProcedure& proc = procedures_.at(&c);
    ProcedureEnv penv{qc_, ctx_.graph};
    std::vector<std::string> names = table_.names;
    std::vector<List> out;
    std::vector<std::string> columns;
    bool first = true;
    for (auto& row : table_.rows) {
        List args;
        for (const auto& a : c.args) {
            args.push_back(evaluate(*a, env_of(row), ctx_));
        }
        auto results = call_procedure(proc, args, penv, columns);
        if (first) {
            if (c.yield_all) {
                for (const auto& col : columns) {
                    names.push_back(col);
                }
            } else {
                for (const auto& y : c.yields) {
                    names.push_back(y.alias);
                }
            }
            first = false;
        }
        for (auto& result : results) {
            List r = row;
            if (c.yield_all) {
                r.insert(r.end(), result.begin(), result.end());
            } else {
                for (const auto& y : c.yields) {
                    size_t k = 0;
                    while (k < columns.size() && columns[k] != y.field) {
                        ++k;
                    }
                    r.push_back(k < result.size() ? result[k] : Value());
                }
            }
            out.push_back(std::move(r));
        }
    }
    if (first) {  // no input rows: the columns are still the procedure's
        if (c.yield_all) {
            for (const auto& col : proc.outputs) {
                names.push_back(col);
            }
        } else {
            for (const auto& y : c.yields) {
                names.push_back(y.alias);
            }
        }
    }
    table_.names = std::move(names);
    table_.rows = std::move(out);
    filter(c.where.get());
}

void Executor::show(const ShowClause& s) {
    std::optional<std::string> name;
    if (s.database) {
        if (!s.database->parameter.empty()) {
            Value v = ctx_.params.at(s.database->parameter);
            if (!v.is<std::string>()) {
                throw_error(status::kTypeError, "Expected parameter $" + s.database->parameter +
                                              " to be a STRING (a database name) but was " + type_name(v));
            }
            name = ascii_lower(v.as<std::string>());
        } else {
            name = s.database->literal;
        }
    }
    std::vector<std::string> ids;
    for (const auto& e : s.transaction_ids) {
        Value v = e->kind == ExprKind::Parameter ? ctx_.params.at(e->name) : e->value;
        auto bad = [&] {
            throw_error(status::kTypeError, "Transaction IDs must be STRING or LIST<STRING> values, got " + type_name(v) +
                                          (e->kind == ExprKind::Parameter ? " (parameter $" + e->name + ")" : ""));
        };
        if (v.is<std::string>()) {
            ids.push_back(v.as<std::string>());
        } else if (v.is<List>()) {
            for (const auto& item : v.as<List>()) {
                if (!item.is<std::string>()) {
                    bad();
                }
                ids.push_back(item.as<std::string>());
            }
        } else {
            bad();
        }
    }
    table_.names = s.all_columns;
    table_.rows = show_rows(s, name, ids, qc_);
    filter(s.where.get());
}

}  // namespace refhost::cypher

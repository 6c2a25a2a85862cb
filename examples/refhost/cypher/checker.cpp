// examples/refhost/cypher/checker.cpp: the semantic checks.
#include "cypher/checker.hpp"

#include "cypher/functions.hpp"
#include "cypher/query_error.hpp"
#include "cypher/source_position.hpp"

#include <algorithm>
#include <set>

namespace refhost::cypher {

namespace {

enum class VarKind { Any, Node, Relationship, Path };

const char* kind_name(VarKind k) {
    switch (k) {
        case VarKind::Node: return "Node";
        case VarKind::Relationship: return "Relationship";
        case VarKind::Path: return "Path";
        default: return "Any";
    }
}

struct Var {
    std::string name;
    VarKind kind = VarKind::Any;
};

// How an expression may use aggregates where it stands.
struct AggregateRules {
    bool allowed = false;
    Projection* projection = nullptr;  // where slots are assigned
    bool inside = false;               // within an aggregate's argument
    bool found = false;                // set when one was seen
};

class Checker {
public:
    explicit Checker(std::string_view q) : q_(q) {}

    void check_query(Query& q) {
        for (size_t i = 0; i < q.clauses.size(); ++i) {
            check_clause(q, i);
        }
        check_ending(q);
        q.parameters.assign(params_.begin(), params_.end());
    }

private:
    [[noreturn]] void fail(size_t offset, const std::string& message) {
        throw_error(status::kSyntaxError, syntax_message(q_, offset, message));
    }

    const Var* find(const std::string& name) const {
        for (const auto& v : scope_) {
            if (v.name == name) {
                return &v;
            }
        }
        return nullptr;
    }

    void declare(const std::string& name, VarKind kind) { scope_.push_back(Var{name, kind}); }

    // A pattern element's variable: new (declared) or already bound (kinds must agree).
    void bind_pattern_var(const std::string& name, VarKind kind, size_t offset) {
        if (const Var* v = find(name)) {
            if (v->kind != VarKind::Any && v->kind != kind) {
                fail(offset, "Type mismatch: " + name + " defined with conflicting type " + kind_name(v->kind) +
                                 " (expected " + kind_name(kind) + ")");
            }
            return;
        }
        declare(name, kind);
    }

    void check_expr(Expr& e, AggregateRules& rules) {
        switch (e.kind) {
            case ExprKind::Variable:
                if (find(e.name) == nullptr || is_anonymous(e.name)) {
                    fail(e.begin, "Variable `" + e.name + "` not defined");
                }
                return;
            case ExprKind::Parameter: params_.insert(e.name); return;
            case ExprKind::CountStar: check_aggregate(e, rules); return;
            case ExprKind::Function: {
                const FunctionDef* f = find_function(e.name);
                if (f == nullptr) {
                    fail(e.begin, "Unknown function '" + e.name + "'");
                }
                e.function = f;
                if (e.children.size() < f->min_args) {
                    fail(e.begin, "Insufficient parameters for function '" + std::string(f->name) + "'");
                }
                if (e.children.size() > f->max_args) {
                    fail(e.begin, "Too many parameters for function '" + std::string(f->name) + "'");
                }
                if (e.distinct && !f->aggregate) {
                    fail(e.begin, "Invalid use of DISTINCT with function '" + std::string(f->name) + "'");
                }
                if (f->aggregate) {
                    check_aggregate(e, rules);
                    return;
                }
                break;
            }
            default: break;
        }
        for (auto& c : e.children) {
            if (c) {
                check_expr(*c, rules);
            }
        }
    }

    void check_aggregate(Expr& e, AggregateRules& rules) {
        std::string name = e.kind == ExprKind::CountStar ? std::string("count") : std::string(e.function->name);
        if (rules.inside) {
            fail(e.begin, "Can't use aggregate functions inside of aggregate functions.");
        }
        if (!rules.allowed) {
            fail(e.begin, "Invalid use of aggregating function " + name + "(...) in this context");
        }
        rules.found = true;
        e.aggregate_slot = static_cast<int>(rules.projection->aggregates.size());
        rules.projection->aggregates.push_back(&e);
        rules.inside = true;
        for (auto& c : e.children) {
            check_expr(*c, rules);
        }
        rules.inside = false;
    }

    void check_plain(Expr* e) {
        if (e != nullptr) {
            AggregateRules none;
            check_expr(*e, none);
        }
    }

    // SKIP and LIMIT take constants and parameters only.
    void check_constant(Expr* e, const char* clause) {
        if (e == nullptr) {
            return;
        }
        auto saved = std::move(scope_);
        scope_.clear();
        try {
            check_plain(e);
        } catch (const QueryError& err) {
            scope_ = std::move(saved);
            if (err.error().message.rfind("Variable `", 0) == 0) {
                fail(e->begin, std::string("It is not allowed to refer to variables in ") + clause);
            }
            throw;
        }
        scope_ = std::move(saved);
    }

    // Replaces sub-expressions of an ORDER BY item that equal a projected
    // item by that item's column, so `ORDER BY count(*)` sorts by the column.
    void substitute(ExprPtr& e, const Projection& p) {
        if (!e) {
            return;
        }
        std::string text = canonical(*e);
        for (const auto& item : p.items) {
            if (canonical(*item.expr) == text) {
                auto v = std::make_unique<Expr>();
                v->kind = ExprKind::Variable;
                v->name = item.name;
                v->begin = e->begin;
                v->end = e->end;
                e = std::move(v);
                return;
            }
        }
        for (auto& c : e->children) {
            substitute(c, p);
        }
    }

    void check_projection(Projection& p, const Clause& clause, bool is_return) {
        std::vector<Var> input = scope_;
        if (p.star) {
            std::vector<std::string> names;
            for (const auto& v : input) {
                if (!is_anonymous(v.name)) {
                    names.push_back(v.name);
                }
            }
            if (names.empty()) {
                fail(clause.offset, std::string(is_return ? "RETURN" : "WITH") +
                                        " * is not allowed when there are no variables in scope");
            }
            std::sort(names.begin(), names.end());
            std::vector<ProjectionItem> items;
            for (const auto& n : names) {
                ProjectionItem item;
                item.expr = std::make_unique<Expr>();
                item.expr->kind = ExprKind::Variable;
                item.expr->name = n;
                item.expr->begin = item.expr->end = clause.offset;
                item.name = n;
                item.aliased = true;
                items.push_back(std::move(item));
            }
            for (auto& item : p.items) {
                items.push_back(std::move(item));
            }
            p.items = std::move(items);
            p.star = false;
        }
        std::vector<Var> output;
        for (auto& item : p.items) {
            if (clause.keyword == "YIELD" && item.expr->kind == ExprKind::Variable && find(item.expr->name) == nullptr) {
                fail(item.expr->begin, "Trying to YIELD non-existing column: `" + item.expr->name + "`");
            }
            AggregateRules rules;
            rules.allowed = true;
            rules.projection = &p;
            check_expr(*item.expr, rules);
            item.has_aggregate = rules.found;
            p.aggregating = p.aggregating || rules.found;
            if (!is_return && !item.aliased && item.expr->kind != ExprKind::Variable) {
                fail(item.expr->begin, "Expression in WITH must be aliased (use AS)");
            }
            for (const auto& o : output) {
                if (o.name == item.name) {
                    fail(item.expr->begin, "Multiple result columns with the same name are not supported");
                }
            }
            VarKind kind = VarKind::Any;
            if (item.expr->kind == ExprKind::Variable) {
                if (const Var* v = find(item.expr->name)) {
                    kind = v->kind;
                }
            }
            output.push_back(Var{item.name, kind});
        }
        p.order_sees_input = !p.aggregating && !p.distinct;
        if (!p.order_by.empty()) {
            if (p.order_sees_input) {
                scope_ = output;
                for (const auto& v : input) {
                    if (find(v.name) == nullptr) {
                        scope_.push_back(v);
                    }
                }
            } else {
                scope_ = output;
                for (auto& s : p.order_by) {
                    substitute(s.expr, p);
                }
            }
            for (auto& s : p.order_by) {
                AggregateRules none;
                try {
                    check_expr(*s.expr, none);
                } catch (const QueryError& e) {
                    if (!p.order_sees_input && e.error().message.rfind("Variable `", 0) == 0) {
                        fail(s.expr->begin, "In a WITH/RETURN with DISTINCT or an aggregation, it is not possible "
                                            "to access variables declared before the WITH/RETURN: " +
                                                std::string(q_.substr(s.expr->begin, s.expr->end - s.expr->begin)));
                    }
                    throw;
                }
            }
        }
        scope_ = input;
        check_constant(p.skip.get(), "SKIP");
        check_constant(p.limit.get(), "LIMIT");
        scope_ = output;
        check_plain(p.where.get());
    }

    void check_pattern_properties(Expr* props) {
        if (props == nullptr) {
            return;
        }
        check_plain(props);
    }

    void check_match(MatchClause& m) {
        std::set<std::string> rels_here;
        std::vector<Var> before = scope_;
        // Property maps see the variables bound before this MATCH.
        for (auto& part : m.patterns) {
            for (auto& n : part.nodes) {
                auto saved = scope_;
                scope_ = before;
                check_pattern_properties(n.properties.get());
                scope_ = saved;
            }
            for (auto& r : part.rels) {
                auto saved = scope_;
                scope_ = before;
                check_pattern_properties(r.properties.get());
                scope_ = saved;
            }
            for (auto& n : part.nodes) {
                bind_pattern_var(n.var, VarKind::Node, n.offset);
            }
            for (auto& r : part.rels) {
                if (!rels_here.insert(r.var).second) {
                    fail(r.offset, "Cannot use the same relationship variable '" + r.var + "' for multiple relationships");
                }
                bind_pattern_var(r.var, VarKind::Relationship, r.offset);
            }
            if (!part.path_var.empty()) {
                if (find(part.path_var) != nullptr) {
                    fail(part.offset, "Variable `" + part.path_var + "` already declared");
                }
                declare(part.path_var, VarKind::Path);
            }
        }
        check_plain(m.where.get());
    }

    void check_create(CreateClause& c) {
        for (auto& part : c.patterns) {
            for (auto& n : part.nodes) {
                check_pattern_properties(n.properties.get());
                if (const Var* v = find(n.var)) {
                    if (!n.labels.empty() || n.properties) {
                        fail(n.offset, "Can't create node `" + n.var + "` with labels or properties here. The "
                                       "variable is already declared in this context");
                    }
                    if (v->kind != VarKind::Any && v->kind != VarKind::Node) {
                        fail(n.offset, "Type mismatch: " + n.var + " defined with conflicting type " +
                                           kind_name(v->kind) + " (expected Node)");
                    }
                    if (part.nodes.size() == 1 && part.path_var.empty()) {
                        fail(n.offset, "Variable `" + n.var + "` already declared");
                    }
                } else {
                    declare(n.var, VarKind::Node);
                }
            }
            for (auto& r : part.rels) {
                check_pattern_properties(r.properties.get());
                if (find(r.var) != nullptr) {
                    fail(r.offset, "Variable `" + r.var + "` already declared");
                }
                if (r.types.size() != 1) {
                    fail(r.offset, "Exactly one relationship type must be specified for CREATE. Did you forget to "
                                   "prefix your relationship type with a ':'?");
                }
                if (r.direction == Direction::Both) {
                    fail(r.offset, "Only directed relationships are supported in CREATE");
                }
                declare(r.var, VarKind::Relationship);
            }
            if (!part.path_var.empty()) {
                if (find(part.path_var) != nullptr) {
                    fail(part.offset, "Variable `" + part.path_var + "` already declared");
                }
                declare(part.path_var, VarKind::Path);
            }
        }
    }

    void check_clause(Query& q, size_t index) {
        Clause& clause = q.clauses[index];
        bool reading = std::holds_alternative<MatchClause>(clause.body) ||
                       std::holds_alternative<CallClause>(clause.body);
        if (reading && !last_update_.empty()) {
            fail(clause.offset, "WITH is required between " + last_update_ + " and " + clause.keyword);
        }
        if (std::holds_alternative<WithClause>(clause.body)) {
            last_update_.clear();
        }
        std::visit(
            [&](auto& body) {
                using T = std::decay_t<decltype(body)>;
                if constexpr (std::is_same_v<T, MatchClause>) {
                    q.reads_graph = q.needs_graph = true;
                    check_match(body);
                } else if constexpr (std::is_same_v<T, UnwindClause>) {
                    check_plain(body.list.get());
                    if (find(body.var) != nullptr) {
                        fail(clause.offset, "Variable `" + body.var + "` already declared");
                    }
                    declare(body.var, VarKind::Any);
                } else if constexpr (std::is_same_v<T, WithClause>) {
                    check_projection(body.projection, clause, false);
                } else if constexpr (std::is_same_v<T, ReturnClause>) {
                    check_projection(body.projection, clause, true);
                } else if constexpr (std::is_same_v<T, CreateClause>) {
                    q.updating = q.needs_graph = true;
                    last_update_ = clause.keyword;
                    check_create(body);
                } else if constexpr (std::is_same_v<T, SetClause>) {
                    q.updating = q.needs_graph = true;
                    last_update_ = clause.keyword;
                    for (auto& item : body.items) {
                        check_plain(item.target.get());
                        check_plain(item.value.get());
                    }
                } else if constexpr (std::is_same_v<T, RemoveClause>) {
                    q.updating = q.needs_graph = true;
                    last_update_ = clause.keyword;
                    for (auto& item : body.items) {
                        check_plain(item.target.get());
                    }
                } else if constexpr (std::is_same_v<T, DeleteClause>) {
                    q.updating = q.needs_graph = true;
                    last_update_ = clause.keyword;
                    for (auto& t : body.targets) {
                        check_plain(t.get());
                    }
                } else if constexpr (std::is_same_v<T, CallClause>) {
                    for (auto& a : body.args) {
                        check_plain(a.get());
                    }
                    if (body.yield_all && q.clauses.size() > 1) {
                        fail(clause.offset, "Procedure call inside a query does not support naming results "
                                            "implicitly (name explicitly using `YIELD` instead)");
                    }
                    for (const auto& y : body.yields) {
                        if (find(y.alias) != nullptr) {
                            fail(y.offset, "Variable `" + y.alias + "` already declared");
                        }
                        declare(y.alias, VarKind::Any);
                    }
                    check_plain(body.where.get());
                } else if constexpr (std::is_same_v<T, ShowClause>) {
                    if (body.database && !body.database->parameter.empty()) {
                        params_.insert(body.database->parameter);
                    }
                    for (const auto& id : body.transaction_ids) {
                        if (id->kind == ExprKind::Parameter) {
                            params_.insert(id->name);
                        }
                    }
                    for (const auto& c : body.all_columns) {
                        declare(c, VarKind::Any);
                    }
                    check_plain(body.where.get());
                }
            },
            clause.body);
    }

    void check_ending(const Query& q) {
        const Clause& last = q.clauses.back();
        bool ok = std::visit(
            [&](const auto& body) {
                using T = std::decay_t<decltype(body)>;
                if constexpr (std::is_same_v<T, ReturnClause> || std::is_same_v<T, CreateClause> ||
                              std::is_same_v<T, SetClause> || std::is_same_v<T, RemoveClause> ||
                              std::is_same_v<T, DeleteClause>) {
                    return true;
                } else if constexpr (std::is_same_v<T, CallClause>) {
                    return q.clauses.size() == 1;
                } else if constexpr (std::is_same_v<T, WithClause>) {
                    // The projection of SHOW ... [YIELD ...] is the result.
                    return std::holds_alternative<ShowClause>(q.clauses.front().body) && q.clauses.size() == 2;
                } else {
                    return false;
                }
            },
            last.body);
        if (!ok) {
            if (std::holds_alternative<CallClause>(last.body)) {
                fail(last.offset, "Query cannot conclude with CALL together with YIELD");
            }
            fail(last.offset, "Query cannot conclude with " + last.keyword +
                                  " (must be a RETURN clause, an update clause, or a procedure call)");
        }
    }

    std::string_view q_;
    std::vector<Var> scope_;
    std::set<std::string> params_;
    std::string last_update_;  // the update clause since the last WITH, if any
};

}  // namespace

void check(Statement& st, std::string_view query) {
    if (auto* q = std::get_if<Query>(&st.body)) {
        Checker(query).check_query(*q);
    }
}

}  // namespace refhost::cypher

// examples/refhost/cypher/ast.hpp: the parsed query. Every node keeps the byte
// offsets of its source text: errors name positions, and an unaliased RETURN
// item is named by its text as written (as Neo4j does). A checked Statement
// is immutable and shared by the parse cache.
#pragma once

#include "common/value.hpp"
#include "store/graph.hpp"

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace refhost::cypher {

struct FunctionDef;

enum class ExprKind {
    Literal,     // value
    Parameter,   // name
    Variable,    // name
    Property,    // children[0].name
    Index,       // children[0][children[1]]
    Slice,       // children[0][children[1]..children[2]]; a missing bound is a null Literal with slice_open
    HasLabels,   // children[0]:names[0]:names[1]...
    ListLiteral, // children
    MapLiteral,  // names[i]: children[i]
    Unary,       // op children[0]
    Binary,      // children[0] op children[1]
    Comparison,  // children[0] ops[0] children[1] ops[1] children[2] ... (chained: pairwise AND)
    Function,    // name(children), distinct
    CountStar,   // count(*)
    Case,        // [subject] (when then)* [else]
};

enum class Op {
    Or, Xor, And, Not,
    Eq, Ne, Lt, Le, Gt, Ge,
    Add, Sub, Mul, Div, Mod, Pow, Neg, Plus,
    In, StartsWith, EndsWith, Contains, IsNull, IsNotNull,
};

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;

struct Expr {
    ExprKind kind = ExprKind::Literal;
    size_t begin = 0;  // source bytes [begin, end)
    size_t end = 0;
    Op op = Op::And;
    std::vector<Op> ops;  // Comparison
    Value value;          // Literal
    std::string name;     // Parameter, Variable, Property key, Function (as written)
    std::vector<std::string> names;  // MapLiteral keys, HasLabels labels
    std::vector<ExprPtr> children;
    bool distinct = false;        // Function: an aggregate over DISTINCT values
    bool case_subject = false;    // Case: children[0] is the subject
    bool case_else = false;       // Case: the last child is ELSE
    bool slice_from = false;      // Slice: has a lower bound
    bool slice_to = false;        // Slice: has an upper bound
    // Filled by the checker:
    const FunctionDef* function = nullptr;
    int aggregate_slot = -1;  // Function/CountStar inside a projection item: its aggregate's index
};

struct NodePattern {
    std::string var;      // named, or "  anon_<offset>" (unnameable by users)
    bool named = false;
    std::vector<std::string> labels;
    ExprPtr properties;   // MapLiteral or Parameter, may be null
    size_t offset = 0;
};

struct RelPattern {
    std::string var;
    bool named = false;
    std::vector<std::string> types;  // any of them; empty: any type
    ExprPtr properties;
    Direction direction = Direction::Outgoing;  // from the node before it to the node after it
    size_t offset = 0;
};

struct PatternPart {
    std::string path_var;  // `p = (a)-->(b)`; empty if none
    std::vector<NodePattern> nodes;
    std::vector<RelPattern> rels;  // rels[i] joins nodes[i] and nodes[i + 1]
    size_t offset = 0;
};

// Calls `f` with every variable of every part, in the order a clause binds
// them: a part's nodes, its relationships (both possibly ""), then its path
// variable when it has one.
template <typename F>
void for_each_pattern_variable(const std::vector<PatternPart>& parts, F&& f) {
    for (const auto& part : parts) {
        for (const auto& n : part.nodes) {
            f(n.var);
        }
        for (const auto& r : part.rels) {
            f(r.var);
        }
        if (!part.path_var.empty()) {
            f(part.path_var);
        }
    }
}

struct ProjectionItem {
    ExprPtr expr;
    std::string name;  // alias, or the expression's source text
    bool aliased = false;
    bool has_aggregate = false;  // filled by the checker; the others are grouping keys
};

struct SortItem {
    ExprPtr expr;
    bool descending = false;
};

struct Projection {
    bool distinct = false;
    bool star = false;  // expanded into items by the checker
    std::vector<ProjectionItem> items;
    std::vector<SortItem> order_by;
    ExprPtr skip;
    ExprPtr limit;
    ExprPtr where;  // WITH ... WHERE (applied after ORDER BY/SKIP/LIMIT)
    // Filled by the checker:
    std::vector<const Expr*> aggregates;  // by aggregate_slot
    bool aggregating = false;
    // For ORDER BY of a non-aggregating, non-DISTINCT projection the
    // variables before the projection stay visible.
    bool order_sees_input = false;
};

struct MatchClause {
    bool optional = false;
    std::vector<PatternPart> patterns;
    ExprPtr where;
};

struct UnwindClause {
    ExprPtr list;
    std::string var;
};

struct WithClause {
    Projection projection;
};

struct ReturnClause {
    Projection projection;
};

struct CreateClause {
    std::vector<PatternPart> patterns;
};

enum class SetKind { Property, Replace, Merge, Labels };

struct SetItem {
    SetKind kind = SetKind::Property;
    ExprPtr target;  // Property: the entity expression; others: a Variable
    std::string key;
    ExprPtr value;
    std::vector<std::string> labels;
    size_t offset = 0;
};

struct SetClause {
    std::vector<SetItem> items;
};

struct RemoveItem {
    bool is_label = false;
    ExprPtr target;
    std::string key;
    std::vector<std::string> labels;
};

struct RemoveClause {
    std::vector<RemoveItem> items;
};

struct DeleteClause {
    bool detach = false;
    std::vector<ExprPtr> targets;
};

struct YieldItem {
    std::string field;
    std::string alias;  // the variable it binds (== field unless `AS`)
    size_t offset = 0;
};

struct CallClause {
    std::string procedure;  // case-sensitive, dotted
    size_t name_offset = 0;
    std::vector<ExprPtr> args;
    bool yield_all = false;  // no YIELD (standalone) or YIELD *
    std::vector<YieldItem> yields;
    ExprPtr where;
};

// TerminateTransactions is TERMINATE TRANSACTIONS: a SHOW-like source
// whose rows are the outcome of ending each transaction.
enum class ShowKind {
    Databases, DefaultDatabase, HomeDatabase, Servers, Procedures, Users, CurrentUser, Roles, Transactions,
    TerminateTransactions
};

// A database name as written: a literal or a $parameter.
struct NameRef {
    std::string literal;
    std::string parameter;  // non-empty: the name comes from this parameter
    size_t offset = 0;
};

struct ShowClause {
    ShowKind kind = ShowKind::Databases;
    std::optional<NameRef> database;  // SHOW DATABASE name
    // SHOW/TERMINATE TRANSACTION[S] 'id', ... | $param: string literals or
    // parameters (a STRING or a LIST<STRING> each).
    std::vector<ExprPtr> transaction_ids;
    ExprPtr where;                    // SHOW ... WHERE (no YIELD): filters on every column
    bool with_users = false;          // SHOW ROLES WITH USERS: one row per role and member
    bool populated_only = false;      // SHOW POPULATED ROLES: roles with at least one member
    // The columns the SHOW source binds, in YIELD * order, and those
    // returned when there is no YIELD.
    std::vector<std::string> all_columns;
    std::vector<std::string> default_columns;
};

using ClauseBody = std::variant<MatchClause, UnwindClause, WithClause, ReturnClause, CreateClause, SetClause,
                                RemoveClause, DeleteClause, CallClause, ShowClause>;

struct Clause {
    size_t offset = 0;
    std::string keyword;  // "MATCH", "OPTIONAL MATCH", ... for messages
    ClauseBody body;
};

// Clauses run in order; the result is the RETURN's projection, or (a lone
// CALL or SHOW without RETURN) the columns that clause yields.
struct Query {
    std::vector<Clause> clauses;
    // Filled by the checker:
    bool updating = false;       // CREATE, SET, REMOVE, DELETE
    bool reads_graph = false;    // MATCH / OPTIONAL MATCH
    bool needs_graph = false;    // any clause that needs a database's graph
    std::vector<std::string> parameters;  // every $name used
};

enum class AdminKind { CreateDatabase, DropDatabase, StartDatabase, StopDatabase, AlterDatabase };

struct TopologySpec {
    ExprPtr primaries;    // Literal integer or Parameter
    ExprPtr secondaries;  // may be null
};

struct AdminCommand {
    AdminKind kind = AdminKind::CreateDatabase;
    NameRef name;
    bool if_exists = false;      // DROP / ALTER ... IF EXISTS
    std::optional<bool> read_only;  // ALTER ... SET ACCESS READ ONLY (true) / READ WRITE (false)
    bool if_not_exists = false;  // CREATE ... IF NOT EXISTS
    std::optional<TopologySpec> topology;
    bool wait = false;
    std::vector<std::string> parameters;
    size_t offset = 0;
};

// User and role administration (security_commands.cpp). Passwords are a
// string literal or a $parameter and are never cached, logged or echoed.
enum class SecurityKind { CreateUser, AlterUser, DropUser, GrantRole, RevokeRole, AlterCurrentUser };

struct SecretRef {
    std::string literal;
    std::string parameter;  // non-empty: the value comes from this parameter
};

struct SecurityCommand {
    SecurityKind kind = SecurityKind::CreateUser;
    std::vector<NameRef> users;  // the user(s) named; GRANT/REVOKE may name several
    std::vector<NameRef> roles;  // GRANT/REVOKE ROLE[S] a, b
    std::optional<SecretRef> password;      // SET [PLAINTEXT] PASSWORD ...; ALTER CURRENT USER ... TO
    std::optional<SecretRef> old_password;  // ALTER CURRENT USER SET PASSWORD FROM ...
    std::optional<bool> change_required;    // [SET PASSWORD] CHANGE [NOT] REQUIRED
    bool status_active = false;             // SET STATUS ACTIVE (the only status the refhost has)
    bool if_exists = false;                 // ALTER/DROP USER ... IF EXISTS
    bool if_not_exists = false;             // CREATE USER ... IF NOT EXISTS
    std::vector<std::string> parameters;
    size_t offset = 0;
};

struct Statement {
    std::variant<Query, AdminCommand, SecurityCommand> body;
};

// The name of an anonymous pattern element; users cannot write it.
std::string anonymous_name(size_t offset);
bool is_anonymous(const std::string& var);

// A canonical text of an expression (fully parenthesized, names as written),
// for recognizing `ORDER BY count(*)` as the projected `count(*)`.
std::string canonical(const Expr& e);

const char* command_name(AdminKind k);  // "CREATE DATABASE", ...

}  // namespace refhost::cypher

// examples/refhost/cypher/parser_impl.hpp: the recursive-descent parser,
// shared by parser_*.cpp (statements and clauses, patterns, expressions,
// administration). Internal to the engine.
#pragma once

#include "cypher/ast.hpp"
#include "cypher/lexer.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace refhost::cypher {

class Parser {
public:
    explicit Parser(std::string_view query);
    Statement parse_statement();

private:
    void skip_version_prefix();  // a leading CYPHER 5 / CYPHER 25
    // --- tokens ---
    const Token& peek(size_t ahead = 0) const;
    const Token& advance();
    bool is_kw(const Token& t, std::string_view kw) const;
    bool at_kw(std::string_view kw, size_t ahead = 0) const { return is_kw(peek(ahead), kw); }
    bool accept_kw(std::string_view kw);
    void expect_kw(std::string_view kw);
    bool at_sym(std::string_view s, size_t ahead = 0) const;
    bool accept_sym(std::string_view s);
    void expect_sym(std::string_view s);
    bool at_name(size_t ahead = 0) const;
    // Records what would have been accepted at the current token, for the
    // "expected ..." list of the error raised there.
    void note(std::string what);
    [[noreturn]] void fail_expected();
    [[noreturn]] void fail_at(size_t offset, const std::string& message);
    [[noreturn]] void fail_unsupported(const Token& t, const std::string& what);

    std::string parse_name(const char* what);  // identifier or `quoted`
    std::string parse_variable();

    // --- statements (parser_statement.cpp) ---
    Query parse_query();
    void parse_clause(Query& q);
    Projection parse_projection(bool is_with);
    void parse_order_skip_limit(Projection& p);
    SetClause parse_set();
    RemoveClause parse_remove();
    CallClause parse_call();
    ExprPtr parse_property_target(std::string& key);

    // --- patterns (parser_pattern.cpp) ---
    std::vector<PatternPart> parse_patterns(bool for_create);
    PatternPart parse_pattern_part(bool for_create);
    NodePattern parse_node_pattern(bool for_create);
    bool at_relationship() const;
    RelPattern parse_rel_pattern(bool for_create);
    ExprPtr parse_pattern_properties(bool for_create);

    // --- expressions (parser_expr.cpp) ---
    ExprPtr parse_expression();
    ExprPtr parse_or();
    ExprPtr parse_xor();
    ExprPtr parse_and();
    ExprPtr parse_not();
    ExprPtr parse_comparison();
    ExprPtr parse_predicate();
    ExprPtr parse_additive();
    ExprPtr parse_multiplicative();
    ExprPtr parse_power();
    ExprPtr parse_unary();
    ExprPtr parse_postfix();
    ExprPtr parse_atom();
    ExprPtr parse_case(const Token& start);
    ExprPtr parse_function_call(std::string name, size_t begin);
    ExprPtr parse_map_literal();
    ExprPtr parse_list_literal();
    ExprPtr parse_integer(const Token& t, bool negative, size_t begin);
    ExprPtr make(ExprKind kind, size_t begin);
    ExprPtr binary(Op op, ExprPtr l, ExprPtr r);
    size_t last_end() const;  // end of the previous token

    // --- users and roles (parser_security.cpp) ---
    bool at_security_command() const;
    SecurityCommand parse_security();
    NameRef parse_symbolic_name(const char* what);
    SecretRef parse_password();
    bool parse_change_required();
    void parse_user_set_item(SecurityCommand& c);

    // --- administration and SHOW (parser_admin.cpp) ---
    AdminCommand parse_admin();
    void parse_topology_spec(AdminCommand& c);
    void parse_alter_database(AdminCommand& c);
    NameRef parse_database_name();
    void parse_wait(AdminCommand& c);
    Query parse_show();
    void parse_transaction_ids(std::vector<ExprPtr>& ids, bool required);
    ExprPtr parse_topology_count();

    std::string_view query_;
    std::vector<Token> tokens_;
    size_t pos_ = 0;
    size_t noted_at_ = static_cast<size_t>(-1);
    std::vector<std::string> expected_;
    int depth_ = 0;
};

}  // namespace refhost::cypher

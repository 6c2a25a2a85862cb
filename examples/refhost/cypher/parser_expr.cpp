// examples/refhost/cypher/parser_expr.cpp: expressions, by Cypher's
// precedence (lowest first): OR, XOR, AND, NOT, comparisons (chained),
// STARTS WITH / ENDS WITH / CONTAINS / IN / IS [NOT] NULL, + -, * / %, ^,
// unary + -, postfix (.key, [i], [a..b], :Label), atoms.
#include "cypher/parser_impl.hpp"
#include "cypher/query_error.hpp"

#include <cerrno>
#include <cstdlib>
#include <limits>

namespace refhost::cypher {

namespace {

// Bounds the parser's recursion: a hostile query cannot exhaust the stack.
constexpr int kMaxDepth = 200;

struct DepthGuard {
    int& depth;
    explicit DepthGuard(int& d) : depth(d) { ++depth; }
    ~DepthGuard() { --depth; }
};

}  // namespace

ExprPtr Parser::make(ExprKind kind, size_t begin) {
    auto e = std::make_unique<Expr>();
    e->kind = kind;
    e->begin = begin;
    e->end = begin;
    return e;
}

ExprPtr Parser::binary(Op op, ExprPtr l, ExprPtr r) {
    auto e = make(ExprKind::Binary, l->begin);
    e->op = op;
    e->end = r->end;
    e->children.push_back(std::move(l));
    e->children.push_back(std::move(r));
    return e;
}

ExprPtr Parser::parse_expression() {
    DepthGuard guard(depth_);
    if (depth_ > kMaxDepth) {
        fail_at(peek().offset, "Invalid input '" + token_display(query_, peek()) +
                                   "': the expression is nested more than " + std::to_string(kMaxDepth) +
                                   " levels deep");
    }
    return parse_or();
}

ExprPtr Parser::parse_or() {
    auto l = parse_xor();
    while (accept_kw("OR")) {
        l = binary(Op::Or, std::move(l), parse_xor());
    }
    return l;
}

ExprPtr Parser::parse_xor() {
    auto l = parse_and();
    while (accept_kw("XOR")) {
        l = binary(Op::Xor, std::move(l), parse_and());
    }
    return l;
}

ExprPtr Parser::parse_and() {
    auto l = parse_not();
    while (accept_kw("AND")) {
        l = binary(Op::And, std::move(l), parse_not());
    }
    return l;
}

ExprPtr Parser::parse_not() {
    if (at_kw("NOT")) {
        size_t begin = advance().offset;
        DepthGuard guard(depth_);
        if (depth_ > kMaxDepth) {
            fail_at(begin, "Invalid input 'NOT': the expression is nested more than " + std::to_string(kMaxDepth) +
                               " levels deep");
        }
        auto operand = parse_not();
        auto e = make(ExprKind::Unary, begin);
        e->op = Op::Not;
        e->end = operand->end;
        e->children.push_back(std::move(operand));
        return e;
    }
    return parse_comparison();
}

ExprPtr Parser::parse_comparison() {
    auto first = parse_predicate();
    ExprPtr chain;
    for (;;) {
        Op op;
        if (accept_sym("=")) {
            op = Op::Eq;
        } else if (accept_sym("<>")) {
            op = Op::Ne;
        } else if (accept_sym("<")) {
            op = Op::Lt;
        } else if (accept_sym("<=")) {
            op = Op::Le;
        } else if (accept_sym(">")) {
            op = Op::Gt;
        } else if (accept_sym(">=")) {
            op = Op::Ge;
        } else {
            break;
        }
        if (!chain) {
            chain = make(ExprKind::Comparison, first->begin);
            chain->children.push_back(std::move(first));
        }
        chain->ops.push_back(op);
        chain->children.push_back(parse_predicate());
        chain->end = chain->children.back()->end;
    }
    return chain ? std::move(chain) : std::move(first);
}

ExprPtr Parser::parse_predicate() {
    auto l = parse_additive();
    for (;;) {
        if (at_kw("STARTS") && at_kw("WITH", 1)) {
            advance();
            advance();
            l = binary(Op::StartsWith, std::move(l), parse_additive());
        } else if (at_kw("ENDS") && at_kw("WITH", 1)) {
            advance();
            advance();
            l = binary(Op::EndsWith, std::move(l), parse_additive());
        } else if (accept_kw("CONTAINS")) {
            l = binary(Op::Contains, std::move(l), parse_additive());
        } else if (accept_kw("IN")) {
            l = binary(Op::In, std::move(l), parse_additive());
        } else if (at_kw("IS")) {
            advance();
            bool negated = accept_kw("NOT");
            if (!at_kw("NULL")) {
                note("'NULL'");
                fail_expected();
            }
            advance();
            auto e = make(ExprKind::Unary, l->begin);
            e->op = negated ? Op::IsNotNull : Op::IsNull;
            e->end = last_end();
            e->children.push_back(std::move(l));
            l = std::move(e);
        } else if (at_sym("=~")) {
            fail_unsupported(peek(), "the regular expression operator =~");
        } else {
            note("'STARTS WITH'");
            note("'ENDS WITH'");
            note("'CONTAINS'");
            note("'IN'");
            note("'IS'");
            return l;
        }
    }
}

ExprPtr Parser::parse_additive() {
    auto l = parse_multiplicative();
    for (;;) {
        if (accept_sym("+")) {
            l = binary(Op::Add, std::move(l), parse_multiplicative());
        } else if (accept_sym("-")) {
            l = binary(Op::Sub, std::move(l), parse_multiplicative());
        } else {
            return l;
        }
    }
}

ExprPtr Parser::parse_multiplicative() {
    auto l = parse_power();
    for (;;) {
        if (accept_sym("*")) {
            l = binary(Op::Mul, std::move(l), parse_power());
        } else if (accept_sym("/")) {
            l = binary(Op::Div, std::move(l), parse_power());
        } else if (accept_sym("%")) {
            l = binary(Op::Mod, std::move(l), parse_power());
        } else {
            return l;
        }
    }
}

ExprPtr Parser::parse_power() {
    auto l = parse_unary();
    while (accept_sym("^")) {
        l = binary(Op::Pow, std::move(l), parse_unary());
    }
    return l;
}

ExprPtr Parser::parse_unary() {
    if (at_sym("-") || at_sym("+")) {
        const Token& sign = advance();
        bool minus = sign.text == "-";
        if (minus && peek().kind == TokenKind::Integer) {
            // -9223372036854775808 is a literal; its magnitude alone is not.
            const Token& t = advance();
            return parse_integer(t, true, sign.offset);
        }
        DepthGuard guard(depth_);
        if (depth_ > kMaxDepth) {
            fail_at(sign.offset, "Invalid input '" + sign.text + "': the expression is nested more than " +
                                     std::to_string(kMaxDepth) + " levels deep");
        }
        auto operand = parse_unary();
        auto e = make(ExprKind::Unary, sign.offset);
        e->op = minus ? Op::Neg : Op::Plus;
        e->end = operand->end;
        e->children.push_back(std::move(operand));
        return e;
    }
    return parse_postfix();
}

ExprPtr Parser::parse_postfix() {
    auto e = parse_atom();
    for (;;) {
        if (at_sym(".")) {
            advance();
            auto p = make(ExprKind::Property, e->begin);
            p->name = parse_name("a property key name");
            p->end = last_end();
            p->children.push_back(std::move(e));
            e = std::move(p);
        } else if (at_sym("[")) {
            advance();
            auto idx = make(ExprKind::Index, e->begin);
            idx->children.push_back(std::move(e));
            if (accept_sym("..")) {
                idx->kind = ExprKind::Slice;
                idx->children.push_back(nullptr);
                if (!at_sym("]")) {
                    idx->slice_to = true;
                    idx->children.push_back(parse_expression());
                } else {
                    idx->children.push_back(nullptr);
                }
            } else {
                auto first = parse_expression();
                if (accept_sym("..")) {
                    idx->kind = ExprKind::Slice;
                    idx->slice_from = true;
                    idx->children.push_back(std::move(first));
                    if (!at_sym("]")) {
                        idx->slice_to = true;
                        idx->children.push_back(parse_expression());
                    } else {
                        idx->children.push_back(nullptr);
                    }
                } else {
                    idx->children.push_back(std::move(first));
                }
            }
            expect_sym("]");
            idx->end = last_end();
            e = std::move(idx);
        } else if (at_sym(":") && at_name(1)) {
            auto h = make(ExprKind::HasLabels, e->begin);
            while (accept_sym(":")) {
                h->names.push_back(parse_name("a label name"));
            }
            h->end = last_end();
            h->children.push_back(std::move(e));
            e = std::move(h);
        } else {
            note("'.'");
            note("'['");
            return e;
        }
    }
}

ExprPtr Parser::parse_integer(const Token& t, bool negative, size_t begin) {
    const std::string& s = t.text;
    unsigned base = 10;
    size_t i = 0;
    if (s.size() > 1 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        i = 2;
    } else if (s.size() > 1 && s[0] == '0' && (s[1] == 'o' || s[1] == 'O')) {
        base = 8;
        i = 2;
    }
    uint64_t limit = negative ? uint64_t{1} << 63 : (uint64_t{1} << 63) - 1;
    uint64_t v = 0;
    for (; i < s.size(); ++i) {
        char c = s[i];
        unsigned d = c >= '0' && c <= '9' ? static_cast<unsigned>(c - '0') : static_cast<unsigned>((c | 0x20) - 'a' + 10);
        if (v > (limit - d) / base) {
            fail_at(begin, "integer is too large: " + std::string(negative ? "-" : "") + s +
                               " (an INTEGER is a signed 64-bit number)");
        }
        v = v * base + d;
    }
    auto e = make(ExprKind::Literal, begin);
    e->end = t.end;
    if (negative) {
        e->value = v == (uint64_t{1} << 63) ? std::numeric_limits<int64_t>::min() : -static_cast<int64_t>(v);
    } else {
        e->value = static_cast<int64_t>(v);
    }
    return e;
}

ExprPtr Parser::parse_atom() {
    const Token& t = peek();
    size_t begin = t.offset;
    switch (t.kind) {
        case TokenKind::Integer: advance(); return parse_integer(t, false, begin);
        case TokenKind::Float: {
            advance();
            errno = 0;
            double d = std::strtod(t.text.c_str(), nullptr);
            if (errno == ERANGE && (d > 1 || d < -1)) {
                fail_at(begin, "floating point number is too large: " + t.text);
            }
            auto e = make(ExprKind::Literal, begin);
            e->value = d;
            e->end = t.end;
            return e;
        }
        case TokenKind::String: {
            advance();
            auto e = make(ExprKind::Literal, begin);
            e->value = t.text;
            e->end = t.end;
            return e;
        }
        case TokenKind::Parameter: {
            advance();
            auto e = make(ExprKind::Parameter, begin);
            e->name = t.text;
            e->end = t.end;
            return e;
        }
        case TokenKind::Symbol:
            if (t.text == "[") {
                return parse_list_literal();
            }
            if (t.text == "{") {
                return parse_map_literal();
            }
            if (t.text == "(") {
                advance();
                auto inner = parse_expression();
                expect_sym(")");
                if (at_sym("-") && (at_sym("-", 1) || at_sym("[", 1) || at_sym(">", 1))) {
                    fail_unsupported(peek(), "a pattern expression");
                }
                if (at_sym("<") && at_sym("-", 1)) {
                    fail_unsupported(peek(), "a pattern expression");
                }
                // The parentheses belong to the expression's text (column names).
                inner->begin = begin;
                inner->end = last_end();
                return inner;
            }
            break;
        case TokenKind::QuotedIdentifier: {
            advance();
            if (at_sym("(")) {
                return parse_function_call(t.text, begin);
            }
            auto e = make(ExprKind::Variable, begin);
            e->name = t.text;
            e->end = t.end;
            return e;
        }
        case TokenKind::Identifier: {
            if (is_kw(t, "TRUE") || is_kw(t, "FALSE") || is_kw(t, "NULL")) {
                advance();
                auto e = make(ExprKind::Literal, begin);
                if (!is_kw(t, "NULL")) {
                    e->value = is_kw(t, "TRUE");
                }
                e->end = t.end;
                return e;
            }
            if (is_kw(t, "CASE")) {
                advance();
                return parse_case(t);
            }
            if ((is_kw(t, "EXISTS") || is_kw(t, "COUNT") || is_kw(t, "COLLECT")) && at_sym("{", 1)) {
                fail_unsupported(t, "a subquery expression");
            }
            if (is_kw(t, "COUNT") && at_sym("(", 1) && at_sym("*", 2)) {
                advance();
                advance();
                advance();
                expect_sym(")");
                auto e = make(ExprKind::CountStar, begin);
                e->end = last_end();
                return e;
            }
            if ((is_kw(t, "ALL") || is_kw(t, "ANY") || is_kw(t, "NONE") || is_kw(t, "SINGLE") ||
                 is_kw(t, "REDUCE") || is_kw(t, "SHORTESTPATH") || is_kw(t, "ALLSHORTESTPATHS")) &&
                at_sym("(", 1)) {
                fail_unsupported(t, "the function '" + t.text + "'");
            }
            advance();
            std::string name = t.text;
            // A namespaced function: `a.b.c(`.
            size_t k = 0;
            while (at_sym(".", k) && at_name(k + 1)) {
                k += 2;
            }
            if (k > 0 && at_sym("(", k)) {
                for (size_t j = 0; j < k; j += 2) {
                    advance();
                    name += "." + advance().text;
                }
            }
            if (at_sym("(")) {
                return parse_function_call(name, begin);
            }
            auto e = make(ExprKind::Variable, begin);
            e->name = name;
            e->end = t.end;
            return e;
        }
        case TokenKind::End: break;
    }
    note("an expression");
    fail_expected();
}

ExprPtr Parser::parse_function_call(std::string name, size_t begin) {
    expect_sym("(");
    auto e = make(ExprKind::Function, begin);
    e->name = std::move(name);
    if (accept_kw("DISTINCT")) {
        e->distinct = true;
    }
    if (!at_sym(")")) {
        do {
            e->children.push_back(parse_expression());
        } while (accept_sym(","));
    }
    expect_sym(")");
    e->end = last_end();
    return e;
}

ExprPtr Parser::parse_list_literal() {
    size_t begin = peek().offset;
    expect_sym("[");
    auto e = make(ExprKind::ListLiteral, begin);
    if (!at_sym("]")) {
        do {
            e->children.push_back(parse_expression());
        } while (accept_sym(","));
        if (at_sym("|") || at_kw("WHERE")) {
            fail_unsupported(peek(), "a list comprehension");
        }
    }
    expect_sym("]");
    e->end = last_end();
    return e;
}

ExprPtr Parser::parse_map_literal() {
    size_t begin = peek().offset;
    expect_sym("{");
    auto e = make(ExprKind::MapLiteral, begin);
    if (!at_sym("}")) {
        do {
            std::string key = parse_name("a property key name");
            for (const auto& k : e->names) {
                if (k == key) {
                    fail_at(tokens_[pos_ - 1].offset, "Multiple map entries with the key `" + key + "`");
                }
            }
            expect_sym(":");
            e->names.push_back(std::move(key));
            e->children.push_back(parse_expression());
        } while (accept_sym(","));
    }
    expect_sym("}");
    e->end = last_end();
    return e;
}

ExprPtr Parser::parse_case(const Token& start) {
    auto e = make(ExprKind::Case, start.offset);
    if (!at_kw("WHEN")) {
        e->case_subject = true;
        e->children.push_back(parse_expression());
    }
    bool any = false;
    while (accept_kw("WHEN")) {
        any = true;
        e->children.push_back(parse_expression());
        expect_kw("THEN");
        e->children.push_back(parse_expression());
    }
    if (!any) {
        fail_expected();
    }
    if (accept_kw("ELSE")) {
        e->case_else = true;
        e->children.push_back(parse_expression());
    }
    expect_kw("END");
    e->end = last_end();
    return e;
}

}  // namespace refhost::cypher

// examples/refhost/cypher/parser_pattern.cpp: graph patterns for MATCH and
// CREATE: `p = (a:L {k: v})-[r:T|U {k: v}]->(b)<-[]-(c)--(d)`.
#include "cypher/parser_impl.hpp"
#include "cypher/query_error.hpp"

namespace refhost::cypher {

std::vector<PatternPart> Parser::parse_patterns(bool for_create) {
    std::vector<PatternPart> parts;
    do {
        parts.push_back(parse_pattern_part(for_create));
    } while (accept_sym(","));
    return parts;
}

PatternPart Parser::parse_pattern_part(bool for_create) {
    PatternPart part;
    part.offset = peek().offset;
    if (at_name() && at_sym("=", 1)) {
        part.path_var = advance().text;
        advance();
    } else if (at_name() && !at_sym("(")) {
        // `CREATE INDEX ...`, `MATCH shortestPath(...)`: a word where a pattern starts.
        note("'('");
        note("a path variable");
        fail_expected();
    }
    part.nodes.push_back(parse_node_pattern(for_create));
    while (at_relationship()) {
        part.rels.push_back(parse_rel_pattern(for_create));
        part.nodes.push_back(parse_node_pattern(for_create));
    }
    note("'-'");
    note("'<'");
    return part;
}

NodePattern Parser::parse_node_pattern(bool for_create) {
    NodePattern n;
    n.offset = peek().offset;
    expect_sym("(");
    if (at_sym("(")) {
        fail_unsupported(peek(), "a quantified path pattern");
    }
    if (at_name()) {
        n.var = advance().text;
        n.named = true;
    } else {
        note("a variable name");
        n.var = anonymous_name(n.offset);
    }
    while (accept_sym(":")) {
        n.labels.push_back(parse_name("a label name"));
        if (at_sym("|") || at_sym("&")) {
            fail_unsupported(peek(), "a label expression");
        }
    }
    if (at_kw("WHERE")) {
        fail_unsupported(peek(), "WHERE inside a node pattern");
    }
    n.properties = parse_pattern_properties(for_create);
    expect_sym(")");
    return n;
}

bool Parser::at_relationship() const {
    return at_sym("-") || (at_sym("<") && at_sym("-", 1));
}

RelPattern Parser::parse_rel_pattern(bool for_create) {
    RelPattern r;
    r.offset = peek().offset;
    bool left = accept_sym("<");
    expect_sym("-");
    if (accept_sym("[")) {
        if (at_name()) {
            r.var = advance().text;
            r.named = true;
        } else {
            note("a variable name");
        }
        if (accept_sym(":")) {
            r.types.push_back(parse_name("a relationship type name"));
            while (accept_sym("|")) {
                accept_sym(":");  // the older `[:A|:B]` form
                r.types.push_back(parse_name("a relationship type name"));
            }
        }
        if (at_sym("*")) {
            fail_unsupported(peek(), "a variable-length relationship");
        }
        if (at_kw("WHERE")) {
            fail_unsupported(peek(), "WHERE inside a relationship pattern");
        }
        r.properties = parse_pattern_properties(for_create);
        expect_sym("]");
        expect_sym("-");
    } else {
        if (!at_sym("-") && !at_sym(">")) {
            note("'['");
        }
        expect_sym("-");
    }
    if (!r.named) {
        r.var = anonymous_name(r.offset);
    }
    bool right = accept_sym(">");
    if (left && right) {
        r.direction = Direction::Both;  // `<-->` matches either way, like `--`
    } else if (left) {
        r.direction = Direction::Incoming;
    } else if (right) {
        r.direction = Direction::Outgoing;
    } else {
        r.direction = Direction::Both;
    }
    return r;
}

ExprPtr Parser::parse_pattern_properties(bool for_create) {
    if (at_sym("{")) {
        return parse_map_literal();
    }
    if (peek().kind == TokenKind::Parameter) {
        if (!for_create) {
            fail_at(peek().offset,
                    "Parameter maps cannot be used in MATCH patterns (use a literal map instead, e.g. \"{id: $" +
                        peek().text + ".id}\")");
        }
        auto e = make(ExprKind::Parameter, peek().offset);
        e->name = advance().text;
        e->end = last_end();
        return e;
    }
    note("'{'");
    note("a parameter");
    return nullptr;
}

}  // namespace refhost::cypher

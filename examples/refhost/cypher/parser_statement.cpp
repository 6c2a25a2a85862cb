// examples/refhost/cypher/parser_statement.cpp: query clauses: MATCH,
// OPTIONAL MATCH, UNWIND, WITH, RETURN, CREATE, SET, REMOVE, DELETE, CALL.
#include "cypher/parser_impl.hpp"
#include "cypher/query_error.hpp"

namespace refhost::cypher {

Query Parser::parse_query() {
    Query q;
    for (;;) {
        bool after_return = !q.clauses.empty() && std::holds_alternative<ReturnClause>(q.clauses.back().body);
        if (!q.clauses.empty() && (peek().kind == TokenKind::End || at_sym(";"))) {
            break;
        }
        if (after_return) {
            // Nothing may follow RETURN; the statement's end is checked by the caller.
            break;
        }
        parse_clause(q);
    }
    return q;
}

void Parser::parse_clause(Query& q) {
    const Token& t = peek();
    Clause c;
    c.offset = t.offset;
    if (accept_kw("MATCH")) {
        c.keyword = "MATCH";
        MatchClause m;
        m.patterns = parse_patterns(false);
        if (accept_kw("WHERE")) {
            m.where = parse_expression();
        }
        c.body = std::move(m);
    } else if (accept_kw("OPTIONAL")) {
        expect_kw("MATCH");
        c.keyword = "OPTIONAL MATCH";
        MatchClause m;
        m.optional = true;
        m.patterns = parse_patterns(false);
        if (accept_kw("WHERE")) {
            m.where = parse_expression();
        }
        c.body = std::move(m);
    } else if (accept_kw("UNWIND")) {
        c.keyword = "UNWIND";
        UnwindClause u;
        u.list = parse_expression();
        expect_kw("AS");
        u.var = parse_variable();
        c.body = std::move(u);
    } else if (accept_kw("WITH")) {
        c.keyword = "WITH";
        c.body = WithClause{parse_projection(true)};
    } else if (accept_kw("RETURN")) {
        c.keyword = "RETURN";
        c.body = ReturnClause{parse_projection(false)};
    } else if (accept_kw("CREATE")) {
        c.keyword = "CREATE";
        c.body = CreateClause{parse_patterns(true)};
    } else if (accept_kw("SET")) {
        c.keyword = "SET";
        c.body = parse_set();
    } else if (accept_kw("REMOVE")) {
        c.keyword = "REMOVE";
        c.body = parse_remove();
    } else if (accept_kw("DELETE")) {
        c.keyword = "DELETE";
        DeleteClause d;
        do {
            d.targets.push_back(parse_expression());
        } while (accept_sym(","));
        c.body = std::move(d);
    } else if (accept_kw("DETACH")) {
        expect_kw("DELETE");
        c.keyword = "DETACH DELETE";
        DeleteClause d;
        d.detach = true;
        do {
            d.targets.push_back(parse_expression());
        } while (accept_sym(","));
        c.body = std::move(d);
    } else if (accept_kw("CALL")) {
        c.keyword = "CALL";
        c.body = parse_call();
    } else {
        if (q.clauses.empty()) {
            // What a statement may start with, for the error's list.
            for (auto kw : {"CREATE", "DROP", "SHOW", "START", "STOP", "TERMINATE"}) {
                note("'" + std::string(kw) + "'");
            }
        } else {
            note("end of input");
        }
        fail_expected();
    }
    q.clauses.push_back(std::move(c));
}

Projection Parser::parse_projection(bool is_with) {
    Projection p;
    if (accept_kw("DISTINCT")) {
        p.distinct = true;
    }
    bool first = true;
    if (accept_sym("*")) {
        p.star = true;
        first = false;
    }
    while (first || accept_sym(",")) {
        first = false;
        ProjectionItem item;
        item.expr = parse_expression();
        if (accept_kw("AS")) {
            item.name = parse_variable();
            item.aliased = true;
        } else {
            item.name = std::string(query_.substr(item.expr->begin, item.expr->end - item.expr->begin));
        }
        p.items.push_back(std::move(item));
    }
    parse_order_skip_limit(p);
    if (is_with && accept_kw("WHERE")) {
        p.where = parse_expression();
    }
    return p;
}

void Parser::parse_order_skip_limit(Projection& p) {
    if (accept_kw("ORDER")) {
        expect_kw("BY");
        do {
            SortItem s;
            s.expr = parse_expression();
            if (accept_kw("DESC") || accept_kw("DESCENDING")) {
                s.descending = true;
            } else if (accept_kw("ASC") || accept_kw("ASCENDING")) {
                s.descending = false;
            }
            p.order_by.push_back(std::move(s));
        } while (accept_sym(","));
    }
    if (accept_kw("SKIP")) {
        p.skip = parse_expression();
    }
    if (accept_kw("LIMIT")) {
        p.limit = parse_expression();
    }
}

// `n.a.b` as the target of SET/REMOVE: returns the entity expression (`n.a`)
// and sets `key` to the last property name (`b`).
ExprPtr Parser::parse_property_target(std::string& key) {
    size_t begin = peek().offset;
    auto target = make(ExprKind::Variable, begin);
    target->name = parse_variable();
    target->end = last_end();
    expect_sym(".");
    key = parse_name("a property key name");
    while (at_sym(".")) {
        advance();
        auto outer = make(ExprKind::Property, begin);
        outer->name = key;
        outer->children.push_back(std::move(target));
        outer->end = last_end();
        target = std::move(outer);
        key = parse_name("a property key name");
    }
    return target;
}

SetClause Parser::parse_set() {
    SetClause s;
    do {
        SetItem item;
        item.offset = peek().offset;
        if (at_name() && (at_sym(":", 1) || at_sym("=", 1) || at_sym("+=", 1))) {
            auto var = make(ExprKind::Variable, peek().offset);
            var->name = advance().text;
            var->end = last_end();
            item.target = std::move(var);
            if (accept_sym(":")) {
                item.kind = SetKind::Labels;
                do {
                    item.labels.push_back(parse_name("a label name"));
                } while (accept_sym(":"));
            } else if (accept_sym("=")) {
                item.kind = SetKind::Replace;
                item.value = parse_expression();
            } else {
                expect_sym("+=");
                item.kind = SetKind::Merge;
                item.value = parse_expression();
            }
        } else {
            item.kind = SetKind::Property;
            item.target = parse_property_target(item.key);
            expect_sym("=");
            item.value = parse_expression();
        }
        s.items.push_back(std::move(item));
    } while (accept_sym(","));
    return s;
}

RemoveClause Parser::parse_remove() {
    RemoveClause r;
    do {
        RemoveItem item;
        if (at_name() && at_sym(":", 1)) {
            auto var = make(ExprKind::Variable, peek().offset);
            var->name = advance().text;
            var->end = last_end();
            item.target = std::move(var);
            item.is_label = true;
            while (accept_sym(":")) {
                item.labels.push_back(parse_name("a label name"));
            }
        } else {
            item.target = parse_property_target(item.key);
        }
        r.items.push_back(std::move(item));
    } while (accept_sym(","));
    return r;
}

CallClause Parser::parse_call() {
    CallClause c;
    c.name_offset = peek().offset;
    if (at_sym("{") || at_sym("(")) {
        fail_unsupported(peek(), "a CALL subquery");
    }
    c.procedure = parse_name("a procedure name");
    while (accept_sym(".")) {
        c.procedure += "." + parse_name("a procedure name");
    }
    expect_sym("(");
    if (!at_sym(")")) {
        do {
            c.args.push_back(parse_expression());
        } while (accept_sym(","));
    }
    expect_sym(")");
    if (accept_kw("YIELD")) {
        if (accept_sym("*")) {
            c.yield_all = true;
        } else {
            do {
                YieldItem y;
                y.offset = peek().offset;
                y.field = parse_name("a procedure output name");
                y.alias = y.field;
                if (accept_kw("AS")) {
                    y.alias = parse_variable();
                }
                c.yields.push_back(std::move(y));
            } while (accept_sym(","));
        }
        if (accept_kw("WHERE")) {
            c.where = parse_expression();
        }
    } else {
        // Without YIELD only a standalone call names its results implicitly;
        // the checker refuses it inside a larger query.
        c.yield_all = true;
    }
    return c;
}

}  // namespace refhost::cypher

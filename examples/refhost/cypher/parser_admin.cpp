// examples/refhost/cypher/parser_admin.cpp: database administration
// (CREATE/DROP/START/STOP DATABASE), SHOW commands and TERMINATE
// TRANSACTIONS. Database names may be
// `quoted`, $parameters, or written unquoted with dashes and dots as Neo4j's
// documentation does (`CREATE DATABASE foo-new-replica`).
#include "cypher/parser_impl.hpp"
#include "cypher/query_error.hpp"
#include "cypher/show_columns.hpp"
#include "cypher/text.hpp"

namespace refhost::cypher {

NameRef Parser::parse_database_name() {
    NameRef n;
    const Token& t = peek();
    n.offset = t.offset;
    if (t.kind == TokenKind::Parameter) {
        n.parameter = advance().text;
        return n;
    }
    if (t.kind == TokenKind::QuotedIdentifier) {
        // Neo4j normalizes database names to lower case.
        n.literal = ascii_lower(advance().text);
        return n;
    }
    if (t.kind != TokenKind::Identifier) {
        note("a database name");
        note("a parameter");
        fail_expected();
    }
    // Unquoted: glue the tokens written without spaces: foo-new-replica, a.b, db-2.
    std::string name = advance().text;
    for (;;) {
        const Token& sep = peek();
        const Token& part = peek(1);
        bool glued = sep.kind == TokenKind::Symbol && (sep.text == "-" || sep.text == ".") &&
                     sep.offset == last_end() && part.offset == sep.end &&
                     (part.kind == TokenKind::Identifier || part.kind == TokenKind::Integer);
        if (!glued) {
            break;
        }
        advance();
        name += sep.text + advance().text;
    }
    n.literal = ascii_lower(name);
    return n;
}

ExprPtr Parser::parse_topology_count() {
    const Token& t = peek();
    if (t.kind == TokenKind::Integer) {
        advance();
        return parse_integer(t, false, t.offset);
    }
    if (t.kind == TokenKind::Parameter) {
        auto e = make(ExprKind::Parameter, t.offset);
        e->name = advance().text;
        e->end = t.end;
        return e;
    }
    note("an integer");
    note("a parameter");
    fail_expected();
}

void Parser::parse_wait(AdminCommand& c) {
    if (accept_kw("WAIT")) {
        c.wait = true;
        // `WAIT 10 SECONDS`: the refhost waits as long as the DBMS's own
        // timeout allows; the number is accepted for compatibility.
        if (peek().kind == TokenKind::Integer) {
            advance();
            if (!accept_kw("SEC") && !accept_kw("SECOND")) {
                accept_kw("SECONDS");
            }
        }
    } else if (!accept_kw("NOWAIT")) {
        note("end of input");
    }
}

// After TOPOLOGY: n PRIMARY|PRIMARIES [m SECONDARY|SECONDARIES].
void Parser::parse_topology_spec(AdminCommand& c) {
    TopologySpec topo;
    topo.primaries = parse_topology_count();
    if (!accept_kw("PRIMARY")) {
        expect_kw("PRIMARIES");
    }
    if (peek().kind == TokenKind::Integer || peek().kind == TokenKind::Parameter) {
        topo.secondaries = parse_topology_count();
        if (!accept_kw("SECONDARY")) {
            expect_kw("SECONDARIES");
        }
    }
    for (const auto* e : {topo.primaries.get(), topo.secondaries.get()}) {
        if (e != nullptr && e->kind == ExprKind::Parameter) {
            c.parameters.push_back(e->name);
        }
    }
    c.topology = std::move(topo);
}

// After ALTER DATABASE name: [IF EXISTS] SET ACCESS READ {ONLY | WRITE}
// and/or SET TOPOLOGY ..., each at most once (Neo4j's syntax).
void Parser::parse_alter_database(AdminCommand& c) {
    if (accept_kw("IF")) {
        expect_kw("EXISTS");
        c.if_exists = true;
    }
    bool any = false;
    while (at_kw("SET") || !any) {
        expect_kw("SET");
        const Token& what = peek();
        if (accept_kw("ACCESS")) {
            if (c.read_only) {
                fail_at(what.offset, "Duplicate SET ACCESS clause");
            }
            expect_kw("READ");
            if (accept_kw("ONLY")) {
                c.read_only = true;
            } else {
                expect_kw("WRITE");
                c.read_only = false;
            }
        } else if (accept_kw("TOPOLOGY")) {
            if (c.topology) {
                fail_at(what.offset, "Duplicate SET TOPOLOGY clause");
            }
            parse_topology_spec(c);
        } else if (at_kw("OPTION")) {
            fail_unsupported(what, "ALTER DATABASE ... SET OPTION");
        } else {
            note("ACCESS");
            note("TOPOLOGY");
            fail_expected();
        }
        any = true;
    }
    if (at_kw("REMOVE")) {
        fail_unsupported(peek(), "ALTER DATABASE ... REMOVE OPTION");
    }
}

AdminCommand Parser::parse_admin() {
    AdminCommand c;
    const Token& verb = advance();
    c.offset = verb.offset;
    if (is_kw(verb, "CREATE")) {
        c.kind = AdminKind::CreateDatabase;
        if (at_kw("OR")) {
            fail_unsupported(peek(), "CREATE OR REPLACE DATABASE");
        }
    } else if (is_kw(verb, "DROP")) {
        c.kind = AdminKind::DropDatabase;
    } else if (is_kw(verb, "START")) {
        c.kind = AdminKind::StartDatabase;
    } else if (is_kw(verb, "ALTER")) {
        c.kind = AdminKind::AlterDatabase;
    } else {
        c.kind = AdminKind::StopDatabase;
    }
    expect_kw("DATABASE");
    c.name = parse_database_name();
    if (!c.name.parameter.empty()) {
        c.parameters.push_back(c.name.parameter);
    }
    if (c.kind == AdminKind::CreateDatabase) {
        if (accept_kw("IF")) {
            expect_kw("NOT");
            expect_kw("EXISTS");
            c.if_not_exists = true;
        }
        if (accept_kw("TOPOLOGY")) {
            parse_topology_spec(c);
        }
        if (at_kw("OPTIONS")) {
            fail_unsupported(peek(), "CREATE DATABASE ... OPTIONS");
        }
    } else if (c.kind == AdminKind::AlterDatabase) {
        parse_alter_database(c);
    } else if (c.kind == AdminKind::DropDatabase) {
        if (accept_kw("IF")) {
            expect_kw("EXISTS");
            c.if_exists = true;
        }
        if (at_kw("DUMP") || at_kw("CASCADE") || at_kw("RESTRICT")) {
            fail_unsupported(peek(), "DROP DATABASE ... " + peek().text);
        }
        if (accept_kw("DESTROY")) {  // what DROP does anyway
            expect_kw("DATA");
        }
    }
    parse_wait(c);
    return c;
}

// 'id', 'id2' or $ids: the transaction ids of SHOW/TERMINATE TRANSACTIONS.
void Parser::parse_transaction_ids(std::vector<ExprPtr>& ids, bool required) {
    for (;;) {
        const Token& t = peek();
        if (t.kind == TokenKind::String) {
            auto e = make(ExprKind::Literal, t.offset);
            e->value = Value(advance().text);
            e->end = t.end;
            ids.push_back(std::move(e));
        } else if (t.kind == TokenKind::Parameter) {
            auto e = make(ExprKind::Parameter, t.offset);
            e->name = advance().text;
            e->end = t.end;
            ids.push_back(std::move(e));
        } else if (required || !ids.empty()) {
            note("a transaction id (a string)");
            note("a parameter");
            fail_expected();
        } else {
            return;
        }
        if (!accept_sym(",")) {
            return;
        }
    }
}

Query Parser::parse_show() {
    Query q;
    Clause show;
    const Token& verb = advance();
    show.offset = verb.offset;
    show.keyword = is_kw(verb, "TERMINATE") ? "TERMINATE" : "SHOW";
    ShowClause s;
    if (show.keyword == "TERMINATE") {
        if (!accept_kw("TRANSACTION")) {
            expect_kw("TRANSACTIONS");
        }
        s.kind = ShowKind::TerminateTransactions;
        parse_transaction_ids(s.transaction_ids, true);
        if (at_kw("WHERE")) {
            fail_at(peek().offset, "`WHERE` clause without `YIELD` clause. Use 'TERMINATE TRANSACTION ... YIELD ... "
                                   "WHERE ...'.");
        }
    } else if (accept_kw("TRANSACTION") || accept_kw("TRANSACTIONS")) {
        s.kind = ShowKind::Transactions;
        parse_transaction_ids(s.transaction_ids, false);
    } else if (accept_kw("DATABASE") || accept_kw("DATABASES")) {
        s.kind = ShowKind::Databases;
        if (peek().kind == TokenKind::Parameter || peek().kind == TokenKind::QuotedIdentifier ||
            (peek().kind == TokenKind::Identifier && !at_kw("YIELD") && !at_kw("WHERE"))) {
            s.database = parse_database_name();
        }
    } else if (accept_kw("DEFAULT")) {
        expect_kw("DATABASE");
        s.kind = ShowKind::DefaultDatabase;
    } else if (accept_kw("HOME")) {
        expect_kw("DATABASE");
        s.kind = ShowKind::HomeDatabase;
    } else if (accept_kw("SERVER") || accept_kw("SERVERS")) {
        s.kind = ShowKind::Servers;
    } else if (accept_kw("PROCEDURE") || accept_kw("PROCEDURES")) {
        s.kind = ShowKind::Procedures;
        if (at_kw("EXECUTABLE")) {
            fail_unsupported(peek(), "SHOW PROCEDURES EXECUTABLE");
        }
    } else if (accept_kw("USER") || accept_kw("USERS")) {
        s.kind = ShowKind::Users;
        if (at_kw("PRIVILEGE") || at_kw("PRIVILEGES") || at_kw("WITH")) {
            fail_unsupported(peek(), "SHOW USERS " + peek().text);
        }
    } else if (accept_kw("CURRENT")) {
        expect_kw("USER");
        s.kind = ShowKind::CurrentUser;
    } else if (at_kw("ROLE") || at_kw("ROLES") || ((at_kw("ALL") || at_kw("POPULATED")) &&
                                                   (at_kw("ROLE", 1) || at_kw("ROLES", 1)))) {
        s.kind = ShowKind::Roles;
        s.populated_only = accept_kw("POPULATED");
        accept_kw("ALL");
        if (!accept_kw("ROLE")) {
            expect_kw("ROLES");
        }
        if (accept_kw("WITH")) {
            if (!accept_kw("USER")) {
                expect_kw("USERS");
            }
            s.with_users = true;
        }
        if (at_kw("PRIVILEGE") || at_kw("PRIVILEGES")) {
            fail_unsupported(peek(), "SHOW ROLE ... PRIVILEGES");
        }
    } else {
        fail_expected();
    }
    ShowColumns cols = show_columns(s.kind);
    s.all_columns = cols.all;
    s.default_columns = cols.defaults;
    if (s.with_users) {
        s.all_columns = s.default_columns = {"role", "member"};
    }

    auto column_item = [&](const std::string& field, const std::string& alias, size_t at) {
        ProjectionItem item;
        item.expr = make(ExprKind::Variable, at);
        item.expr->name = field;
        item.expr->end = at;
        item.name = alias;
        item.aliased = true;
        return item;
    };
    Clause with;
    with.keyword = "YIELD";
    Projection proj;
    std::optional<Clause> ret;
    if (accept_kw("WHERE")) {
        s.where = parse_expression();
    }
    if (!s.where && accept_kw("YIELD")) {
        with.offset = tokens_[pos_ - 1].offset;
        if (accept_sym("*")) {
            for (const auto& c : s.all_columns) {
                proj.items.push_back(column_item(c, c, with.offset));
            }
        } else {
            do {
                size_t at = peek().offset;
                std::string field = parse_name("a column name");
                std::string alias = field;
                if (accept_kw("AS")) {
                    alias = parse_variable();
                }
                proj.items.push_back(column_item(field, alias, at));
            } while (accept_sym(","));
        }
        parse_order_skip_limit(proj);
        if (accept_kw("WHERE")) {
            proj.where = parse_expression();
        }
        if (accept_kw("RETURN")) {
            Clause r;
            r.offset = tokens_[pos_ - 1].offset;
            r.keyword = "RETURN";
            r.body = ReturnClause{parse_projection(false)};
            ret = std::move(r);
        }
    } else {
        with.offset = show.offset;
        for (const auto& c : s.default_columns) {
            proj.items.push_back(column_item(c, c, show.offset));
        }
    }
    show.body = std::move(s);
    with.body = WithClause{std::move(proj)};
    q.clauses.push_back(std::move(show));
    q.clauses.push_back(std::move(with));
    if (ret) {
        q.clauses.push_back(std::move(*ret));
    }
    return q;
}

}  // namespace refhost::cypher

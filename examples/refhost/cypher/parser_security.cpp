// examples/refhost/cypher/parser_security.cpp: user and role administration
// as Neo4j writes it (Cypher Manual, "Manage users", "Manage roles"):
//
//   CREATE USER name [IF NOT EXISTS] SET [PLAINTEXT] PASSWORD pw
//       [[SET PASSWORD] CHANGE [NOT] REQUIRED] [SET STATUS ACTIVE]
//   ALTER USER name [IF EXISTS] SET {[PLAINTEXT] PASSWORD pw [CHANGE [NOT] REQUIRED]
//       | PASSWORD CHANGE [NOT] REQUIRED | STATUS ACTIVE} [SET ...]...
//   ALTER CURRENT USER SET PASSWORD FROM pw TO pw
//   DROP USER name [IF EXISTS]
//   GRANT ROLE[S] role[, ...] TO user[, ...]
//   REVOKE ROLE[S] role[, ...] FROM user[, ...]
//
// Names are symbolic names (`quoted` for other characters) or $parameters;
// passwords are string literals or $parameters. What Neo4j has and the
// refhost does not (custom roles, privileges, encrypted passwords, suspended
// users, home databases) is refused by name.
#include "cypher/parser_impl.hpp"
#include "cypher/query_error.hpp"

namespace refhost::cypher {

namespace {

void remember(SecurityCommand& c, const NameRef& n) {
    if (!n.parameter.empty()) {
        c.parameters.push_back(n.parameter);
    }
}

void remember(SecurityCommand& c, const std::optional<SecretRef>& s) {
    if (s && !s->parameter.empty()) {
        c.parameters.push_back(s->parameter);
    }
}

}  // namespace

bool Parser::at_security_command() const {
    if (at_kw("CREATE") || at_kw("DROP")) {
        size_t k = at_kw("OR", 1) && at_kw("REPLACE", 2) ? 3 : 1;
        return at_kw("USER", k) || at_kw("ROLE", k);
    }
    if (at_kw("ALTER")) {
        return at_kw("USER", 1) || (at_kw("CURRENT", 1) && at_kw("USER", 2)) || at_kw("ROLE", 1);
    }
    return at_kw("GRANT") || at_kw("REVOKE") || at_kw("DENY");
}

NameRef Parser::parse_symbolic_name(const char* what) {
    NameRef n;
    const Token& t = peek();
    n.offset = t.offset;
    if (t.kind == TokenKind::Parameter) {
        n.parameter = advance().text;
        return n;
    }
    if (t.kind == TokenKind::Identifier || t.kind == TokenKind::QuotedIdentifier) {
        n.literal = advance().text;  // user and role names keep their case
        return n;
    }
    note(what);
    note("a parameter");
    fail_expected();
}

SecretRef Parser::parse_password() {
    SecretRef s;
    const Token& t = peek();
    if (t.kind == TokenKind::String) {
        s.literal = advance().text;
        return s;
    }
    if (t.kind == TokenKind::Parameter) {
        s.parameter = advance().text;
        return s;
    }
    note("a string");
    note("a parameter");
    fail_expected();
}

// [SET PASSWORD] CHANGE [NOT] REQUIRED, the CHANGE already seen.
bool Parser::parse_change_required() {
    bool required = !accept_kw("NOT");
    expect_kw("REQUIRED");
    return required;
}

// One SET item of CREATE USER / ALTER USER, after SET.
void Parser::parse_user_set_item(SecurityCommand& c) {
    if (at_kw("ENCRYPTED")) {
        fail_unsupported(peek(), "SET ENCRYPTED PASSWORD");
    }
    if (accept_kw("PLAINTEXT")) {
        expect_kw("PASSWORD");
        c.password = parse_password();
        if (accept_kw("CHANGE")) {
            c.change_required = parse_change_required();
        }
        return;
    }
    if (accept_kw("PASSWORD")) {
        if (accept_kw("CHANGE")) {
            c.change_required = parse_change_required();
            return;
        }
        if (c.password) {
            fail_at(peek().offset, "Duplicate SET PASSWORD clause");
        }
        c.password = parse_password();
        if (accept_kw("CHANGE")) {
            c.change_required = parse_change_required();
        }
        return;
    }
    if (accept_kw("STATUS")) {
        if (at_kw("SUSPENDED")) {
            fail_unsupported(peek(), "SET STATUS SUSPENDED (the refhost has no suspended users)");
        }
        expect_kw("ACTIVE");
        c.status_active = true;
        return;
    }
    if (at_kw("HOME") || at_kw("AUTH")) {
        fail_unsupported(peek(), "SET " + peek().text);
    }
    note("'PASSWORD'");
    note("'PLAINTEXT'");
    note("'STATUS'");
    fail_expected();
}

SecurityCommand Parser::parse_security() {
    SecurityCommand c;
    const Token& verb = advance();
    c.offset = verb.offset;
    if (is_kw(verb, "DENY")) {
        fail_unsupported(verb, "DENY (privileges)");
    }
    if (is_kw(verb, "CREATE") || is_kw(verb, "DROP") || is_kw(verb, "ALTER")) {
        if (at_kw("OR")) {
            fail_unsupported(peek(), std::string(is_kw(verb, "CREATE") ? "CREATE" : verb.text) + " OR REPLACE");
        }
        if (at_kw("ROLE")) {
            fail_unsupported(peek(), "CREATE, ALTER and DROP ROLE (the refhost has the built-in roles only: PUBLIC, "
                                     "admin, architect, editor, publisher, reader)");
        }
    }
    if (is_kw(verb, "ALTER") && accept_kw("CURRENT")) {
        c.kind = SecurityKind::AlterCurrentUser;
        expect_kw("USER");
        expect_kw("SET");
        expect_kw("PASSWORD");
        expect_kw("FROM");
        c.old_password = parse_password();
        expect_kw("TO");
        c.password = parse_password();
    } else if (is_kw(verb, "CREATE") || is_kw(verb, "ALTER") || is_kw(verb, "DROP")) {
        c.kind = is_kw(verb, "CREATE") ? SecurityKind::CreateUser
                 : is_kw(verb, "ALTER") ? SecurityKind::AlterUser
                                        : SecurityKind::DropUser;
        expect_kw("USER");
        c.users.push_back(parse_symbolic_name("a user name"));
        if (accept_kw("IF")) {
            if (c.kind == SecurityKind::CreateUser) {
                expect_kw("NOT");
                c.if_not_exists = true;
            } else {
                c.if_exists = true;
            }
            expect_kw("EXISTS");
        }
        if (c.kind == SecurityKind::CreateUser) {
            expect_kw("SET");
            parse_user_set_item(c);
            if (!c.password) {
                fail_at(c.offset, "CREATE USER needs a password: SET [PLAINTEXT] PASSWORD 'password'");
            }
            while (accept_kw("SET")) {
                parse_user_set_item(c);
            }
        } else if (c.kind == SecurityKind::AlterUser) {
            if (at_kw("REMOVE")) {
                fail_unsupported(peek(), "ALTER USER ... REMOVE");
            }
            expect_kw("SET");
            do {
                parse_user_set_item(c);
            } while (accept_kw("SET"));
        }
    } else {
        // GRANT / REVOKE
        bool grant = is_kw(verb, "GRANT");
        if (!accept_kw("ROLE") && !accept_kw("ROLES")) {
            fail_unsupported(peek(), std::string(grant ? "GRANT" : "REVOKE") +
                                         " of privileges (the refhost grants and revokes roles only: " +
                                         (grant ? "GRANT ROLE r TO u" : "REVOKE ROLE r FROM u") + ")");
        }
        c.kind = grant ? SecurityKind::GrantRole : SecurityKind::RevokeRole;
        do {
            c.roles.push_back(parse_symbolic_name("a role name"));
        } while (accept_sym(","));
        expect_kw(grant ? "TO" : "FROM");
        do {
            c.users.push_back(parse_symbolic_name("a user name"));
        } while (accept_sym(","));
    }
    for (const auto& n : c.users) {
        remember(c, n);
    }
    for (const auto& n : c.roles) {
        remember(c, n);
    }
    remember(c, c.password);
    remember(c, c.old_password);
    return c;
}

}  // namespace refhost::cypher

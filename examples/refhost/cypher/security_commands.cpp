#include "cypher/security_commands.hpp"

#include "common/status_codes.hpp"
#include "cypher/query_error.hpp"
#include "cypher/show.hpp"
#include "cypher/values.hpp"
#include "security/privileges.hpp"

#include <algorithm>
#include <set>

namespace refhost::cypher {

namespace {

[[noreturn]] void fail(const Error& e) { throw QueryError(e); }

[[noreturn]] void fail(const status::Code& code, std::string message) {
    throw QueryError(make_error(code, std::move(message)));
}

std::string resolve(const NameRef& n, const Map& params, const char* what) {
    if (n.parameter.empty()) {
        return n.literal;
    }
    const Value& v = params.at(n.parameter);
    if (!v.is<std::string>()) {
        fail(status::kTypeError, "Expected parameter $" + n.parameter + " to be a STRING (" + what + ") but was " +
                                     type_name(v));
    }
    return v.as<std::string>();
}

// The value is never put into an error message.
std::string resolve(const SecretRef& s, const Map& params) {
    if (s.parameter.empty()) {
        return s.literal;
    }
    const Value& v = params.at(s.parameter);
    if (!v.is<std::string>()) {
        fail(status::kTypeError, "Only STRING values are accepted as password, got: " + type_name(v));
    }
    return v.as<std::string>();
}

// Neo4j's privilege names, for "Permission denied for ...".
std::string action_name(const SecurityCommand& c) {
    switch (c.kind) {
        case SecurityKind::CreateUser: return "CREATE USER";
        case SecurityKind::DropUser: return "DROP USER";
        case SecurityKind::AlterUser: {
            bool passwords = c.password || c.change_required;
            if (passwords && c.status_active) {
                return "SET PASSWORDS and/or SET USER STATUS";
            }
            return passwords ? "SET PASSWORDS" : "SET USER STATUS";
        }
        case SecurityKind::GrantRole: return "ASSIGN ROLE";
        case SecurityKind::RevokeRole: return "REMOVE ROLE";
        case SecurityKind::AlterCurrentUser: return "ALTER CURRENT USER";
    }
    return "?";
}

// GRANT/REVOKE with several roles or users: every pair is checked before
// the first change, so an unknown role or user changes nothing.
int64_t grant_or_revoke(const SecurityCommand& c, const Map& params, QueryContext& qc, UserAdmin& admin) {
    const bool grant = c.kind == SecurityKind::GrantRole;
    std::vector<std::string> roles, users;
    for (const auto& r : c.roles) {
        roles.push_back(resolve(r, params, "a role name"));
    }
    for (const auto& u : c.users) {
        users.push_back(resolve(u, params, "a user name"));
    }
    std::set<std::string> known;
    for (const auto& u : admin.users()) {
        known.insert(u.name);
    }
    for (const auto& role : roles) {
        for (const auto& user : users) {
            std::string failed = grant ? "Failed to grant role '" + role + "' to user '" + user + "': "
                                       : "Failed to revoke role '" + role + "' from user '" + user + "': ";
            if (!security::is_builtin_role(role)) {
                fail(status::kRoleNotFound, failed + "Role does not exist.");
            }
            if (known.count(user) == 0) {
                fail(status::kUserNotFound, failed + "User does not exist.");
            }
            if (!grant && role == security::kPublic) {
                fail(status::kInvalidArguments, failed + "The PUBLIC role cannot be revoked.");
            }
        }
    }
    int64_t changed = 0;
    for (const auto& role : roles) {
        for (const auto& user : users) {
            auto r = grant ? admin.grant_role(role, user, qc.user) : admin.revoke_role(role, user, qc.user);
            if (!r) {
                fail(r.error());
            }
            changed += r.value() ? 1 : 0;
        }
    }
    return changed;
}

}  // namespace

QueryResult run_security(const SecurityCommand& c, const Map& params, QueryContext& qc) {
    UserAdmin* admin = qc.dbms.user_admin();
    if (admin == nullptr) {
        fail(status::kUnsupportedAdministrationCommand, "This DBMS has no user administration.");
    }
    if (c.kind != SecurityKind::AlterCurrentUser && !security::privileges_of(qc.user.roles).admin) {
        fail(status::kForbidden, permission_denied(action_name(c)));
    }
    int64_t changed = 0;
    switch (c.kind) {
        case SecurityKind::CreateUser: {
            std::string name = resolve(c.users.front(), params, "a user name");
            auto r = admin->create_user(name, resolve(*c.password, params), c.change_required.value_or(true),
                                        c.if_not_exists, qc.user);
            if (!r) {
                fail(r.error());
            }
            changed = r.value() ? 1 : 0;
            break;
        }
        case SecurityKind::AlterUser: {
            std::string name = resolve(c.users.front(), params, "a user name");
            UserChange change;
            if (c.password) {
                change.password = resolve(*c.password, params);
            }
            change.password_change_required = c.change_required;
            auto r = admin->alter_user(name, change, c.if_exists, qc.user);
            if (!r) {
                fail(r.error());
            }
            changed = r.value() ? 1 : 0;
            break;
        }
        case SecurityKind::DropUser: {
            auto r = admin->drop_user(resolve(c.users.front(), params, "a user name"), c.if_exists, qc.user);
            if (!r) {
                fail(r.error());
            }
            changed = r.value() ? 1 : 0;
            break;
        }
        case SecurityKind::GrantRole:
        case SecurityKind::RevokeRole:
            changed = grant_or_revoke(c, params, qc, *admin);
            break;
        case SecurityKind::AlterCurrentUser: {
            Done d = admin->change_own_password(qc.user, resolve(*c.old_password, params),
                                                resolve(*c.password, params));
            if (!d) {
                fail(d.error());
            }
            changed = 1;
            break;
        }
    }
    QueryResult out;
    out.type = "s";
    out.contains_system_updates = changed > 0;
    out.system_updates = changed;
    return out;
}

}  // namespace refhost::cypher

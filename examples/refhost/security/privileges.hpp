// examples/refhost/security/privileges.hpp: Neo4j's built-in roles and the
// data privileges each one grants, and Neo4j's way of naming a user in an
// authorization error. Header-only: the DBMS (transactions, user
// administration) and the Cypher engine (administration commands) both
// decide with it.
//
// Neo4j's defaults (Operations Manual, "Built-in roles"):
//   PUBLIC     every user; ACCESS to the default database, EXECUTE procedures
//   reader     ACCESS to every database, MATCH (read) on every graph
//   editor     reader + WRITE on every graph
//   publisher  editor + NAME MANAGEMENT (new labels, types, property keys)
//   architect  publisher + INDEX and CONSTRAINT MANAGEMENT
//   admin      architect + DATABASE and DBMS administration (users, roles,
//              databases, servers, admin procedures)
// The refhost keeps no token registry and no schema, so publisher and
// architect write exactly as editor does (docs/refhost.md, "Users and roles").
#pragma once

#include <algorithm>
#include <array>
#include <string>
#include <string_view>
#include <vector>

namespace refhost::security {

inline constexpr std::string_view kPublic = "PUBLIC";
inline constexpr std::string_view kAdmin = "admin";

// The built-in roles, in the order SHOW ROLES lists them (Neo4j sorts role
// names as Java strings: upper case first).
inline constexpr std::array<std::string_view, 6> kBuiltinRoles = {"PUBLIC",    "admin",     "architect",
                                                                  "editor",    "publisher", "reader"};

inline bool is_builtin_role(std::string_view role) {
    return std::find(kBuiltinRoles.begin(), kBuiltinRoles.end(), role) != kBuiltinRoles.end();
}

// What a set of roles may do with data. Administration is `admin`.
struct Privileges {
    bool access_every_database = false;  // else only the default database (PUBLIC)
    bool read = false;                   // MATCH: see nodes, relationships, properties
    bool write = false;                  // create, set, remove, delete
    bool admin = false;                  // administration commands, admin procedures
};

inline Privileges privileges_of(const std::vector<std::string>& roles) {
    Privileges p;
    for (const auto& r : roles) {
        if (r == "reader") {
            p.access_every_database = p.read = true;
        } else if (r == "editor" || r == "publisher" || r == "architect") {
            p.access_every_database = p.read = p.write = true;
        } else if (r == kAdmin) {
            p.access_every_database = p.read = p.write = p.admin = true;
        }
    }
    return p;
}

// The roles as Neo4j prints them in authorization errors: sorted, PUBLIC
// included, "[PUBLIC, reader]".
inline std::string role_list(std::vector<std::string> roles) {
    std::sort(roles.begin(), roles.end());
    roles.erase(std::unique(roles.begin(), roles.end()), roles.end());
    std::string out = "[";
    for (size_t i = 0; i < roles.size(); ++i) {
        out += (i == 0 ? "" : ", ") + roles[i];
    }
    return out + "]";
}

// "user 'alice' with roles [PUBLIC, reader]" (Neo4j's MessageUtil.withUser).
inline std::string describe_user(const std::string& user, const std::vector<std::string>& roles) {
    return "user '" + user + "' with " + (roles.empty() ? std::string("no roles") : "roles " + role_list(roles));
}

// Neo4j's message (Neo.ClientError.Security.CredentialsExpired) for a user
// whose password must be changed before anything else runs.
inline std::string credentials_expired_message() {
    return "Permission denied.\n\nThe credentials you provided were valid, but must be changed before you can use "
           "this instance. If this is the first time you are using Neo4j, this is to ensure you are not using the "
           "default credentials in production. If you are not using default credentials, you are getting this "
           "message because an administrator requires a password change.\nTo change your password, issue an "
           "`ALTER CURRENT USER SET PASSWORD FROM 'current password' TO 'new password'` statement against the "
           "system database.";
}

}  // namespace refhost::security

// examples/refhost/dbms/user_admin.hpp: users and their roles as the Cypher
// administration commands on `system` change them (CREATE/ALTER/DROP USER,
// GRANT/REVOKE ROLE, ALTER CURRENT USER SET PASSWORD, SHOW USERS/ROLES).
//
// The caller (the Cypher engine) checks that the acting user may run the
// command (admin); the implementation checks the arguments and the system
// database: unknown users and roles, duplicate users, the password policy,
// dropping oneself. Every error is a client error with Neo4j's message and
// changes nothing. A change is durable when the call returns and is seen at
// once by every server of the cluster: their next authentication and their
// sessions' next transaction.
//
// Passwords are plaintext only for the duration of a call: they are hashed
// (security/password.hpp) before they are stored and never logged.
#pragma once

#include "common/error.hpp"

#include <optional>
#include <string>
#include <vector>

namespace refhost {

struct AuthUser;

// One row of SHOW USERS.
struct UserRow {
    std::string name;
    std::vector<std::string> roles;  // sorted, PUBLIC included
    bool password_change_required = false;
    bool suspended = false;
};

// ALTER USER name SET ...: what changes (unset: unchanged).
struct UserChange {
    std::optional<std::string> password;
    std::optional<bool> password_change_required;
};

class UserAdmin {
public:
    virtual ~UserAdmin() = default;

    // Each returns whether the system database changed (false: an IF [NOT]
    // EXISTS made the command a no-op, or the role was already there / gone).
    virtual Outcome<bool> create_user(const std::string& name, const std::string& password,
                                      bool password_change_required, bool if_not_exists, const AuthUser& by) = 0;
    virtual Outcome<bool> alter_user(const std::string& name, const UserChange& change, bool if_exists,
                                     const AuthUser& by) = 0;
    virtual Outcome<bool> drop_user(const std::string& name, bool if_exists, const AuthUser& by) = 0;
    virtual Outcome<bool> grant_role(const std::string& role, const std::string& user, const AuthUser& by) = 0;
    virtual Outcome<bool> revoke_role(const std::string& role, const std::string& user, const AuthUser& by) = 0;
    // ALTER CURRENT USER SET PASSWORD FROM old TO new; clears "change required".
    virtual Done change_own_password(const AuthUser& me, const std::string& old_password,
                                     const std::string& new_password) = 0;

    // Every user, by name.
    virtual std::vector<UserRow> users() = 0;
};

}  // namespace refhost

// examples/refhost/security/user_directory.hpp: the users of one cluster, as
// the system database keeps them: authentication (basic scheme, PBKDF2
// hashes), the roles of a session as they are now, and the user and role
// administration of dbms/user_admin.hpp.
//
// Every logical server of the process shares the one directory, so a change
// is in force on every server as soon as the call returns: the next login
// checks the new hash, and a session's next transaction reads the new roles
// (current_user compares the security version its roles were read at).
// Changes are serialised by one lock (read-modify-write of a user record);
// each is one system transaction. Passwords are hashed before they are
// stored and appear in no log line and no error message.
#pragma once

#include "dbms/dbms_api.hpp"
#include "dbms/user_admin.hpp"
#include "system/system_db.hpp"

#include <spdlog/logger.h>

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace refhost {

struct UserDirectoryOptions {
    bool auth_enabled = true;
    // dbms.security.auth_minimum_password_length (Neo4j's default 8).
    int64_t minimum_password_length = 8;
};

class UserDirectory final : public UserAdmin {
public:
    UserDirectory(SystemDb& system, std::shared_ptr<spdlog::logger> log, UserDirectoryOptions options);

    Outcome<AuthUser> authenticate(const std::string& scheme, const std::string& principal,
                                   const std::string& credentials);
    Outcome<AuthUser> current_user(const AuthUser& session_user);

    // --- UserAdmin ---
    Outcome<bool> create_user(const std::string& name, const std::string& password, bool password_change_required,
                              bool if_not_exists, const AuthUser& by) override;
    Outcome<bool> alter_user(const std::string& name, const UserChange& change, bool if_exists,
                             const AuthUser& by) override;
    Outcome<bool> drop_user(const std::string& name, bool if_exists, const AuthUser& by) override;
    Outcome<bool> grant_role(const std::string& role, const std::string& user, const AuthUser& by) override;
    Outcome<bool> revoke_role(const std::string& role, const std::string& user, const AuthUser& by) override;
    Done change_own_password(const AuthUser& me, const std::string& old_password,
                             const std::string& new_password) override;
    std::vector<UserRow> users() override;

    // Bumped by every change; sessions compare it to their user's.
    uint64_t version() const { return version_.load(); }

private:
    // Neo4j's password policy: not empty, at least the minimum length.
    Done check_password(const std::string& password) const;
    // Stores `u` and bumps the version; an error names `what` failed.
    Done save(const UserRecord& u, const std::string& what);
    bool verify(const UserRecord& u, const std::string& password);
    AuthUser as_auth_user(const UserRecord& u) const;

    SystemDb& system_;
    std::shared_ptr<spdlog::logger> log_;
    UserDirectoryOptions options_;
    std::atomic<uint64_t> version_{1};

    std::mutex change_mu_;  // serialises read-modify-write of user records

    std::mutex auth_mu_;
    std::map<std::string, std::string> auth_cache_;  // user -> proof of the password last verified
    std::map<std::string, std::shared_ptr<std::mutex>> verifying_;  // user -> one PBKDF2 at a time
};

// Neo4j's rules for a user name: not empty, ASCII, no ',', ':' or white
// space; the reason when `name` breaks one.
Done check_user_name(const std::string& name);

}  // namespace refhost

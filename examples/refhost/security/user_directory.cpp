#include "security/user_directory.hpp"

#include "common/status_codes.hpp"
#include "security/password.hpp"
#include "security/privileges.hpp"
#include "store/file_util.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <cctype>

namespace refhost {

namespace {

// A proof that `password` was verified against `stored`: SHA-256 over a
// per-process key, the stored hash and the password. Lets repeated logins
// skip PBKDF2 without keeping the password; a new hash makes it stale.
std::string proof(std::string_view stored, std::string_view password) {
    static const std::string key = random_hex(32);
    EVP_MD_CTX* md = EVP_MD_CTX_new();
    EVP_DigestInit_ex(md, EVP_sha256(), nullptr);
    EVP_DigestUpdate(md, key.data(), key.size());
    EVP_DigestUpdate(md, stored.data(), stored.size());
    EVP_DigestUpdate(md, "\0", 1);
    EVP_DigestUpdate(md, password.data(), password.size());
    unsigned char d[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    EVP_DigestFinal_ex(md, d, &n);
    EVP_MD_CTX_free(md);
    return std::string(reinterpret_cast<const char*>(d), n);
}

Error unauthorized() {
    return make_error(status::kUnauthorized, "The client is unauthorized due to authentication failure.");
}

bool has_role(const UserRecord& u, const std::string& role) {
    return std::find(u.roles.begin(), u.roles.end(), role) != u.roles.end();
}

}  // namespace

Done check_user_name(const std::string& name) {
    if (name.empty()) {
        return make_error(status::kInvalidUserName, "The provided username is empty.");
    }
    for (unsigned char c : name) {
        if (c > 127 || c == ',' || c == ':' || std::isspace(c) != 0 || std::iscntrl(c) != 0) {
            return make_error(status::kInvalidUserName,
                              "Username '" + name +
                                  "' contains illegal characters. Use ascii characters that are not ',', ':' or "
                                  "whitespaces.");
        }
    }
    return done();
}

UserDirectory::UserDirectory(SystemDb& system, std::shared_ptr<spdlog::logger> log, UserDirectoryOptions options)
    : system_(system), log_(std::move(log)), options_(options) {}

AuthUser UserDirectory::as_auth_user(const UserRecord& u) const {
    AuthUser user{u.name, u.roles};
    user.roles.emplace_back(security::kPublic);
    user.credentials_expired = u.password_change_required;
    user.security_version = version_.load();
    return user;
}

bool UserDirectory::verify(const UserRecord& u, const std::string& password) {
    std::string p = proof(u.password_hash, password);
    auto cached = [&] {
        std::lock_guard lock(auth_mu_);
        auto it = auth_cache_.find(u.name);
        return it != auth_cache_.end() && it->second == p;
    };
    if (cached()) {
        return true;
    }
    // One PBKDF2 per user at a time: when hundreds of clients log in as the
    // same user at once, the first verifies and the others find the cache
    // filled, instead of each spending the hash's CPU time.
    std::shared_ptr<std::mutex> one_at_a_time;
    {
        std::lock_guard lock(auth_mu_);
        auto& m = verifying_[u.name];
        if (!m) {
            m = std::make_shared<std::mutex>();
        }
        one_at_a_time = m;
    }
    std::lock_guard verify(*one_at_a_time);
    if (cached()) {
        return true;
    }
    if (!verify_password(password, u.password_hash)) {
        return false;
    }
    std::lock_guard lock(auth_mu_);
    auth_cache_[u.name] = p;
    return true;
}

Outcome<AuthUser> UserDirectory::authenticate(const std::string& scheme, const std::string& principal,
                                              const std::string& credentials) {
    if (!options_.auth_enabled) {
        return AuthUser{principal, {std::string(security::kAdmin), std::string(security::kPublic)}};
    }
    if (scheme != "basic") {
        if (scheme == "none") {
            return unauthorized();
        }
        return make_error(status::kUnauthorized,
                          "Unsupported authentication token, scheme '" + scheme + "' is not supported.");
    }
    uint64_t version = version_.load();  // read before the record: a later change is seen as one
    auto u = system_.user(principal);
    if (!u || !verify(*u, credentials)) {
        return unauthorized();
    }
    AuthUser user = as_auth_user(*u);
    user.security_version = version;
    return user;
}

Outcome<AuthUser> UserDirectory::current_user(const AuthUser& session_user) {
    uint64_t version = version_.load();
    if (!options_.auth_enabled || session_user.security_version == version) {
        return session_user;
    }
    auto u = system_.user(session_user.name);
    if (!u) {
        return unauthorized();  // dropped since the login
    }
    AuthUser user = as_auth_user(*u);
    user.security_version = version;
    return user;
}

Done UserDirectory::check_password(const std::string& password) const {
    if (password.empty()) {
        return make_error(status::kInvalidPassword, "A password cannot be empty.");
    }
    if (static_cast<int64_t>(password.size()) < options_.minimum_password_length) {
        return make_error(status::kInvalidPassword, "A password must be at least " +
                                                        std::to_string(options_.minimum_password_length) +
                                                        " characters.");
    }
    return done();
}

Done UserDirectory::save(const UserRecord& u, const std::string& what) {
    ccdr::Status st = system_.save_user(u);
    if (!st) {
        return make_error(status::kUnknownError, what + ": " + st.message());
    }
    ++version_;
    return done();
}

Outcome<bool> UserDirectory::create_user(const std::string& name, const std::string& password,
                                         bool password_change_required, bool if_not_exists, const AuthUser& by) {
    Done valid = check_user_name(name);
    if (!valid) {
        return valid.error();
    }
    std::lock_guard lock(change_mu_);
    if (system_.user(name)) {
        if (if_not_exists) {
            return false;
        }
        return make_error(status::kUserAlreadyExists,
                          "Failed to create the specified user '" + name + "': User already exists.");
    }
    valid = check_password(password);
    if (!valid) {
        return valid.error();
    }
    Done saved = save(UserRecord{name, hash_password(password), {}, password_change_required},
                      "Failed to create the specified user '" + name + "'");
    if (!saved) {
        return saved.error();
    }
    log_->info("security: user '{}' created by '{}'{}", name, by.name,
               password_change_required ? " (password change required)" : "");
    return true;
}

Outcome<bool> UserDirectory::alter_user(const std::string& name, const UserChange& change, bool if_exists,
                                        const AuthUser& by) {
    std::lock_guard lock(change_mu_);
    auto u = system_.user(name);
    if (!u) {
        if (if_exists) {
            return false;
        }
        return make_error(status::kUserNotFound,
                          "Failed to alter the specified user '" + name + "': User does not exist.");
    }
    if (change.password) {
        Done valid = check_password(*change.password);
        if (!valid) {
            return valid.error();
        }
        if (verify_password(*change.password, u->password_hash)) {
            return make_error(status::kInvalidPassword, "Failed to alter the specified user '" + name +
                                                            "': Old password and new password cannot be the same.");
        }
        u->password_hash = hash_password(*change.password);
    }
    if (change.password_change_required) {
        u->password_change_required = *change.password_change_required;
    }
    Done saved = save(*u, "Failed to alter the specified user '" + name + "'");
    if (!saved) {
        return saved.error();
    }
    log_->info("security: user '{}' altered by '{}'{}{}", name, by.name, change.password ? " (new password)" : "",
               u->password_change_required ? " (password change required)" : "");
    return true;
}

Outcome<bool> UserDirectory::drop_user(const std::string& name, bool if_exists, const AuthUser& by) {
    if (name == by.name) {
        return make_error(status::kArgumentError,
                          "Failed to delete the specified user '" + name + "': Deleting yourself is not allowed.");
    }
    std::lock_guard lock(change_mu_);
    if (!system_.user(name)) {
        if (if_exists) {
            return false;
        }
        return make_error(status::kUserNotFound,
                          "Failed to delete the specified user '" + name + "': User does not exist.");
    }
    ccdr::Status st = system_.delete_user(name);
    if (!st) {
        return make_error(status::kUnknownError,
                          "Failed to delete the specified user '" + name + "': " + st.message());
    }
    ++version_;
    {
        std::lock_guard auth(auth_mu_);
        auth_cache_.erase(name);
    }
    log_->info("security: user '{}' dropped by '{}'", name, by.name);
    return true;
}

Outcome<bool> UserDirectory::grant_role(const std::string& role, const std::string& user, const AuthUser& by) {
    const std::string failed = "Failed to grant role '" + role + "' to user '" + user + "': ";
    if (!security::is_builtin_role(role)) {
        return make_error(status::kRoleNotFound, failed + "Role does not exist.");
    }
    std::lock_guard lock(change_mu_);
    auto u = system_.user(user);
    if (!u) {
        return make_error(status::kUserNotFound, failed + "User does not exist.");
    }
    if (role == security::kPublic || has_role(*u, role)) {
        return false;  // every user has PUBLIC; granting twice changes nothing
    }
    u->roles.push_back(role);
    std::sort(u->roles.begin(), u->roles.end());
    Done saved = save(*u, "Failed to grant role '" + role + "' to user '" + user + "'");
    if (!saved) {
        return saved.error();
    }
    log_->info("security: role '{}' granted to user '{}' by '{}'", role, user, by.name);
    return true;
}

Outcome<bool> UserDirectory::revoke_role(const std::string& role, const std::string& user, const AuthUser& by) {
    const std::string failed = "Failed to revoke role '" + role + "' from user '" + user + "': ";
    if (!security::is_builtin_role(role)) {
        return make_error(status::kRoleNotFound, failed + "Role does not exist.");
    }
    if (role == security::kPublic) {
        return make_error(status::kInvalidArguments, failed + "The PUBLIC role cannot be revoked.");
    }
    std::lock_guard lock(change_mu_);
    auto u = system_.user(user);
    if (!u) {
        return make_error(status::kUserNotFound, failed + "User does not exist.");
    }
    if (!has_role(*u, role)) {
        return false;  // revoking what is not granted changes nothing
    }
    u->roles.erase(std::remove(u->roles.begin(), u->roles.end(), role), u->roles.end());
    Done saved = save(*u, "Failed to revoke role '" + role + "' from user '" + user + "'");
    if (!saved) {
        return saved.error();
    }
    log_->info("security: role '{}' revoked from user '{}' by '{}'", role, user, by.name);
    return true;
}

Done UserDirectory::change_own_password(const AuthUser& me, const std::string& old_password,
                                        const std::string& new_password) {
    const std::string failed = "User '" + me.name + "' failed to alter their own password: ";
    Done valid = check_password(new_password);
    if (!valid) {
        return valid;
    }
    std::lock_guard lock(change_mu_);
    auto u = system_.user(me.name);
    if (!u) {
        return make_error(status::kUserNotFound, failed + "User does not exist.");
    }
    if (!verify_password(old_password, u->password_hash)) {
        return make_error(status::kInvalidArguments, failed + "Invalid principal or credentials.");
    }
    if (old_password == new_password) {
        return make_error(status::kInvalidPassword, failed + "Old password and new password cannot be the same.");
    }
    u->password_hash = hash_password(new_password);
    u->password_change_required = false;
    Done saved = save(*u, "User '" + me.name + "' failed to alter their own password");
    if (saved) {
        log_->info("security: user '{}' changed their own password", me.name);
    }
    return saved;
}

std::vector<UserRow> UserDirectory::users() {
    std::vector<UserRow> rows;
    for (auto& u : system_.users()) {
        UserRow row{u.name, u.roles, u.password_change_required, false};
        row.roles.emplace_back(security::kPublic);
        std::sort(row.roles.begin(), row.roles.end());
        rows.push_back(std::move(row));
    }
    return rows;
}

}  // namespace refhost

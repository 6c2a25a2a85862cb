#include "app/admin_commands.hpp"

#include "app/runtime.hpp"
#include "security/password.hpp"
#include "security/privileges.hpp"
#include "system/system_db.hpp"

namespace refhost {

namespace {

ccdr::Result<std::unique_ptr<SystemDb>> open_system(const std::filesystem::path& home) {
    auto config = Config::load(home, process_environment());
    if (!config) {
        return config.status();
    }
    return SystemDb::open(config->data_dir() / "system" / "system.db");
}

ccdr::Status put(const std::filesystem::path& home, const std::string& name, const std::string& role,
                 const std::string& password) {
    if (password.empty()) {
        return {CCDR_INVALID_ARGUMENT, "a password must not be empty"};
    }
    if (name.empty()) {
        return {CCDR_INVALID_ARGUMENT, "a user name must not be empty"};
    }
    auto db = open_system(home);
    if (!db) {
        return db.status();
    }
    return (*db)->put_user(UserRecord{name, hash_password(password), {role}});
}

}  // namespace

ccdr::Status set_initial_password(const std::filesystem::path& home, const std::string& password) {
    return put(home, "neo4j", "admin", password);
}

ccdr::Status add_user(const std::filesystem::path& home, const std::string& role, const std::string& name,
                      const std::string& password) {
    if (!security::is_builtin_role(role) || role == security::kPublic) {
        return {CCDR_INVALID_ARGUMENT,
                "unknown role '" + role + "' (expected admin, architect, publisher, editor or reader)"};
    }
    return put(home, name, role, password);
}

}  // namespace refhost

// examples/refhost/system/system_db.hpp: the system database, a SQLite file
// (data/system/system.db, WAL, synchronous=FULL): users, servers, databases
// and their members, database options. Every change to databases bumps the
// system transaction counter in the same SQLite transaction; it is the
// system database's last committed tx (bookmarks, SHOW DATABASES).
// Thread-safe: one mutex serialises access.
#pragma once

#include "common/value.hpp"
#include "store/sqlite.hpp"

#include <ccdr/abi.h>
#include <ccdr/status.hpp>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace refhost {

struct UserRecord {
    std::string name;
    std::string password_hash;
    std::vector<std::string> roles;  // without PUBLIC, which every user has
    bool password_change_required = false;
};

struct ServerRecord {
    std::string id;  // UUID, stable across restarts
    size_t index = 0;
    std::string name;
    std::string bolt_address;
    std::string cluster_address;
    std::string mode_constraint;
};

struct MemberRecord {
    std::string server_id;
    ccdr_member_role role = CCDR_ROLE_PRIMARY;
    bool writer = false;
};

struct DatabaseRecord {
    std::string name;
    ccdr_database_kind kind = CCDR_KIND_STANDARD;
    std::string store_id;
    uint64_t epoch = 1;
    uint32_t primaries = 1;
    uint32_t secondaries = 0;
    bool requested_online = true;
    // ALTER DATABASE ... SET ACCESS READ ONLY: writes refused on every
    // member, whatever the kind (a replica is read-only anyway).
    bool read_only = false;
    // Why it is read-only (set_database_access's reason, e.g. a switchover
    // in progress): shown as every member's statusMessage while read-only;
    // empty once read-write again.
    std::string access_reason;
    int64_t created_ms = 0;
    int64_t started_ms = 0;  // 0: never
    int64_t stopped_ms = 0;  // 0: never
    Map options;
    std::vector<MemberRecord> members;
};

class SystemDb {
public:
    static ccdr::Result<std::unique_ptr<SystemDb>> open(const std::filesystem::path& file);

    std::string cluster_id();
    uint64_t system_tx();
    // Small named values ("default_database").
    std::string get_meta(const std::string& key);
    ccdr::Status put_meta(const std::string& key, const std::string& value);

    // --- users ---
    // Creates or replaces a user (the offline commands of a stopped HOME).
    ccdr::Status put_user(const UserRecord& u);
    // Creates or replaces a user, or deletes one, as a system transaction:
    // the change and the system tx counter in one SQLite transaction.
    ccdr::Status save_user(const UserRecord& u);
    ccdr::Status delete_user(const std::string& name);
    std::optional<UserRecord> user(const std::string& name);
    std::vector<UserRecord> users();

    // --- servers ---
    std::vector<ServerRecord> servers();
    ccdr::Status put_servers(const std::vector<ServerRecord>& servers);

    // --- databases ---
    bool initialised();
    // Writes the databases given (replacing their rows and members), deletes
    // those named in `dropped`, and marks the system initialised; one SQLite
    // transaction, one system tx.
    ccdr::Status save(const std::vector<DatabaseRecord>& changed, const std::vector<std::string>& dropped = {});
    ccdr::Result<std::vector<DatabaseRecord>> databases();

private:
    // Schema upgrade of an older home: `table` gets `column` unless it has it.
    // Only with the names of this file (they are not escaped).
    ccdr::Status add_column_if_missing(const std::string& table, const std::string& column,
                                       const std::string& declaration);
    SystemDb() = default;
    ccdr::Status in_transaction(const std::function<ccdr::Status()>& body);
    ccdr::Result<std::string> meta(const std::string& key);
    ccdr::Status set_meta(const std::string& key, const std::string& value);
    ccdr::Status write_user(const UserRecord& u);
    ccdr::Status bump_system_tx();

    std::mutex mu_;
    sql::Connection db_;
};

}  // namespace refhost

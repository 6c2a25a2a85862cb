// examples/refhost/dbms/dbms_api.hpp: what the client-facing layers (Bolt,
// Cypher, ccdr-shell's server side) ask of the DBMS: authentication,
// transactions on a member, administration, SHOW rows, routing, procedures.
// The DBMS (system database, allocation, stores, plugin instances)
// implements it; client layers depend on nothing else of it.
#pragma once

#include "common/error.hpp"
#include "common/value.hpp"
#include "store/graph.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace refhost {

enum class AccessMode { Read, Write };

struct AuthUser {
    std::string name;
    std::vector<std::string> roles;  // "admin", "reader", "PUBLIC"
    bool is_admin() const {
        for (const auto& r : roles) {
            if (r == "admin") {
                return true;
            }
        }
        return false;
    }
};

// A transaction on one member's store. Destroying it uncommitted rolls back.
class Transaction {
public:
    virtual ~Transaction() = default;
    virtual const std::string& database() const = 0;
    virtual AccessMode mode() const = 0;
    virtual GraphWriter& graph() = 0;
    // Makes the writes durable: plugin veto, a new tx id, the log record in
    // the same SQLite transaction, intra-cluster copies, after_commit.
    // Returns the bookmark of the commit ("<db>:<tx id>" style, opaque to
    // clients); a read-only transaction returns the member's current one.
    virtual Outcome<std::string> commit() = 0;
    virtual void rollback() = 0;
};

struct TopologyRequest {
    uint32_t primaries = 1;
    uint32_t secondaries = 0;
};

// One row of SHOW DATABASES: one member of one database (composite columns
// are always empty here). Column names are Neo4j's.
struct DatabaseRow {
    std::string name;
    std::string type;  // "system", "standard", "replica"
    List aliases;
    std::string access;  // "read-write", "read-only"
    std::string database_id;
    std::string server_id;
    std::optional<std::string> address;  // the member's Bolt address
    std::string role;                    // "primary", "secondary"
    bool writer = false;
    std::string requested_status;  // "online", "offline"
    std::string current_status;    // "online", "offline", "starting", "stopping", "store copying", "unknown"
    std::string status_message;
    bool is_default = false;
    bool is_home = false;
    int64_t current_primaries_count = 0;
    int64_t current_secondaries_count = 0;
    int64_t requested_primaries_count = 0;
    int64_t requested_secondaries_count = 0;
    DateTime creation_time;
    std::optional<DateTime> last_start_time;
    std::optional<DateTime> last_stop_time;
    std::string store;  // "sqlite-graph-1.0"
    int64_t last_committed_txn = 0;
    int64_t replication_lag = 0;  // <= 0: behind the most advanced member, in transactions
    Map options;
};

struct ServerRow {
    std::string server_id;
    std::string name;
    std::string address;  // Bolt
    std::string state;    // "Enabled"
    std::string health;   // "Available"
    std::vector<std::string> hosting;
    std::string mode_constraint;  // "NONE", "PRIMARY", "SECONDARY"
    std::string cluster_address;
};

struct RoutingTable {
    int64_t ttl_seconds = 300;
    std::string database;
    std::vector<std::string> writers;  // WRITE entry left out when empty
    std::vector<std::string> readers;
    std::vector<std::string> routers;
};

struct ProcedureInfo {
    std::string name;
    std::string signature;
    std::string description;
    std::string mode;  // "READ", "WRITE", "DBMS"
    bool admin_only = false;
};

// Receives procedure rows as they come.
using RowSink = std::function<void(List row)>;

class DbmsApi {
public:
    virtual ~DbmsApi() = default;

    // --- identity ---
    virtual size_t server_count() const = 0;
    virtual std::string server_bolt_address(size_t server) const = 0;
    virtual std::string server_id(size_t server) const = 0;
    virtual std::string default_database() const = 0;
    virtual std::string product_version() const = 0;  // "Neo4j/2026.03.0-refhost" style

    // --- security ---
    virtual bool auth_enabled() const = 0;
    // scheme "basic" or "none" (accepted only with auth disabled).
    virtual Outcome<AuthUser> authenticate(const std::string& scheme, const std::string& principal,
                                           const std::string& credentials) = 0;

    // --- transactions, on the member of `database` hosted by `server` ---
    // DatabaseNotFound, DatabaseUnavailable (not hosted here / offline).
    // Waits up to `bookmark_timeout` until the member has every bookmark.
    virtual Outcome<std::unique_ptr<Transaction>> begin(size_t server, const std::string& database, AccessMode mode,
                                                        const AuthUser& user,
                                                        const std::vector<std::string>& bookmarks,
                                                        std::chrono::milliseconds bookmark_timeout) = 0;

    // --- administration (admin role checked by the caller) ---
    virtual Done create_database(const std::string& name, bool if_not_exists, std::optional<TopologyRequest> topology,
                                 bool wait) = 0;
    virtual Done drop_database(const std::string& name, bool if_exists, bool wait) = 0;
    virtual Done start_database(const std::string& name, bool wait) = 0;
    virtual Done stop_database(const std::string& name, bool wait) = 0;

    // --- SHOW ---
    // Every member of every database (or of `name` only), ordered by
    // database name then server; as seen from `server` (home/default flags).
    virtual Outcome<std::vector<DatabaseRow>> show_databases(size_t server, const std::optional<std::string>& name,
                                                             const AuthUser& user) = 0;
    virtual std::vector<ServerRow> show_servers() = 0;

    // --- routing (Bolt ROUTE and dbms.routing.getRoutingTable) ---
    // An empty database name means the user's home (default) database.
    virtual Outcome<RoutingTable> routing_table(size_t server, const std::string& database) = 0;

    // --- procedures registered by plugins on `server` ---
    virtual std::vector<ProcedureInfo> plugin_procedures(size_t server) = 0;
    // Binds arguments (the plugin's declared signature), checks admin_only, calls.
    // Returns the output column names; rows go to `sink`.
    virtual Outcome<std::vector<std::string>> call_plugin_procedure(size_t server, const std::string& name,
                                                                    const List& args, const AuthUser& user,
                                                                    const std::string& session_database,
                                                                    const RowSink& sink) = 0;
};

}  // namespace refhost

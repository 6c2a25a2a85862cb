// examples/refhost/dbms/dbms_api.hpp: what the client-facing layers (Bolt,
// Cypher, ccdr-shell's server side) ask of the DBMS: authentication,
// transactions on a member, administration, SHOW rows, routing, procedures.
// The DBMS (system database, allocation, stores, plugin instances)
// implements it; client layers depend on nothing else of it.
#pragma once

#include "common/error.hpp"
#include "common/value.hpp"
#include "dbms/user_admin.hpp"
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
    // The password must be changed before anything but ALTER CURRENT USER
    // SET PASSWORD runs (Neo.ClientError.Security.CredentialsExpired).
    bool credentials_expired = false;
    // The DBMS's security version the roles were read at (current_user()).
    uint64_t security_version = 0;
    bool is_admin() const {
        for (const auto& r : roles) {
            if (r == "admin") {
                return true;
            }
        }
        return false;
    }
};

// Where a transaction comes from and how long it may run (Bolt's BEGIN/RUN
// fields and the connection), for timeouts and SHOW TRANSACTIONS.
struct TxOptions {
    // The client's `tx_timeout`; none: db.transaction.timeout. Zero: no timeout.
    std::optional<std::chrono::milliseconds> timeout;
    Map metadata;               // the client's `tx_metadata`
    std::string connection_id;  // "bolt-17"
    std::string client_address; // "127.0.0.1:51234"
    std::string protocol = "bolt";
    // Set by an owner that must never block in the DBMS (a Bolt worker): it
    // is called, from any thread and quickly, whenever the transaction needs
    // its owner: a write lock it queued for (reserve_write) was granted or the
    // wait ended, or the transaction was terminated and should be rolled
    // back. The owner then looks at the transaction on its own thread. With a
    // waker, a write that did not reserve the lock never waits for it.
    std::function<void()> wake;
};

// A transaction on one member's store. Destroying it uncommitted rolls back.
//
// Threads: one owner uses it at a time. terminate() (through the DBMS:
// TERMINATE TRANSACTION, db.transaction.timeout, a stop) may come from any
// thread; it marks the transaction, ends a lock wait, and wakes the owner,
// who rolls back. Every later use fails with termination().
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

    // --- many clients at once (issue 23) ---
    // "<database>-transaction-<n>" as SHOW TRANSACTIONS shows it; empty for
    // a transaction the DBMS does not track (the system database's).
    virtual const std::string& id() const = 0;
    // Before running a query that writes: takes the database's write lock
    // for this transaction without waiting for it. Ready: go on (the lock is
    // held, or the write will not need it and reports why itself: a READ
    // transaction, a replica, a follower). Waiting: queued; the owner's
    // wake() comes when it is granted or the wait ended, then call again.
    // An error ends the wait: LockAcquisitionTimeout after
    // db.lock.acquisition.timeout, the termination, DatabaseUnavailable.
    enum class Reservation { Ready, Waiting };
    virtual Outcome<Reservation> reserve_write() = 0;
    // Why the transaction was terminated, once it was.
    virtual std::optional<Error> termination() const = 0;
    // It holds (or was granted) the database's write lock: everyone else's
    // writes wait for its next request, so that request goes first.
    virtual bool holds_write_lock() const = 0;
    // The query running now, for SHOW TRANSACTIONS (currentQuery, parameters).
    virtual void query_started(const std::string& text, const Map& parameters) = 0;
    virtual void query_finished() = 0;
};

struct TopologyRequest {
    uint32_t primaries = 1;
    uint32_t secondaries = 0;
};

// ALTER DATABASE: one of SET ACCESS or SET TOPOLOGY.
struct AlterDatabaseRequest {
    std::optional<bool> read_only;            // SET ACCESS READ ONLY (true) / READ WRITE (false)
    std::optional<TopologyRequest> topology;  // SET TOPOLOGY n PRIMARIES [m SECONDARIES]
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
    std::string current_status;    // "online", "offline", "starting", "stopping", "store copying", "dirty", "unknown"
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
    // Transactions behind, >= 0: a standard member behind the most advanced
    // member, a replica member behind its upstream; nullopt (null) while a
    // replica member does not know its upstream's position.
    std::optional<int64_t> replication_lag = 0;
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

// One row of SHOW TRANSACTIONS: Neo4j's columns where the refhost has the
// value (clauses/transaction-clauses in the Cypher manual).
struct TransactionRow {
    std::string database;
    std::string transaction_id;                   // "<database>-transaction-<n>"
    std::optional<std::string> current_query_id;  // "query-<n>"; null when none runs
    std::string connection_id;                    // "bolt-<n>"
    std::optional<std::string> client_address;
    std::string username;
    std::optional<std::string> current_query;
    std::string start_time;  // ISO 8601, UTC, milliseconds
    // "Running", "Blocked by: [<id>]" (waiting for the write lock),
    // "Terminated with reason: Status.Code[<code>]", "Closing".
    std::string status;
    Duration elapsed_time;
    Map metadata;    // the client's tx_metadata
    Map parameters;  // of the current query
    std::string protocol;
    std::string status_details;
    Map resource_information;  // while blocked: the lock waited for
    int64_t active_lock_count = 0;  // 1 while it holds the database's write lock
    Duration wait_time;             // spent waiting for the write lock
    Duration idle_time;             // since its last query ended (zero while one runs)
};

// One row of TERMINATE TRANSACTIONS.
struct TerminationRow {
    std::string transaction_id;
    std::optional<std::string> username;  // null when not found
    std::string message;                  // "Transaction terminated." / "Transaction not found."
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
    // The user of a session as the system database says now: roles granted
    // or revoked since the login count from the next transaction on; a
    // dropped user is refused. A DBMS without user administration returns
    // the user unchanged.
    virtual Outcome<AuthUser> current_user(const AuthUser& session_user) { return session_user; }
    // CREATE/ALTER/DROP USER, GRANT/REVOKE ROLE, SHOW USERS (dbms/user_admin.hpp);
    // null when the DBMS has none.
    virtual UserAdmin* user_admin() { return nullptr; }

    // --- transactions, on the member of `database` hosted by `server` ---
    // DatabaseNotFound, DatabaseUnavailable (not hosted here / offline).
    // Waits up to `bookmark_timeout` until the member has every bookmark.
    virtual Outcome<std::unique_ptr<Transaction>> begin(size_t server, const std::string& database, AccessMode mode,
                                                        const AuthUser& user,
                                                        const std::vector<std::string>& bookmarks,
                                                        std::chrono::milliseconds bookmark_timeout,
                                                        const TxOptions& options = TxOptions{}) = 0;
    // SHOW TRANSACTIONS on `server`: every open transaction of its members
    // for an admin, the user's own otherwise; only `ids` when not empty.
    virtual std::vector<TransactionRow> show_transactions(size_t server, const std::vector<std::string>& ids,
                                                          const AuthUser& user) = 0;
    // TERMINATE TRANSACTIONS on `server`: one row per id, in order. An admin
    // may end any transaction, a user their own; the others are "not found".
    virtual std::vector<TerminationRow> terminate_transactions(size_t server, const std::vector<std::string>& ids,
                                                               const AuthUser& user) = 0;

    // --- administration (admin role checked by the caller) ---
    virtual Done create_database(const std::string& name, bool if_not_exists, std::optional<TopologyRequest> topology,
                                 bool wait) = 0;
    virtual Done drop_database(const std::string& name, bool if_exists, bool wait) = 0;
    virtual Done start_database(const std::string& name, bool wait) = 0;
    virtual Done stop_database(const std::string& name, bool wait) = 0;
    virtual Done alter_database(const std::string& name, bool if_exists, const AlterDatabaseRequest& change,
                                bool wait) = 0;

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

    // --- test hook (refhost.test.divergeMember; dbms/test_divergence.cpp) ---
    // Sets property `key` of node `node` on the member of `database` hosted
    // by `server` only, without logging it: that member's content and
    // running fingerprint diverge from the other members' and from any
    // upstream. Refused unless refhost.test.divergence_hook is true.
    virtual Done diverge_member_for_test(size_t server, const std::string& database, int64_t node,
                                         const std::string& key, const Value& value) {
        (void)server;
        (void)database;
        (void)node;
        (void)key;
        (void)value;
        return make_error(status::kProcedureCallFailed, "this DBMS has no divergence test hook");
    }
};

}  // namespace refhost

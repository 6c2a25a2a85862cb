// examples/refhost/dbms/cluster.hpp: one refhost cluster: several logical
// servers in one process, the system database, every database's members and
// their stores, and the DbmsApi the client front ends use. Its files:
//   cluster_open.cpp      opening, recovery, shutdown, the maintenance thread
//   cluster_admin.cpp     administration (create, drop, start, stop, promotion,
//                         topology, options), in ccdr::Status terms
//   cluster_commands.cpp  the same as the client's commands (DbmsApi): the one
//                         place administration's ccdr::Status becomes an Error
//   cluster_tx.cpp        transactions, bookmarks, authentication
//   cluster_show.cpp      SHOW rows, routing, plugin procedures, metrics
// Members of one database copy each other's commits through MemberCatchUp
// (member_catch_up.hpp). The host side of the ccdr ABI is plugin_host/: its
// ServerHost calls the administration below, and StoreAccess reads and writes
// members' stores (logs, batches, snapshots, fingerprints).
//
// Locks: admin_mu_ serialises administration (create, drop, start, stop,
// kind, topology), and is held while events go to plugins (a plugin never
// calls an event-sending function from an event). state_mu_ guards the map
// of databases (copy-on-write snapshots) and the system database writes;
// it is held briefly and never across a plugin call.
#pragma once

#include "config/config.hpp"
#include "dbms/dbms_api.hpp"
#include "dbms/deadline_timer.hpp"
#include "dbms/member.hpp"
#include "dbms/member_catch_up.hpp"
#include "dbms/plugin_bridge.hpp"
#include "dbms/transaction_registry.hpp"
#include "security/user_directory.hpp"
#include "system/allocation.hpp"
#include "system/system_db.hpp"

#include <ccdr/host_handle.hpp>
#include <ccdr/status.hpp>
#include <ccdr/value.hpp>

#include <spdlog/logger.h>

#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <shared_mutex>
#include <string>
#include <thread>
#include <vector>

namespace refhost {

inline constexpr const char* kProductVersion = "Neo4j/2026.03.0-refhost";
inline constexpr const char* kStoreFormat = "sqlite-graph-1.0";

// One database as the cluster runs it: its system record and its members.
// Immutable once published; a change publishes a new snapshot (members are
// shared between snapshots).
struct DatabaseState {
    DatabaseRecord record;
    std::vector<std::shared_ptr<Member>> members;  // ordered by server index
    std::shared_ptr<Member> member_on(size_t server) const;
    std::shared_ptr<Member> writer() const;
    // The member with the highest last tx: `preferred` on a tie with it,
    // else the first of the tied ones.
    std::shared_ptr<Member> most_advanced(std::shared_ptr<Member> preferred = nullptr) const;
};

class Cluster final : public DbmsApi {
public:
    // Opens (creating on first start) the system database and every member's
    // store; recovers members left behind by a crash. Starts the catch-up
    // and maintenance threads.
    static ccdr::Result<std::unique_ptr<Cluster>> open(Config config, std::shared_ptr<spdlog::logger> log);
    ~Cluster() override;

    // Plugins are wired after open (their instances need the cluster) and
    // unwired before they are destroyed. Null: no plugins.
    void set_plugins(PluginBridge* bridge) { plugins_.store(bridge); }
    // Sends STARTED for every member each server hosts (after plugin start).
    void announce_members();
    // Sends STOPPED for every online member (before plugins stop).
    void announce_shutdown();
    // The first half of a graceful stop (SIGTERM): new transactions are
    // refused (DatabaseUnavailable, which drivers retry elsewhere), open ones
    // get up to db.shutdown_transaction_end_timeout to finish, then the rest
    // are terminated (their owners roll back and tell their clients).
    // Returns how many had to be terminated.
    size_t end_transactions();
    // Stops the threads, flushes; idempotent.
    void shutdown();

    const Config& config() const { return config_; }
    spdlog::logger& log() { return *log_; }
    const std::vector<ServerRecord>& servers() const { return servers_; }
    std::string cluster_id() const { return cluster_id_; }
    SystemDb& system_db() { return *sysdb_; }
    UserDirectory& users() { return *users_; }

    // --- DbmsApi -------------------------------------------------------------
    size_t server_count() const override { return servers_.size(); }
    std::string server_bolt_address(size_t server) const override;
    std::string server_id(size_t server) const override;
    std::string default_database() const override { return default_database_; }
    std::string product_version() const override { return kProductVersion; }
    bool auth_enabled() const override { return auth_enabled_; }
    Outcome<AuthUser> authenticate(const std::string& scheme, const std::string& principal,
                                   const std::string& credentials) override;
    Outcome<AuthUser> current_user(const AuthUser& session_user) override { return users_->current_user(session_user); }
    UserAdmin* user_admin() override { return users_.get(); }
    Outcome<std::unique_ptr<Transaction>> begin(size_t server, const std::string& database, AccessMode mode,
                                                const AuthUser& user, const std::vector<std::string>& bookmarks,
                                                std::chrono::milliseconds bookmark_timeout,
                                                const TxOptions& options = TxOptions{}) override;
    std::vector<TransactionRow> show_transactions(size_t server, const std::vector<std::string>& ids,
                                                  const AuthUser& user) override;
    std::vector<TerminationRow> terminate_transactions(size_t server, const std::vector<std::string>& ids,
                                                       const AuthUser& user) override;
    Done create_database(const std::string& name, bool if_not_exists, std::optional<TopologyRequest> topology,
                         bool wait) override;
    Done drop_database(const std::string& name, bool if_exists, bool wait) override;
    Done start_database(const std::string& name, bool wait) override;
    Done stop_database(const std::string& name, bool wait) override;
    Done alter_database(const std::string& name, bool if_exists, const AlterDatabaseRequest& change,
                        bool wait) override;
    Outcome<std::vector<DatabaseRow>> show_databases(size_t server, const std::optional<std::string>& name,
                                                     const AuthUser& user) override;
    std::vector<ServerRow> show_servers() override;
    Outcome<RoutingTable> routing_table(size_t server, const std::string& database) override;
    std::vector<ProcedureInfo> plugin_procedures(size_t server) override;
    Done diverge_member_for_test(size_t server, const std::string& database, int64_t node, const std::string& key,
                                 const Value& value) override;
    Outcome<std::vector<std::string>> call_plugin_procedure(size_t server, const std::string& name, const List& args,
                                                            const AuthUser& user, const std::string& session_database,
                                                            const RowSink& sink) override;

    // --- administration (the client's commands above and the plugins' ABI
    // calls, through plugin_host/ServerHost, both come here) ------------------
    // The one way a database comes into being: CREATE DATABASE (above) and a
    // plugin's create_database (a replica, with its upstream's lineage).
    ccdr::Status create(const ccdr::DatabaseSpec& spec);
    // The one way a database goes: DROP DATABASE and a plugin's drop_database.
    ccdr::Status drop(std::string_view name);
    // Promotion (cluster_promotion.cpp): set_database_kind keeps the
    // topology, promote_with_topology (ABI 1.2) changes it in the same step;
    // on any failure nothing changes.
    ccdr::Status set_database_kind(std::string_view name, ccdr_database_kind kind, uint64_t epoch);
    ccdr::Status promote_with_topology(std::string_view name, uint64_t epoch, uint32_t primaries,
                                       uint32_t secondaries);
    // New members of a standard database catch up with its writer, those of
    // a replica with its most advanced member (inside this cluster, never
    // over the WAN), before they are announced.
    ccdr::Status set_topology(std::string_view name, uint32_t primaries, uint32_t secondaries);
    ccdr::Result<ccdr::DatabaseInfo> database_info(size_t server, std::string_view name);
    // ALTER DATABASE ... SET ACCESS and the plugin's set_database_access
    // (cluster_access.cpp): fences or unfences every member, durably, with
    // `reason` shown while read-only. Returns the last committed tx at the
    // fence (durable when it returns), whichever way the access went.
    // `standard_only` (the plugin's call): a replica is refused both ways.
    ccdr::Result<uint64_t> set_access(const std::string& name, bool read_only, const std::string& reason = {},
                                      bool standard_only = false);
    // The plugin's make_replica (ABI 1.2, cluster_demotion.cpp): a standard
    // database becomes a replica of `epoch` continuing at to_tx + 1, every
    // member brought to exactly to_tx (those ahead rebuilt from their own
    // log), `undone` hearing each transaction undone first. On any failure
    // nothing has changed.
    ccdr::Status make_replica(std::string_view name, uint64_t epoch, uint64_t to_tx, const ccdr::ValueMap& options,
                              const ccdr_undone_sink* undone);
    // The plugin's copy_database (ABI 1.2, cluster_copy.cpp): a new standard
    // database (spec, a lineage of its own) whose every member starts as a
    // copy of `source`'s member on `source_server`, taken once at its last
    // committed tx (returned). `source` keeps working meanwhile.
    ccdr::Result<uint64_t> copy_database(std::string_view source, size_t source_server,
                                         const ccdr::DatabaseSpec& spec);
    ccdr::Status set_database_option(std::string_view name, std::string_view key, const ccdr::Value* value);
    ccdr::Result<ccdr::Value> get_database_option(std::string_view name, std::string_view key);

    // --- members -----------------------------------------------------------------
    // The member of `database` on `server`: DATABASE_NOT_FOUND when there is
    // no such database or it has no member there (or is the system database).
    ccdr::Result<std::shared_ptr<Member>> member(std::string_view database, size_t server) const;
    std::optional<size_t> server_index(const std::string& server_id) const;
    // The plugins, while wired (null before and after).
    PluginBridge* plugins() const { return plugins_.load(); }

    // --- metrics ---------------------------------------------------------------
    // Every metric of `server`, without the prefix (plugins' too).
    void collect_metrics(size_t server, const MetricEmit& emit);

    // --- for tests, tools and the crash checker ---------------------------------
    std::shared_ptr<const DatabaseState> database(std::string_view name) const;
    std::vector<std::shared_ptr<const DatabaseState>> databases() const;
    // Runs retention on every member now.
    void prune_logs();
    // Brings every member of every standard database to its most advanced
    // member (what startup recovery and the catch-up thread do).
    void catch_up_all();
    TransactionRegistry& transactions() { return transactions_; }

private:
    friend class ClusterTransaction;
    Cluster(Config config, std::shared_ptr<spdlog::logger> log);
    ccdr::Status open_system();
    ccdr::Status reconcile_servers();
    ccdr::Status initialise_databases();
    ccdr::Status load_databases();
    void remove_stale_store_dirs();
    std::filesystem::path member_dir(const std::string& database, size_t server) const;
    ccdr::Result<std::shared_ptr<Member>> make_member(const DatabaseRecord& rec, size_t server, ccdr_member_role role,
                                                      bool writer);
    std::vector<ServerSlot> server_slots(const std::string& except_database) const;

    // Replaces (or with nullptr removes) a database's snapshot and persists
    // its record, atomically with respect to other changes.
    ccdr::Status publish(const std::string& name, std::shared_ptr<DatabaseState> state);
    // Read-modify-write of a database record under state_mu_.
    ccdr::Status update_record(const std::string& name, const std::function<ccdr::Status(DatabaseRecord&)>& change);
    // A new database's members and record from `spec`, not yet published
    // (create and copy_database); announce_database publishes it and tells
    // the plugins, discard_database deletes the stores of one never
    // announced. Under admin_mu_.
    ccdr::Result<std::shared_ptr<DatabaseState>> prepare_database(const ccdr::DatabaseSpec& spec);
    ccdr::Status announce_database(std::shared_ptr<DatabaseState> state);
    static void discard_database(const DatabaseState& state);
    ccdr::Status start_stop_impl(const std::string& name, bool start);
    ccdr::Status promote(std::string_view name, uint64_t epoch, std::optional<TopologyRequest> topology);
    // Waits up to db.shutdown_transaction_end_timeout for the transactions
    // `filter` selects to end, terminates the rest with `reason`, and gives
    // their owners a moment to roll back. How many were terminated.
    size_t drain_transactions(const TransactionRegistry::Filter& filter, const Error& reason);
    // drain_transactions for the members of one stopping or dropped database.
    void end_database_transactions(const std::string& name);
    Done start_or_stop(const std::string& raw, bool start);  // START / STOP DATABASE
    // The record's members, as they are now (roles, writer).
    static DatabaseRecord with_members(DatabaseRecord rec, const std::vector<std::shared_ptr<Member>>& members);

    void send_event(const Member& m, ccdr_event_kind event, ccdr_database_kind kind);
    void maintenance_loop();

    Config config_;
    std::shared_ptr<spdlog::logger> log_;
    std::unique_ptr<SystemDb> sysdb_;
    std::vector<ServerRecord> servers_;
    std::string cluster_id_;
    std::string default_database_;
    bool auth_enabled_ = true;
    bool reads_on_primaries_ = true;
    int64_t routing_ttl_seconds_ = 300;
    std::chrono::milliseconds bookmark_timeout_{30'000};
    std::chrono::milliseconds lock_timeout_{0};         // db.lock.acquisition.timeout; 0: none
    std::chrono::milliseconds transaction_timeout_{0};  // db.transaction.timeout; 0: none
    std::chrono::milliseconds shutdown_timeout_{10'000};  // db.shutdown_transaction_end_timeout
    RetentionPolicy retention_;

    // Open transactions (SHOW/TERMINATE TRANSACTIONS, timeouts) and the
    // thread that fires their deadlines (stopped in shutdown()). Declared
    // before dbs_, so they outlive the stores a lock wait refers to.
    DeadlineTimer timer_;
    TransactionRegistry transactions_{timer_};
    std::atomic<bool> accepting_transactions_{true};

    std::atomic<PluginBridge*> plugins_{nullptr};

    std::mutex admin_mu_;
    // Commits hold it shared from their access check to their log append;
    // SET ACCESS changes the flag holding it exclusively (cluster_access.cpp).
    std::shared_mutex fence_mu_;
    mutable std::mutex state_mu_;
    std::map<std::string, std::shared_ptr<const DatabaseState>> dbs_;

    std::unique_ptr<UserDirectory> users_;  // authentication, users and roles (after open_system)

    MemberCatchUp catch_up_;

    std::mutex worker_mu_;
    std::condition_variable worker_cv_;
    bool stopping_ = false;
    std::thread maintenance_thread_;
    std::atomic<bool> shut_down_{false};
};

}  // namespace refhost

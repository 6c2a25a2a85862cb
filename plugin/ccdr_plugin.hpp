// plugin/ccdr_plugin.hpp: one instance of the ccdr plugin, serving one
// logical server of the host. It owns the replication engine of that server:
// the I/O runtime, the listener serving upstream subscriptions, the replica
// members hosted here, and the commit-path veto.
//
// Internal API for the internal.dbms.* procedures (plugin/procedures/):
//   probe_upstream(addresses, remote)  what an upstream cluster says of a database
//   fingerprint_upstream(link, ...)    the upstream's content fingerprint (verifyReplicaDatabase)
//   users_of_upstream(link)            the upstream cluster's users and roles (compareSecurity)
//   replica_status(database)           a replica member's state on this server
//   engine()                           host, settings, log, runtime and transport security of this instance
#pragma once

#include "engine_context.hpp"
#include "procedures/heal_fence.hpp"
#include "procedures/reattach_procedure.hpp"
#include "procedures/save_transactions_procedure.hpp"
#include "procedures/promotion_report.hpp"
#include "procedures/replica_procedures.hpp"
#include "procedures/security_procedure.hpp"
#include "procedures/security_watch.hpp"
#include "procedures/subscriptions_procedure.hpp"
#include "procedures/drill_procedure.hpp"
#include "procedures/switchover_procedure.hpp"
#include "procedures/verify_procedure.hpp"
#include "replica/pending_hold_releases.hpp"
#include "replica/read_only_databases.hpp"
#include "replica/replica_member.hpp"
#include "replica/upstream_dialer.hpp"
#include "replica/upstream_fingerprint.hpp"
#include "replica/upstream_probe.hpp"
#include "runtime/io_runtime.hpp"
#include "settings/plugin_settings.hpp"
#include "transport/server.hpp"
#include "upstream/commit_notifier.hpp"
#include "upstream/replica_log_holds.hpp"
#include "upstream/upstream_service.hpp"

#include <ccdr/host_handle.hpp>
#include <ccdr/plugin_adapter.hpp>

#include <spdlog/logger.h>

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>

namespace ccdr::plugin {

class CcdrPlugin final : public PluginInstance {
public:
    // `plugin_version` is this library's release version (entry.cpp passes
    // version.hpp's, so a library built with another version string says
    // that one in every HELLO): MAJOR.MINOR.PATCH.
    static Result<std::unique_ptr<PluginInstance>> create(HostHandle host, std::string_view plugin_version);

    CcdrPlugin(HostHandle host, ServerInfo server, PluginSettings settings, transport::TransportSecurity security,
               std::shared_ptr<spdlog::logger> log, protocol::PluginVersion plugin_version);
    CcdrPlugin(const CcdrPlugin&) = delete;
    CcdrPlugin& operator=(const CcdrPlugin&) = delete;
    ~CcdrPlugin() override;

    Status start() override;
    void stop() override;
    Status before_commit(const ccdr_commit_info& info) override;
    void after_commit(std::string_view database, uint64_t tx_id, int64_t commit_time_ms) override;
    // ABI 1.2: the same, with the payloads, which the streams of `database`
    // then send without reading the log (upstream/shared_log.hpp).
    void after_commit_txs(std::string_view database, std::span<const ccdr_tx> txs) override;
    void on_database_event(const ccdr_database_event& event) override;
    void describe_database(std::string_view database, ccdr_database_status& out) override;
    void collect_metrics(const MetricEmitter& emit) override;
    // ABI 1.2: the replica subscriptions this server serves (none before start).
    Result<std::vector<SubscriptionInfo>> list_subscriptions(std::string_view database) override;
    // ABI 1.2: the log this server keeps for the replica members it served.
    Result<uint64_t> log_hold(const ccdr_log_prune_info& info) override;

    // --- for the procedures ---
    // Blocks; call from a host session thread.
    Result<RemoteDatabaseInfo> probe_upstream(const std::vector<std::string>& addresses, const std::string& remote);
    // The state of this server's member of `database`; nullopt when it hosts
    // no running replica member of it.
    std::optional<ReplicaStatus> replica_status(const std::string& database) const;
    EngineContext& engine() { return context_; }
    // The port the replication listener is bound to (0 when not listening).
    uint16_t listen_port() const { return server_ ? server_->port() : 0; }

private:
    // The probe createReplicaDatabase uses: what the upstream says of link.remote.
    Result<RemoteDatabase> describe_remote(const UpstreamLink& link);
    std::shared_ptr<ReplicaMember> find_member(std::string_view database) const;
    std::shared_ptr<ReplicaMember> take_member(const std::string& database);
    void start_member(const std::string& database);
    void note_standard(const std::string& database, bool standard);
    // The database stopped, was dropped or promoted here: its streams end.
    void end_streams(const std::string& database);
    // A session with an upstream cluster held by a procedure's thread.
    Result<std::unique_ptr<UpstreamSession>> open_upstream_session(const std::vector<std::string>& addresses);

    EngineContext context_;
    session::SessionContext& session_{context_.session};
    UpstreamDialer dialer_{context_.session, context_.security};
    std::unique_ptr<runtime::IoRuntime> runtime_;
    CommitNotifier notifier_;
    // The streams' shared reads of the log, and the commits the host hands
    // over (from create() on: after_commit_txs may come before start()).
    std::unique_ptr<SharedLogs> shared_logs_;
    std::unique_ptr<UpstreamService> upstream_;
    // From create() on, so a host pruning before start() still holds the log
    // for replicas that were served before a restart.
    std::unique_ptr<ReplicaLogHolds> log_holds_;
    std::unique_ptr<PendingHoldReleases> pending_releases_;  // HOLD_RELEASEs owed for dropped replica databases
    std::shared_ptr<transport::ReplicationServer> server_;
    ReadOnlyDatabases read_only_;
    std::unique_ptr<ReplicaProcedures> procedures_;
    std::unique_ptr<VerifyProcedure> verify_;
    std::unique_ptr<SecurityCheck> security_;  // internal.dbms.compareSecurity and its metrics
    std::unique_ptr<SecurityWatch> security_watch_;
    std::unique_ptr<SubscriptionsProcedure> subscriptions_;  // internal.dbms.showReplicaSubscriptions
    std::unique_ptr<SwitchoverProcedure> switchover_;        // internal.dbms.switchoverReplicaDatabase
    std::unique_ptr<ReattachProcedure> reattach_;            // internal.dbms.reattachAsReplica
    std::unique_ptr<SaveTransactionsProcedure> save_transactions_;  // internal.dbms.saveTransactionsAfter
    std::unique_ptr<HealFence> heal_fence_;                  // fence on heal after a failover promotion

    // Standard databases with a member on this server (from database events),
    // for fence on heal.
    mutable std::mutex standard_mu_;
    std::set<std::string> standard_;
    std::unique_ptr<PromotionReport> promotion_report_;      // internal.dbms.promotionReport
    std::unique_ptr<DrillProcedure> drill_;                  // internal.dbms.createDrillDatabase

    // Each replica database's upstream link, as its members' STARTED events
    // found it: on DROPPED the upstream hears that its holds can end.
    std::mutex links_mu_;
    std::map<std::string, ReplicaConfig> replica_links_;

    mutable std::mutex members_mu_;
    std::map<std::string, std::shared_ptr<ReplicaMember>, std::less<>> members_;

    std::atomic<uint64_t> commit_notifications_{0};
    std::atomic<bool> started_{false};
};

}  // namespace ccdr::plugin

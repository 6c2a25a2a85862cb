// examples/refhost/plugin_host/server_host.hpp: the host side of the ccdr
// ABI for one plugin instance on one logical server. Each call is answered
// for this server's members: administration through the Cluster, a member's
// log, batches, snapshots and fingerprints through StoreAccess.
#pragma once

#include "plugin_host/store_access.hpp"

#include <ccdr/host_adapter.hpp>

#include <spdlog/logger.h>

#include <atomic>
#include <memory>
#include <string>

namespace refhost {

class Cluster;
class PluginHost;

class ServerHost final : public ccdr::HostServer {
public:
    ServerHost(Cluster& cluster, PluginHost& plugins, size_t server, size_t plugin, std::string plugin_name,
               std::shared_ptr<spdlog::logger> log);

    // Procedures may be registered only while the instance is created and started.
    void allow_registration(bool allowed) { registering_.store(allowed); }

    void log(ccdr_log_level level, std::string_view message) override;
    ccdr::Result<std::string> get_setting(std::string_view key) override;
    ccdr::Result<ccdr::ServerInfo> server_info() override;
    ccdr::Status register_procedure(const ccdr_procedure_def& def) override;
    ccdr::Result<ccdr_log_info> log_info(std::string_view database) override;
    ccdr::Status read_log(std::string_view database, uint64_t from_tx, uint64_t max_bytes,
                          const ccdr_tx_visitor& visitor) override;
    ccdr::Status apply_batch(std::string_view database, std::span<const ccdr_tx> txs) override;
    // ABI 1.2: a transaction larger than a batch read in pieces.
    ccdr::Status read_log_bounded(std::string_view database, uint64_t from_tx, uint64_t max_bytes,
                                  uint64_t tx_max_bytes, const ccdr_tx_visitor& visitor) override;
    ccdr::Result<std::unique_ptr<LoggedTx>> log_tx_open(std::string_view database, uint64_t tx_id) override;
    // ABI 1.2: one replicated transaction applied in parts.
    ccdr::Result<std::unique_ptr<TxInParts>> apply_tx_begin(std::string_view database, uint64_t tx_id,
                                                            int64_t commit_time_ms, uint64_t total_bytes) override;
    ccdr::Status snapshot_export(std::string_view database, const ccdr_snapshot_sink& sink) override;
    ccdr::Status snapshot_import(std::string_view database, const ccdr_snapshot_info& info,
                                 const ccdr_snapshot_source& source) override;
    ccdr::Result<ccdr_snapshot_info> snapshot_export_file(std::string_view database, std::string_view path) override;
    ccdr::Status snapshot_import_file(std::string_view database, const ccdr_snapshot_info& info,
                                      std::string_view path) override;
    ccdr::Status create_database(const ccdr::DatabaseSpec& spec) override;
    ccdr::Status drop_database(std::string_view name) override;
    ccdr::Status set_database_kind(std::string_view name, ccdr_database_kind kind, uint64_t epoch) override;
    ccdr::Status set_topology(std::string_view name, uint32_t primaries, uint32_t secondaries) override;
    ccdr::Status promote_with_topology(std::string_view name, uint64_t epoch, uint32_t primaries,
                                       uint32_t secondaries) override;
    ccdr::Result<ccdr::DatabaseInfo> database_info(std::string_view name) override;
    ccdr::Status set_database_option(std::string_view name, std::string_view key, const ccdr::Value* value) override;
    ccdr::Result<ccdr::Value> get_database_option(std::string_view name, std::string_view key) override;
    ccdr::Result<ccdr::Fingerprint> content_fingerprint(std::string_view database,
                                                        std::string_view server_id) override;
    // ABI 1.2: a member's running fingerprint as of tx_id (0: now).
    ccdr::Result<ccdr::Fingerprint> running_fingerprint(std::string_view database, std::string_view server_id,
                                                        uint64_t tx_id) override;
    // ABI 1.2: the cluster's users and roles (the same for every server).
    ccdr::Result<std::vector<ccdr::UserInfo>> list_users() override;
    // ABI 1.2: asks this plugin's instance on every server of the cluster
    // (all run in this process) for its replica subscriptions.
    ccdr::Status cluster_subscriptions(std::string_view database, const ccdr_subscription_sink& out) override;
    // ABI 1.2: fencing (dbms/cluster_access.cpp) and a standard database
    // turned into a replica at a tx (dbms/cluster_demotion.cpp).
    ccdr::Result<uint64_t> set_database_access(std::string_view name, bool read_only, std::string_view reason) override;
    ccdr::Status make_replica(std::string_view name, uint64_t epoch, uint64_t to_tx, const ccdr::ValueMap& options,
                              const ccdr_undone_sink* undone) override;
    ccdr::Result<uint64_t> copy_database(std::string_view source, std::string_view source_server_id,
                                         const ccdr::DatabaseSpec& spec) override;

private:
    Cluster& cluster_;
    StoreAccess store_;
    PluginHost& plugins_;
    size_t server_;
    size_t plugin_;
    std::string plugin_name_;
    std::shared_ptr<spdlog::logger> log_;
    std::atomic<bool> registering_{false};
};

}  // namespace refhost

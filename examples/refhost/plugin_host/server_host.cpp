#include "plugin_host/server_host.hpp"

#include "dbms/cluster.hpp"
#include "plugin_host/plugin_host.hpp"

namespace refhost {

ServerHost::ServerHost(Cluster& cluster, PluginHost& plugins, size_t server, size_t plugin, std::string plugin_name,
                       std::shared_ptr<spdlog::logger> log)
    : cluster_(cluster), store_(cluster), plugins_(plugins), server_(server), plugin_(plugin),
      plugin_name_(std::move(plugin_name)), log_(std::move(log)) {}

void ServerHost::log(ccdr_log_level level, std::string_view message) {
    spdlog::level::level_enum l = level >= CCDR_LOG_ERROR  ? spdlog::level::err
                                  : level >= CCDR_LOG_WARN ? spdlog::level::warn
                                  : level >= CCDR_LOG_INFO ? spdlog::level::info
                                                           : spdlog::level::debug;
    log_->log(l, "{}", message);
}

ccdr::Result<std::string> ServerHost::get_setting(std::string_view key) {
    auto v = cluster_.config().get(std::string(key), server_);
    if (!v) {
        return ccdr::Status(CCDR_INVALID_ARGUMENT, "unknown setting '" + std::string(key) + "'");
    }
    return *v;
}

ccdr::Result<ccdr::ServerInfo> ServerHost::server_info() {
    const ServerRecord& s = cluster_.servers()[server_];
    std::filesystem::path dir = cluster_.config().data_dir() / "servers" / s.name / "plugins" / plugin_name_;
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) {
        return ccdr::Status(CCDR_IO_ERROR, "cannot create " + dir.string() + ": " + ec.message());
    }
    return ccdr::ServerInfo{s.id,          cluster_.cluster_id(), s.bolt_address, s.cluster_address,
                            dir.string(), "ccdr-refhost",        kProductVersion};
}

ccdr::Status ServerHost::register_procedure(const ccdr_procedure_def& def) {
    if (!registering_.load()) {
        return {CCDR_INVALID_ARGUMENT, "procedures can be registered only during create() and start()"};
    }
    return plugins_.register_procedure(server_, plugin_, def);
}

ccdr::Result<ccdr::Fingerprint> ServerHost::content_fingerprint(std::string_view database,
                                                                std::string_view server_id) {
    return store_.content_fingerprint(server_, database, server_id);
}

ccdr::Result<ccdr::Fingerprint> ServerHost::running_fingerprint(std::string_view database,
                                                                std::string_view server_id, uint64_t tx_id) {
    return store_.running_fingerprint(server_, database, server_id, tx_id);
}

ccdr::Result<std::vector<ccdr::UserInfo>> ServerHost::list_users() {
    std::vector<ccdr::UserInfo> out;
    for (auto& u : cluster_.users().users()) {
        out.push_back(ccdr::UserInfo{std::move(u.name), std::move(u.roles)});
    }
    return out;
}

ccdr::Status ServerHost::cluster_subscriptions(std::string_view database, const ccdr_subscription_sink& out) {
    const auto& servers = cluster_.servers();
    for (size_t i = 0; i < servers.size(); ++i) {
        const ServerRecord& server = servers[i];
        bool stopped = false;
        ccdr::Status answered = plugins_.list_subscriptions(i, plugin_, database, out, stopped);
        if (stopped) {
            return answered;  // the caller's sink stopped the listing
        }
        if (!answered) {
            // Never skipped silently: the caller shows the server and why.
            const std::string message = answered.message();
            ccdr_status st = out.server_failed(out.ctx, ccdr::to_abi(server.id), answered.code(),
                                               ccdr::to_abi(message));
            if (st != CCDR_OK) {
                return {st, "the plugin stopped the listing of subscriptions"};
            }
        }
    }
    return {};
}

ccdr::Result<ccdr_log_info> ServerHost::log_info(std::string_view database) {
    return store_.log_info(server_, database);
}

ccdr::Status ServerHost::read_log(std::string_view database, uint64_t from_tx, uint64_t max_bytes,
                                  const ccdr_tx_visitor& visitor) {
    return store_.read_log(server_, database, from_tx, max_bytes, visitor);
}

ccdr::Status ServerHost::read_log_bounded(std::string_view database, uint64_t from_tx, uint64_t max_bytes,
                                          uint64_t tx_max_bytes, const ccdr_tx_visitor& visitor) {
    return store_.read_log(server_, database, from_tx, max_bytes, visitor, tx_max_bytes);
}

ccdr::Result<std::unique_ptr<ccdr::HostServer::LoggedTx>> ServerHost::log_tx_open(std::string_view database,
                                                                                 uint64_t tx_id) {
    return store_.log_tx_open(server_, database, tx_id);
}

ccdr::Status ServerHost::apply_batch(std::string_view database, std::span<const ccdr_tx> txs) {
    return store_.apply_batch(server_, database, txs);
}

ccdr::Result<std::unique_ptr<ccdr::HostServer::TxInParts>> ServerHost::apply_tx_begin(std::string_view database,
                                                                                       uint64_t tx_id,
                                                                                       int64_t commit_time_ms,
                                                                                       uint64_t total_bytes) {
    return store_.apply_tx_begin(server_, database, tx_id, commit_time_ms, total_bytes);
}

ccdr::Status ServerHost::snapshot_export(std::string_view database, const ccdr_snapshot_sink& sink) {
    return store_.snapshot_export(server_, database, sink);
}

ccdr::Status ServerHost::snapshot_import(std::string_view database, const ccdr_snapshot_info& info,
                                         const ccdr_snapshot_source& source) {
    return store_.snapshot_import(server_, database, info, source);
}

ccdr::Result<ccdr_snapshot_info> ServerHost::snapshot_export_file(std::string_view database, std::string_view path) {
    return store_.snapshot_export_file(server_, database, path);
}

ccdr::Status ServerHost::snapshot_import_file(std::string_view database, const ccdr_snapshot_info& info,
                                              std::string_view path) {
    return store_.snapshot_import_file(server_, database, info, path);
}

ccdr::Status ServerHost::create_database(const ccdr::DatabaseSpec& spec) { return cluster_.create(spec); }

ccdr::Status ServerHost::drop_database(std::string_view name) { return cluster_.drop(name); }

ccdr::Status ServerHost::set_database_kind(std::string_view name, ccdr_database_kind kind, uint64_t epoch) {
    return cluster_.set_database_kind(name, kind, epoch);
}

ccdr::Status ServerHost::set_topology(std::string_view name, uint32_t primaries, uint32_t secondaries) {
    return cluster_.set_topology(name, primaries, secondaries);
}

ccdr::Status ServerHost::promote_with_topology(std::string_view name, uint64_t epoch, uint32_t primaries,
                                               uint32_t secondaries) {
    return cluster_.promote_with_topology(name, epoch, primaries, secondaries);
}

ccdr::Result<ccdr::DatabaseInfo> ServerHost::database_info(std::string_view name) {
    return cluster_.database_info(server_, name);
}

ccdr::Status ServerHost::set_database_option(std::string_view name, std::string_view key, const ccdr::Value* value) {
    return cluster_.set_database_option(name, key, value);
}

ccdr::Result<ccdr::Value> ServerHost::get_database_option(std::string_view name, std::string_view key) {
    return cluster_.get_database_option(name, key);
}

ccdr::Result<uint64_t> ServerHost::set_database_access(std::string_view name, bool read_only,
                                                      std::string_view reason) {
    return cluster_.set_access(std::string(name), read_only, std::string(reason), true);
}

ccdr::Status ServerHost::make_replica(std::string_view name, uint64_t epoch, uint64_t to_tx,
                                      const ccdr::ValueMap& options, const ccdr_undone_sink* undone) {
    return cluster_.make_replica(name, epoch, to_tx, options, undone);
}

ccdr::Result<uint64_t> ServerHost::copy_database(std::string_view source, std::string_view source_server_id,
                                                 const ccdr::DatabaseSpec& spec) {
    size_t server = server_;
    if (!source_server_id.empty()) {
        auto idx = cluster_.server_index(std::string(source_server_id));
        if (!idx) {
            return ccdr::Status(CCDR_DATABASE_NOT_FOUND, "no server with id " + std::string(source_server_id));
        }
        server = *idx;
    }
    return cluster_.copy_database(source, server, spec);
}

}  // namespace refhost

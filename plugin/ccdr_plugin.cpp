#include "ccdr_plugin.hpp"

#include "logging/host_log_sink.hpp"
#include "version.hpp"

#include <ccdr/span.hpp>

namespace ccdr::plugin {

Result<std::unique_ptr<PluginInstance>> CcdrPlugin::create(HostHandle host) {
    auto server = host.server_info();
    if (!server) {
        return server.status().with_context("ccdr: reading the server's identity");
    }
    auto settings = read_settings(host);
    if (!settings) {
        return settings.status();
    }
    auto log = make_host_logger(host, server->server_id);
    return std::unique_ptr<PluginInstance>(
        new CcdrPlugin(host, std::move(server.value()), std::move(settings.value()), std::move(log)));
}

CcdrPlugin::CcdrPlugin(HostHandle host, ServerInfo server, PluginSettings settings,
                       std::shared_ptr<spdlog::logger> log)
    : host_(host), server_(std::move(server)), settings_(std::move(settings)), log_(std::move(log)) {
    log_->info("ccdr {} loaded into {} {} (ABI {}.{}) for server {}", kPluginVersion, server_.host_name,
               server_.host_version, CCDR_ABI_VERSION_MAJOR, CCDR_ABI_VERSION_MINOR, server_.server_id);
}

CcdrPlugin::~CcdrPlugin() { stop(); }

Status CcdrPlugin::start() {
    started_ = true;
    log_->info("ccdr started on server {} (cluster address {})", server_.server_id, server_.cluster_address);
    return {};
}

void CcdrPlugin::stop() {
    if (started_.exchange(false)) {
        log_->info("ccdr stopped on server {}", server_.server_id);
    }
}

Status CcdrPlugin::before_commit(const ccdr_commit_info& /*info*/) { return {}; }

void CcdrPlugin::after_commit(std::string_view /*database*/, uint64_t /*tx_id*/, int64_t /*commit_time_ms*/) {
    commit_notifications_.fetch_add(1, std::memory_order_relaxed);
}

void CcdrPlugin::on_database_event(const ccdr_database_event& event) {
    log_->debug("database event {} for {} (role {}, kind {})", event.event, to_view(event.database), event.role,
                event.kind);
}

void CcdrPlugin::describe_database(std::string_view /*database*/, ccdr_database_status& out) {
    out.state = CCDR_REPLICA_NONE;
}

void CcdrPlugin::collect_metrics(const MetricEmitter& emit) {
    emit("dbms.ccdr.commit_notifications", CCDR_METRIC_COUNTER,
         static_cast<double>(commit_notifications_.load(std::memory_order_relaxed)));
}

}  // namespace ccdr::plugin

// plugin/ccdr_plugin.hpp: one instance of the ccdr plugin, serving one
// logical server of the host.
#pragma once

#include "settings/plugin_settings.hpp"

#include <ccdr/host_handle.hpp>
#include <ccdr/plugin_adapter.hpp>

#include <spdlog/logger.h>

#include <atomic>
#include <memory>

namespace ccdr::plugin {

class CcdrPlugin final : public PluginInstance {
public:
    static Result<std::unique_ptr<PluginInstance>> create(HostHandle host);

    CcdrPlugin(HostHandle host, ServerInfo server, PluginSettings settings, std::shared_ptr<spdlog::logger> log);
    CcdrPlugin(const CcdrPlugin&) = delete;
    CcdrPlugin& operator=(const CcdrPlugin&) = delete;
    ~CcdrPlugin() override;

    Status start() override;
    void stop() override;
    Status before_commit(const ccdr_commit_info& info) override;
    void after_commit(std::string_view database, uint64_t tx_id, int64_t commit_time_ms) override;
    void on_database_event(const ccdr_database_event& event) override;
    void describe_database(std::string_view database, ccdr_database_status& out) override;
    void collect_metrics(const MetricEmitter& emit) override;

private:
    HostHandle host_;
    ServerInfo server_;
    PluginSettings settings_;
    std::shared_ptr<spdlog::logger> log_;
    std::atomic<uint64_t> commit_notifications_{0};
    std::atomic<bool> started_{false};
};

}  // namespace ccdr::plugin

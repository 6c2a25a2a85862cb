// examples/refhost/app/runtime.hpp: one running cluster as a process runs
// it: settings, debug.log, plugins, the cluster, metrics, in the order they
// must start and stop. `refhost --home` and the test programs use it.
#pragma once

#include "config/config.hpp"
#include "dbms/cluster.hpp"
#include "logging/debug_log.hpp"
#include "plugin_host/plugin_host.hpp"

#include <ccdr/status.hpp>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace refhost {

class MetricsService;

class Runtime {
public:
    // Reads HOME's settings (and `env`, NAME=VALUE strings), loads the
    // plugins, opens the cluster, starts the plugin instances and metrics.
    // Any problem is returned; whatever had started is stopped again.
    static ccdr::Result<std::unique_ptr<Runtime>> start(const std::filesystem::path& home,
                                                        const std::vector<std::string>& env);
    ~Runtime();

    Cluster& cluster() { return *cluster_; }
    DbmsApi& dbms() { return *cluster_; }
    const DebugLog& debug_log() const { return log_; }
    spdlog::logger& log() { return *logger_; }
    PluginHost& plugins() { return *plugins_; }
    MetricsService* metrics() { return metrics_.get(); }

    // Graceful: plugins stop (STOPPED first), metrics flush, stores close.
    void stop();

private:
    Runtime() = default;
    DebugLog log_;
    std::shared_ptr<spdlog::logger> logger_;
    std::unique_ptr<PluginHost> plugins_;
    std::unique_ptr<Cluster> cluster_;
    std::unique_ptr<MetricsService> metrics_;
    bool plugins_started_ = false;
    bool stopped_ = false;
};

// The process environment as NAME=VALUE strings.
std::vector<std::string> process_environment();

}  // namespace refhost

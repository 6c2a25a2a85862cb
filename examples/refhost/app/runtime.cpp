#include "app/runtime.hpp"

#include "metrics/metrics_service.hpp"

extern char** environ;

namespace refhost {

std::vector<std::string> process_environment() {
    std::vector<std::string> out;
    for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
        out.emplace_back(*e);
    }
    return out;
}

ccdr::Result<std::unique_ptr<Runtime>> Runtime::start(const std::filesystem::path& home,
                                                      const std::vector<std::string>& env) {
    auto config = Config::load(home, env);
    if (!config) {
        return config.status();
    }
    std::unique_ptr<Runtime> rt(new Runtime());
    auto log = DebugLog::open(config->logs_dir());
    if (!log) {
        return log.status();
    }
    rt->log_ = std::move(log.value());
    rt->logger_ = rt->log_.logger("refhost");
    rt->logger_->info("starting {} from {}", kProductVersion, config->home().string());
    auto plugins = PluginHost::load(config.value(), rt->log_);
    if (!plugins) {
        rt->logger_->error("{}", plugins.status().message());
        return plugins.status();
    }
    rt->plugins_ = std::move(plugins.value());
    for (size_t i = 0; i < rt->plugins_->plugin_count(); ++i) {
        const auto& p = rt->plugins_->plugin(i);
        rt->logger_->info("loaded plugin {} {} from {}", p.name(), p.version(), p.path());
    }
    auto cluster = Cluster::open(std::move(config.value()), rt->logger_);
    if (!cluster) {
        rt->logger_->error("{}", cluster.status().message());
        return cluster.status();
    }
    rt->cluster_ = std::move(cluster.value());
    ccdr::Status st = rt->plugins_->create_instances(*rt->cluster_);
    if (st) {
        rt->cluster_->set_plugins(rt->plugins_.get());
        rt->plugins_started_ = true;
        st = rt->plugins_->start();
    }
    if (!st) {
        rt->logger_->error("{}", st.message());
        rt->stop();
        return st;
    }
    rt->cluster_->announce_members();
    auto metrics = MetricsService::start(*rt->cluster_);
    if (!metrics) {
        rt->logger_->error("{}", metrics.status().message());
        rt->stop();
        return metrics.status();
    }
    rt->metrics_ = std::move(metrics.value());
    return rt;
}

Runtime::~Runtime() { stop(); }

void Runtime::stop() {
    if (stopped_) {
        return;
    }
    stopped_ = true;
    if (metrics_) {
        metrics_->stop();
    }
    if (cluster_ && plugins_ && plugins_started_) {
        cluster_->announce_shutdown();
        plugins_->stop();
    }
    // The cluster's threads may still reach the plugins (after_commit of a
    // catch-up): they end before the instances go.
    if (cluster_) {
        cluster_->shutdown();
        cluster_->set_plugins(nullptr);
    }
    if (plugins_) {
        plugins_->destroy();
    }
    if (logger_) {
        logger_->info("stopped");
        logger_->flush();
    }
}

}  // namespace refhost

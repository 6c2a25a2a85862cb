// examples/refhost/metrics/metrics_service.hpp: metrics of every logical
// server, collected from the cluster (and through it from the plugins),
// written as Neo4j's CSV files every server.metrics.csv.interval and served
// on the Prometheus endpoint (GET /metrics) when enabled.
//
// CSV layout: one file per metric, <metrics dir>/<metric name>.csv, header
// "t,count" (counters) or "t,value" (gauges), rows "<epoch seconds>,<value>".
// A cluster of several logical servers writes each server's files under
// <metrics dir>/<server id>/; a single server writes into <metrics dir>.
// A file that reaches server.metrics.csv.rotation.size is renamed to
// <name>.csv.1 (older ones shift to .2, ...; keep_number are kept).
#pragma once

#include "metrics/metric_sample.hpp"

#include <ccdr/status.hpp>

#include <condition_variable>
#include <filesystem>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace refhost {

class Cluster;
class PrometheusEndpoint;

class MetricsService {
public:
    static ccdr::Result<std::unique_ptr<MetricsService>> start(Cluster& cluster);
    ~MetricsService();
    // Writes a last CSV row, closes the endpoint; idempotent.
    void stop();

    // Every metric of every server, prefix applied.
    std::vector<MetricSample> collect();
    // Appends one row per metric to the CSV files now.
    void write_csv();
    // The Prometheus endpoint's bound address (host:port), or "" when off.
    std::string prometheus_address() const;

private:
    explicit MetricsService(Cluster& cluster);
    void csv_loop();
    void rotate(const std::filesystem::path& file);

    Cluster& cluster_;
    bool enabled_ = false;
    bool csv_ = false;
    std::string prefix_;
    std::chrono::milliseconds interval_{30'000};
    std::filesystem::path dir_;
    uint64_t rotation_size_ = 0;
    int64_t rotation_keep_ = 7;
    std::filesystem::path certificate_file_;  // the cluster certificate, when the policy is on
    std::mutex csv_mu_;  // write_csv may run on the CSV thread and a caller's
    std::set<std::filesystem::path> known_files_;

    std::mutex mu_;
    std::condition_variable cv_;
    bool stopping_ = false;
    std::thread csv_thread_;
    std::unique_ptr<PrometheusEndpoint> prometheus_;
    bool stopped_ = false;
};

}  // namespace refhost

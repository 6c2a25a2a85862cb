// plugin/upstream/upstream_stats.hpp: what an upstream server knows of the
// replicas pulling from it, for collect_metrics: per database, the connected
// replicas and each one's acknowledged tx and round trip, and what was sent.
#pragma once

#include <ccdr/plugin_adapter.hpp>

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace ccdr::plugin {

// One subscribed replica, as long as its connection lasts.
struct ReplicaLink {
    std::string database;  // the upstream database
    std::string peer;      // metric-safe name: <cluster>.<server>.<replica database>
    std::atomic<uint64_t> acked_tx{0};
    std::atomic<uint64_t> sent_tx{0};
    std::atomic<uint64_t> round_trip_us{0};  // the batch pacer's minimum, batch sent to its ACK
};

class UpstreamStats {
public:
    std::shared_ptr<ReplicaLink> connect(const std::string& database, const std::string& peer);
    void disconnect(const std::shared_ptr<ReplicaLink>& link);

    void add_batch(const std::string& database, uint64_t transactions, uint64_t wire_bytes);
    void add_snapshot_bytes(const std::string& database, uint64_t wire_bytes);
    void add_refusal() { refusals_.fetch_add(1, std::memory_order_relaxed); }

    void collect(const MetricEmitter& emit) const;

private:
    struct Counters {
        uint64_t batches = 0;
        uint64_t transactions = 0;
        uint64_t bytes = 0;
        uint64_t snapshot_bytes = 0;
    };
    mutable std::mutex mu_;
    std::map<std::string, Counters> counters_;
    std::multimap<std::string, std::shared_ptr<ReplicaLink>> links_;
    std::atomic<uint64_t> refusals_{0};
};

// Replaces every character outside [A-Za-z0-9_-] so a name is one metric
// name segment.
std::string metric_segment(const std::string& text);

}  // namespace ccdr::plugin

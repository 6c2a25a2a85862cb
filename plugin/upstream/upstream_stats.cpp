#include "upstream/upstream_stats.hpp"

#include <algorithm>

namespace ccdr::plugin {

std::string metric_segment(const std::string& text) {
    std::string out = text;
    for (char& c : out) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
                        c == '-';
        if (!ok) {
            c = '_';
        }
    }
    return out.empty() ? "_" : out;
}

std::shared_ptr<ReplicaLink> UpstreamStats::connect(const std::string& database, const std::string& peer) {
    auto link = std::make_shared<ReplicaLink>();
    link->database = database;
    link->peer = peer;
    std::lock_guard lock(mu_);
    counters_[database];
    links_.emplace(database, link);
    return link;
}

void UpstreamStats::disconnect(const std::shared_ptr<ReplicaLink>& link) {
    std::lock_guard lock(mu_);
    auto range = links_.equal_range(link->database);
    for (auto it = range.first; it != range.second; ++it) {
        if (it->second == link) {
            links_.erase(it);
            return;
        }
    }
}

void UpstreamStats::add_batch(const std::string& database, uint64_t transactions, uint64_t wire_bytes) {
    std::lock_guard lock(mu_);
    auto& c = counters_[database];
    c.batches += 1;
    c.transactions += transactions;
    c.bytes += wire_bytes;
}

void UpstreamStats::add_snapshot_bytes(const std::string& database, uint64_t wire_bytes) {
    std::lock_guard lock(mu_);
    counters_[database].snapshot_bytes += wire_bytes;
}

void UpstreamStats::collect(const MetricEmitter& emit) const {
    std::lock_guard lock(mu_);
    for (const auto& [db, c] : counters_) {
        const std::string base = "database." + db + ".ccdr.upstream.";
        emit(base + "connected_replicas", CCDR_METRIC_GAUGE, static_cast<double>(links_.count(db)));
        emit(base + "batches_sent", CCDR_METRIC_COUNTER, static_cast<double>(c.batches));
        emit(base + "transactions_sent", CCDR_METRIC_COUNTER, static_cast<double>(c.transactions));
        emit(base + "bytes_sent", CCDR_METRIC_COUNTER, static_cast<double>(c.bytes));
        emit(base + "store_copy_bytes_sent", CCDR_METRIC_COUNTER, static_cast<double>(c.snapshot_bytes));
    }
    // Several links from one peer (a reconnect racing the old connection's
    // end) report the most advanced one.
    std::map<std::string, std::pair<uint64_t, uint64_t>> peers;  // name -> (acked tx, round trip us)
    for (const auto& [db, link] : links_) {
        auto& [tx, rtt] = peers[db + ".ccdr.upstream.replica." + link->peer];
        const uint64_t acked = link->acked_tx.load(std::memory_order_relaxed);
        if (acked >= tx) {
            tx = acked;
            rtt = link->round_trip_us.load(std::memory_order_relaxed);
        }
    }
    for (const auto& [name, position] : peers) {
        emit("database." + name + ".acked_tx", CCDR_METRIC_GAUGE, static_cast<double>(position.first));
        emit("database." + name + ".round_trip_ms", CCDR_METRIC_GAUGE, static_cast<double>(position.second) / 1000.0);
    }
    emit("dbms.ccdr.upstream.refusals", CCDR_METRIC_COUNTER,
         static_cast<double>(refusals_.load(std::memory_order_relaxed)));
}

}  // namespace ccdr::plugin

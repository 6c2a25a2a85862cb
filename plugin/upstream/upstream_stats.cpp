#include "upstream/upstream_stats.hpp"

#include <algorithm>
#include <tuple>

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

SubscriptionLag subscription_lag(uint64_t last_tx, int64_t last_commit_ms, uint64_t acked_tx,
                                 int64_t oldest_unacked_commit_ms, int64_t now_ms) {
    SubscriptionLag lag;
    if (last_tx <= acked_tx) {
        return lag;
    }
    lag.tx = last_tx - acked_tx;
    const int64_t oldest = oldest_unacked_commit_ms != 0 ? oldest_unacked_commit_ms : last_commit_ms;
    if (oldest > 0 && now_ms > oldest) {
        lag.seconds = static_cast<double>(now_ms - oldest) / 1000.0;
    }
    return lag;
}

std::shared_ptr<ReplicaLink> UpstreamStats::connect(const std::string& database, const std::string& peer,
                                                    LinkIdentity identity) {
    auto link = std::make_shared<ReplicaLink>();
    link->database = database;
    link->peer = peer;
    link->identity = std::move(identity);
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

void UpstreamStats::add_store_copy(const std::string& database, const std::string& replica_cluster_id,
                                   const std::string& replica_server_id, const std::string& replica_database) {
    std::lock_guard lock(mu_);
    store_copies_[{database, replica_cluster_id, replica_server_id, replica_database}] += 1;
}

std::vector<SubscriptionInfo> UpstreamStats::subscriptions(std::string_view database, const ServerInfo& server,
                                                           int64_t now_ms) const {
    std::vector<SubscriptionInfo> out;
    std::lock_guard lock(mu_);
    for (const auto& [db, link] : links_) {
        if (!database.empty() && db != database) {
            continue;
        }
        const LinkIdentity& id = link->identity;
        SubscriptionInfo row;
        row.upstream_database = db;
        row.upstream_server_id = server.server_id;
        row.upstream_address = server.cluster_address;
        row.replica_cluster_id = id.replica_cluster_id;
        row.replica_server_id = id.replica_server_id;
        row.replica_database = id.replica_database;
        row.remote_address = id.remote_address;
        row.connected_since_ms = id.connected_since_ms;
        row.acknowledged_tx = link->acked_tx.load(std::memory_order_relaxed);
        uint64_t last_tx = link->sent_tx.load(std::memory_order_relaxed);
        int64_t last_commit_ms = 0;
        if (id.position) {
            last_tx = std::max(last_tx, id.position->last_tx.load(std::memory_order_acquire));
            last_commit_ms = id.position->last_commit_ms.load(std::memory_order_acquire);
        }
        row.upstream_last_tx = std::max(last_tx, row.acknowledged_tx);
        const SubscriptionLag lag =
            subscription_lag(row.upstream_last_tx, last_commit_ms, row.acknowledged_tx,
                             link->oldest_unacked_commit_ms.load(std::memory_order_relaxed), now_ms);
        row.lag_tx = lag.tx;
        row.lag_seconds = lag.seconds;
        row.bytes_sent = link->bytes_sent.load(std::memory_order_relaxed);
        auto copies = store_copies_.find({db, id.replica_cluster_id, id.replica_server_id, id.replica_database});
        row.store_copies_served = copies == store_copies_.end() ? 0 : copies->second;
        out.push_back(std::move(row));
    }
    std::sort(out.begin(), out.end(), [](const SubscriptionInfo& a, const SubscriptionInfo& b) {
        return std::tie(a.upstream_database, a.replica_cluster_id, a.replica_server_id, a.replica_database,
                        a.connected_since_ms) < std::tie(b.upstream_database, b.replica_cluster_id,
                                                         b.replica_server_id, b.replica_database,
                                                         b.connected_since_ms);
    });
    return out;
}

LiveAck ReplicaLink::live_ack() const {
    LiveAck out;
    out.key = LogHoldKey{database, identity.replica_cluster_id, identity.replica_server_id, identity.replica_database};
    out.acked_tx = acked_tx.load(std::memory_order_relaxed);
    out.connected_since_ms = identity.connected_since_ms;
    out.hold_tx = hold_tx.load(std::memory_order_relaxed);
    return out;
}

std::vector<LiveAck> UpstreamStats::live_acks(std::string_view database) const {
    std::map<LogHoldKey, LiveAck> best;
    std::lock_guard lock(mu_);
    auto range = links_.equal_range(std::string(database));
    for (auto it = range.first; it != range.second; ++it) {
        const LiveAck ack = it->second->live_ack();
        auto [at, fresh] = best.try_emplace(ack.key, ack);
        if (!fresh) {
            // Two sessions of one member (one closing): the newer position.
            if (ack.acked_tx > at->second.acked_tx) {
                at->second.acked_tx = ack.acked_tx;
                at->second.hold_tx = ack.hold_tx;
            }
            at->second.connected_since_ms = std::max(at->second.connected_since_ms, ack.connected_since_ms);
        }
    }
    std::vector<LiveAck> out;
    for (const auto& [key, ack] : best) {
        out.push_back(ack);
    }
    return out;
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

// plugin/upstream/upstream_stats.hpp: what an upstream server knows of the
// replicas pulling from it, for collect_metrics: per database, the connected
// replicas and each one's acknowledged tx and round trip, and what was sent;
// and for internal.dbms.showReplicaSubscriptions (ABI 1.2 list_subscriptions):
// each live subscription's identity, position, lag, bytes and the store
// copies served to that replica member.
#pragma once

#include "upstream/commit_notifier.hpp"
#include "upstream/replica_log_holds.hpp"

#include <ccdr/host_handle.hpp>
#include <ccdr/plugin_adapter.hpp>

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <tuple>
#include <vector>

namespace ccdr::plugin {

// Who a subscription serves, as HELLO and SUBSCRIBE said, and since when.
struct LinkIdentity {
    std::string replica_cluster_id;
    std::string replica_server_id;
    std::string replica_database;
    std::string remote_address;
    int64_t connected_since_ms = 0;
    // The database's last commit on this server (the subscription's
    // CommitNotifier position), for the lag; none: lag from acked_tx alone.
    std::shared_ptr<const CommitPosition> position;
};

// One subscribed replica, as long as its connection lasts.
struct ReplicaLink {
    std::string database;  // the upstream database
    std::string peer;      // metric-safe name: <cluster>.<server>.<replica database>
    LinkIdentity identity;  // set before the link is shared, then read-only
    std::atomic<uint64_t> acked_tx{0};
    // Where the member asks its hold to start (ACK's hold_tx, protocol 8: a
    // fan-out puller's lowest follower); kHoldAtAck: at acked_tx.
    static constexpr uint64_t kHoldAtAck = LiveAck::kHoldAtAck;
    std::atomic<uint64_t> hold_tx{kHoldAtAck};
    std::atomic<uint64_t> sent_tx{0};
    std::atomic<uint64_t> round_trip_us{0};  // the batch pacer's minimum, batch sent to its ACK
    std::atomic<uint64_t> bytes_sent{0};     // wire bytes of the batches sent on this session
    // Commit time of the first tx of the oldest batch not acknowledged; 0
    // when every batch sent is acknowledged.
    std::atomic<int64_t> oldest_unacked_commit_ms{0};

    // This link's position for the log holds: its acknowledged tx, and the
    // lower one it asked to be held from, if any.
    LiveAck live_ack() const;
};

// The lag of a replica at `acked_tx` behind a member at `last_tx` (last
// commit at `last_commit_ms`), as the replica side counts it: 0 s when
// nothing is missing; else now minus the commit time of the oldest tx not
// acknowledged (`oldest_unacked_commit_ms`, or, when that was not sent yet,
// `last_commit_ms`: a lower bound that grows while the replica waits).
struct SubscriptionLag {
    uint64_t tx = 0;
    double seconds = 0.0;
};
SubscriptionLag subscription_lag(uint64_t last_tx, int64_t last_commit_ms, uint64_t acked_tx,
                                 int64_t oldest_unacked_commit_ms, int64_t now_ms);

class UpstreamStats {
public:
    std::shared_ptr<ReplicaLink> connect(const std::string& database, const std::string& peer,
                                         LinkIdentity identity = {});
    void disconnect(const std::shared_ptr<ReplicaLink>& link);

    void add_batch(const std::string& database, uint64_t transactions, uint64_t wire_bytes);
    void add_snapshot_bytes(const std::string& database, uint64_t wire_bytes);
    void add_refusal() { refusals_.fetch_add(1, std::memory_order_relaxed); }
    // A store copy of `database` reached SNAPSHOT_END for this replica member.
    void add_store_copy(const std::string& database, const std::string& replica_cluster_id,
                        const std::string& replica_server_id, const std::string& replica_database);

    void collect(const MetricEmitter& emit) const;
    // The acknowledged position of every live subscription to `database`
    // (the most advanced one per replica member), for the log holds.
    std::vector<LiveAck> live_acks(std::string_view database) const;
    // The live subscriptions of `database` (empty: all), in the order of
    // (database, replica cluster, server, database, connected since), with
    // `server`'s id and cluster address as the serving server and the lag as
    // of `now_ms`. Never blocks (one mutex, no I/O).
    std::vector<SubscriptionInfo> subscriptions(std::string_view database, const ServerInfo& server,
                                                int64_t now_ms) const;

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
    // (database, replica cluster, replica server, replica database) -> complete store copies
    std::map<std::tuple<std::string, std::string, std::string, std::string>, uint64_t> store_copies_;
};

// Replaces every character outside [A-Za-z0-9_-] so a name is one metric
// name segment.
std::string metric_segment(const std::string& text);

}  // namespace ccdr::plugin

// plugin/upstream/replica_log_holds.hpp: the transaction log an upstream
// server keeps for the replica members it served, like a replication slot
// (ABI 1.2 log_hold). A hold is one replica member (its cluster, server and
// database) of one upstream database at the position it acknowledged last;
// the host asks before each pruning pass, and the answer keeps the log from
// the tx after that position, beyond the retention policy, up to the cap
// (ccdr.upstream.replica_log_hold.max_size and .max_age). Past the cap the
// hold is released (pruning wins) and that member will need a store copy.
//
// Holds are written to one file of the server's data directory whenever
// they change, so a restarted upstream keeps holding the log of a replica
// that is away. Each pass also measures the log's growth, from which each
// hold's catch-up window is figured: the seconds until the upstream would
// prune past that member's position, at the current rate and the cap.
#pragma once

#include <ccdr/abi.h>
#include <ccdr/plugin_adapter.hpp>
#include <ccdr/status.hpp>

#include <spdlog/logger.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

namespace ccdr::plugin {

struct LogHoldCap {
    uint64_t max_bytes = 0;  // 0: no holds (the retention policy alone)
    int64_t max_age_ms = 0;
};

// Who a hold is for: (upstream database, replica cluster, replica server,
// replica database), as HELLO and SUBSCRIBE said.
using LogHoldKey = std::tuple<std::string, std::string, std::string, std::string>;

// A live subscription's acknowledged position, as the upstream's stats know it.
struct LiveAck {
    LogHoldKey key;
    uint64_t acked_tx = 0;
    // Wall-clock start of the newest live subscription of that member: one
    // that began before its replica database was dropped (end_holds) does
    // not hold the log again while it closes.
    int64_t connected_since_ms = 0;
    // Where the member asked its hold to start (ACK's hold_tx, protocol 8:
    // a fan-out puller covering its followers); kHoldAtAck: at acked_tx.
    static constexpr uint64_t kHoldAtAck = UINT64_MAX;
    uint64_t hold_tx = kHoldAtAck;
    uint64_t hold_position() const { return std::min(acked_tx, hold_tx); }
};

// One hold as the metrics and showReplicaSubscriptions show it.
struct LogHoldView {
    LogHoldKey key;
    uint64_t acked_tx = 0;          // the position held from (a puller's: its lowest follower's, if lower)
    bool released = false;          // past the cap: that member needs a store copy
    std::string release_reason;     // why, when released
    uint64_t held_bytes = 0;        // payload bytes of the log from acked_tx + 1 on
    double catch_up_window_s = 0;   // seconds until pruning passes acked_tx; 0 when released
};

class ReplicaLogHolds {
public:
    // `file` (may be empty: holds kept in memory only, for tests); read at
    // once (a malformed line is logged and skipped).
    ReplicaLogHolds(std::string file, LogHoldCap cap, std::shared_ptr<spdlog::logger> log);
    ReplicaLogHolds(const ReplicaLogHolds&) = delete;
    ReplicaLogHolds& operator=(const ReplicaLogHolds&) = delete;

    bool enabled() const { return cap_.max_bytes != 0; }

    // The host's question before pruning info.database (ABI 1.2 log_hold):
    // records the live members' positions (`live`, of info.database), then
    // answers the first tx to keep. Blocks briefly (measures the log, writes
    // the file when a hold changed). A member's position is its
    // hold_position(), or its acknowledged tx when that is below what the
    // log still holds (a puller's follower the log was already pruned past
    // needs tx that are gone: keeping the rest would help nobody).
    Result<uint64_t> answer(const ccdr_log_prune_info& info, const std::vector<LiveAck>& live);
    // A subscription ended at `last` (its final position): recorded as a
    // pass would have recorded it live, so that the member is held from
    // there, not from the pass before, while it is away (a fan-out
    // follower's puller reads it: lowest_position). Blocks briefly (writes
    // the file when the hold changed). Nothing when holds are off.
    void note_ended(const LiveAck& last);
    // The lowest position a member of `database` needs: a member with a
    // live subscription (`live`, of `database`) at its live position, one
    // away at its hold (not released); none when there is neither. What a
    // fan-out puller serving `database` to its followers reports upstream
    // with its own (ACK's hold_tx).
    std::optional<uint64_t> lowest_position(const std::string& database, const std::vector<LiveAck>& live) const;

    // Every hold of `database` (empty: all), with its window as of now_ms.
    std::vector<LogHoldView> holds(std::string_view database, int64_t now_ms) const;
    // The hold of one replica member, if any.
    std::optional<LogHoldView> hold(const LogHoldKey& key, int64_t now_ms) const;
    // The holds that reached their cap since the instance was created.
    uint64_t released_count() const;
    // Ends the holds of every member of replica database `replica_database`
    // of cluster `replica_cluster_id` pulling `database` (that replica
    // database was dropped: HOLD_RELEASE), or, with `replica_server_id`, of
    // that server's member only (it follows another member now: HOLD_RELEASE
    // of protocol 8). Returns how many ended. Blocks briefly (writes the
    // file). Subscriptions of those members begun before `now_ms` hold
    // nothing from then on (they are closing).
    uint32_t end_holds(const std::string& database, const std::string& replica_cluster_id,
                       const std::string& replica_database, int64_t now_ms,
                       const std::string& replica_server_id = std::string());
    LogHoldCap cap() const { return cap_; }

    // Per hold: database.<db>.ccdr.upstream.replica.<peer>.catch_up_window_seconds
    // and .log_hold_bytes; dbms.ccdr.upstream.log_holds and .log_holds_released.
    void collect(const MetricEmitter& emit, int64_t now_ms) const;

private:
    struct Hold {
        uint64_t acked_tx = 0;
        bool released = false;
        std::string release_reason;
        // As of the last pass (not persisted): the held log and its oldest tx's time.
        uint64_t held_bytes = 0;
        int64_t oldest_held_ms = 0;  // 0: nothing held beyond the acked position
        int64_t measured_at_ms = 0;
    };
    struct Growth {
        uint64_t last_tx = 0;
        int64_t at_ms = 0;
        double bytes_per_s = 0;  // smoothed
    };

    LogHoldView view(const LogHoldKey& key, const Hold& h, int64_t now_ms) const;
    double window_seconds(const std::string& database, const Hold& h, int64_t now_ms) const;
    void update_growth(const ccdr_log_prune_info& info);
    Status save() const;  // under mu_
    void load();

    const std::string file_;
    const LogHoldCap cap_;
    std::shared_ptr<spdlog::logger> log_;

    mutable std::mutex mu_;
    std::map<LogHoldKey, Hold> holds_;
    std::map<std::string, Growth> growth_;  // per database
    // Records one member's position, live or final (under mu_); true when
    // its hold changed. Nothing for a member end_holds ended while this
    // subscription was already open (`closing` gets it).
    bool record(const LiveAck& ack, uint64_t oldest_retained_tx, std::set<LogHoldKey>* closing);
    // The end_holds entry that covers `key` (its own or its whole replica
    // database's), if any, and when it ended it. Under mu_.
    std::optional<std::pair<LogHoldKey, int64_t>> dropped_for(const LogHoldKey& key) const;

    // (database, replica cluster, replica server or "" for every member,
    // replica database) -> when end_holds ended those holds; kept while a
    // subscription older than that is still live.
    std::map<LogHoldKey, int64_t> dropped_;
    uint64_t released_ = 0;
};

// "<cluster>.<server>.<replica database>", each part metric-safe, as the
// upstream's other per-replica metrics name a member.
std::string log_hold_peer(const LogHoldKey& key);

}  // namespace ccdr::plugin

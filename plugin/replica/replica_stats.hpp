// plugin/replica/replica_stats.hpp: the numbers of one replica member,
// written by its puller and applier, read by describe_database and
// collect_metrics without locks. docs/metrics.md defines each.
#pragma once

#include "protocol/batch.hpp"
#include "runtime/wall_clock.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>

namespace ccdr::plugin {

struct ReplicaStats {
    // Positions.
    std::atomic<uint64_t> last_applied_tx{0};
    std::atomic<int64_t> last_applied_commit_ms{0};
    std::atomic<uint64_t> upstream_last_tx{0};
    std::atomic<int64_t> upstream_last_commit_ms{0};
    std::atomic<bool> upstream_known{false};
    // This server's clock (epoch ms) when the upstream's position was last
    // heard (any of the messages note_upstream takes); 0 before the first.
    // internal.dbms.promotionReport shows it when the upstream does not answer.
    std::atomic<int64_t> upstream_heard_ms{0};
    // Upstream clock minus local clock, estimated at the last BATCH/HEARTBEAT.
    std::atomic<int64_t> upstream_clock_offset_ms{0};
    // Commit time of the oldest received transaction not yet applied; 0 when
    // none is waiting.
    std::atomic<int64_t> oldest_pending_commit_ms{0};
    std::atomic<bool> connected{false};
    // With an applyDelay (replica/delay_spool.hpp): the last transaction
    // received and synced to the delay spool (0 when nothing is spooled),
    // the delay in force, and the spool's size.
    std::atomic<uint64_t> last_received_tx{0};
    std::atomic<int64_t> apply_delay_ms{0};
    std::atomic<uint64_t> delay_spool_bytes{0};
    // The catch-up window the upstream last told (HOLD_STATUS, protocol 3;
    // docs/operations.md §10) and when (this server's clock); -1: none told.
    std::atomic<int64_t> catch_up_window_ms{-1};
    std::atomic<int64_t> catch_up_heard_ms{0};

    // Counters.
    std::atomic<uint64_t> bytes_wire{0};
    std::atomic<uint64_t> bytes_uncompressed{0};
    std::atomic<uint64_t> batches{0};
    std::atomic<uint64_t> transactions_applied{0};
    std::atomic<uint64_t> checksum_failures{0};
    std::atomic<uint64_t> reconnects{0};
    std::atomic<uint64_t> store_copies{0};
    std::atomic<uint64_t> store_copy_bytes{0};
    std::atomic<uint64_t> apply_failures{0};
    std::atomic<uint64_t> network_wait_ns{0};
    std::atomic<uint64_t> apply_ns{0};

    // The upstream's position as a SUBSCRIBED, BATCH, HEARTBEAT or
    // LOG_PRUNED said it (never moving the known last tx backwards), and its
    // clock's offset from this server's.
    void note_upstream(const protocol::UpstreamPosition& position) {
        uint64_t seen = upstream_last_tx.load();
        if (position.last_tx >= seen) {
            upstream_last_tx = position.last_tx;
            upstream_last_commit_ms = position.last_commit_ms;
        }
        upstream_known = true;
        upstream_heard_ms = runtime::wall_clock_ms();
        if (position.sent_at_ms != 0) {
            upstream_clock_offset_ms = position.sent_at_ms - runtime::wall_clock_ms();
        }
    }

    // What this member holds durably: applied, or received into the delay
    // spool. It is what the ACKs tell the upstream.
    uint64_t received_tx() const {
        return std::max(last_applied_tx.load(std::memory_order_acquire),
                        last_received_tx.load(std::memory_order_acquire));
    }

    // Transactions the upstream has that this member has not received.
    int64_t received_lag_tx() const {
        const uint64_t up = upstream_last_tx.load(std::memory_order_relaxed);
        const uint64_t received = received_tx();
        return up > received ? static_cast<int64_t>(up - received) : 0;
    }

    // The catch-up window now, in seconds: what the upstream last told, less
    // the time since (while this member acknowledges nothing its hold does
    // not move and the log keeps growing); -1 when none was told.
    double catch_up_window_s(int64_t local_now_ms) const {
        const int64_t told = catch_up_window_ms.load(std::memory_order_relaxed);
        if (told < 0) {
            return -1.0;
        }
        const int64_t since = connected.load(std::memory_order_relaxed)
                                  ? 0
                                  : local_now_ms - catch_up_heard_ms.load(std::memory_order_relaxed);
        return static_cast<double>(std::max<int64_t>(0, told - std::max<int64_t>(0, since))) / 1000.0;
    }

    // This member holds what the upstream last said it had committed: all
    // of it applied, or (with an applyDelay, where applying waits on
    // purpose) received into the delay spool. False before the upstream
    // told its position.
    bool at_upstream_position() const {
        if (!upstream_known.load(std::memory_order_acquire)) {
            return false;
        }
        return apply_delay_ms.load(std::memory_order_relaxed) > 0 ? received_lag_tx() == 0 : lag_tx() == 0;
    }

    int64_t lag_tx() const {
        const uint64_t up = upstream_last_tx.load(std::memory_order_relaxed);
        const uint64_t applied = last_applied_tx.load(std::memory_order_relaxed);
        return up > applied ? static_cast<int64_t>(up - applied) : 0;
    }

    // 0 when nothing is known to be missing; else how long ago, on the
    // upstream's clock, the oldest transaction this member has not applied
    // was committed (docs/metrics.md).
    double lag_seconds(int64_t local_now_ms) const {
        if (lag_tx() == 0) {
            return 0.0;
        }
        const int64_t upstream_now = local_now_ms + upstream_clock_offset_ms.load(std::memory_order_relaxed);
        int64_t oldest = oldest_pending_commit_ms.load(std::memory_order_relaxed);
        if (oldest == 0) {
            // Not received yet: it was committed at or before the upstream's
            // last commit, so this is a lower bound that grows while we wait.
            oldest = upstream_last_commit_ms.load(std::memory_order_relaxed);
        }
        return upstream_now > oldest ? static_cast<double>(upstream_now - oldest) / 1000.0 : 0.0;
    }
};

}  // namespace ccdr::plugin

// plugin/replica/applier.hpp: the applier of one replica member. One thread
// takes verified batches from a queue, in order, and hands each to the
// host's apply_batch (one storage transaction per batch, ids kept) while the
// puller receives the next. The queue holds up to ccdr.window.max_unacked_bytes
// (one batch waits whatever its size). A failed apply drops the batches
// queued behind it, which follow it, and reports why; the member then
// resumes from the host's own record of the last applied tx.
//
// A transaction larger than `part_bytes` (ccdr.batch.max_bytes) goes to the
// host in parts of at most that size (ABI 1.2 apply_tx_begin / part /
// commit) when the host has them, so the host never decodes or holds it
// whole; the transactions around it keep going through apply_batch. A host
// without them (1.0, 1.1, or one that answers CCDR_UNSUPPORTED) gets the
// whole transaction through apply_batch, as before.
//
// A transaction that arrived in TX_PART frames (protocol/tx_part.hpp) is
// queued part by part (push_part): its first part begins it on the host,
// each part goes to apply_tx_part as it leaves the queue, and the last one
// (pushed only once the puller verified the chain) commits it. So the
// replica holds at most the queue's bytes of it. A host without parts gets
// it whole: the parts are gathered here and handed to apply_batch. When a
// session ends between parts (drop_queued), or a part fails, the host's
// transaction is aborted: nothing of it is applied.
//
// The applier tells the member through callbacks (on its thread, never
// holding its lock) when a batch left the queue, when a batch failed, and
// when one is done; it keeps the member's stats: last applied tx and commit
// time, transactions applied, apply failures, the oldest pending commit time
// (for lag in seconds) and the time spent waiting and applying.
#pragma once

#include "protocol/batch.hpp"
#include "protocol/tx_part.hpp"
#include "replica/replica_stats.hpp"
#include "runtime/latency_trace.hpp"

#include <ccdr/host_handle.hpp>

#include <spdlog/logger.h>

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

namespace ccdr::plugin {

struct ApplierEvents {
    std::function<void()> took;                            // a batch left the queue: room for the puller
    std::function<void(const std::string& reason)> failed;  // apply_batch failed; the batches behind it are dropped
    std::function<void()> finished;                        // a batch was applied or failed
};

class Applier {
public:
    // `trace` (may be null): ccdr.debug.latency_trace's apply_start and
    // applied. `part_bytes` 0: never in parts.
    Applier(HostHandle host, std::string database, ReplicaStats& stats, uint64_t window_bytes,
            std::shared_ptr<spdlog::logger> log, ApplierEvents events,
            std::shared_ptr<runtime::LatencyTrace> trace = nullptr, uint64_t part_bytes = 0);
    Applier(const Applier&) = delete;
    Applier& operator=(const Applier&) = delete;
    ~Applier();

    void start();
    // Drops the queued batches and joins the thread once the batch in apply
    // (if any) is applied. Idempotent.
    void stop();

    // Whether a batch of `bytes` fits now.
    bool has_room(size_t bytes) const;
    void push(protocol::DecodedBatch batch, size_t bytes);
    // A part of a transaction in parts, in order; its last part only once
    // the chain was verified (TxPartVerifier).
    void push_part(protocol::TxPart part, size_t bytes);
    // Drops the queued batches and parts (a session ended); the batch in
    // apply goes on, a transaction begun in parts is aborted.
    void drop_queued();
    // No batch is being applied, and no transaction is open in parts.
    bool idle() const;

private:
    struct Queued {
        protocol::DecodedBatch batch;  // empty when `part` is set
        std::optional<protocol::TxPart> part;
        size_t bytes = 0;
    };
    // A transaction in parts, begun on the host (or gathered, for a host
    // without parts).
    struct OpenTx {
        uint64_t tx_id = 0;
        int64_t commit_time_ms = 0;
        ccdr_apply_tx* handle = nullptr;  // null: gathered in `whole`
        std::vector<uint8_t> whole;
        size_t parts = 0;
    };
    static int64_t commit_ms_of(const Queued& q);  // of its first tx
    void main();
    // One queued part: begins, continues or commits the open transaction.
    Status apply_part(const protocol::TxPart& part);
    void abort_open();  // the applier's thread only
    // The host's apply of `txs`: runs of small transactions through
    // apply_batch, each large one in parts where the host can.
    Status apply(std::span<const ccdr_tx> txs);
    // One transaction in parts; CCDR_UNSUPPORTED (nothing applied) when the
    // host turns the parts down at begin.
    Status apply_in_parts(const ccdr_tx& tx);

    HostHandle host_;
    const std::string database_;
    ReplicaStats& stats_;
    const uint64_t window_bytes_;
    std::shared_ptr<spdlog::logger> log_;
    ApplierEvents events_;
    std::shared_ptr<runtime::LatencyTrace> trace_;
    const uint64_t part_bytes_;
    bool parts_refused_ = false;  // the host answered CCDR_UNSUPPORTED once: whole from then on
    std::optional<OpenTx> open_;  // the applier's thread only

    mutable std::mutex mu_;
    std::condition_variable cv_;
    std::deque<Queued> queue_;
    size_t queued_bytes_ = 0;
    bool applying_ = false;
    bool tx_open_ = false;     // open_ is set (read by idle())
    bool abandon_open_ = false;  // drop_queued: abort open_ before anything else
    bool stop_ = false;
    std::thread thread_;
};

}  // namespace ccdr::plugin

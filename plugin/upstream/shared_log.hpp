// plugin/upstream/shared_log.hpp: encode once, send many (issue 19). The
// streams of one database (one lineage: store id and epoch) share one read of
// the host's log and one encoding of its transactions into batch records.
//
// Why: every stream used to read the same transactions from the host's log
// and encode them again, on the blocking pool (a thread handoff there and
// back per batch and stream). Now the first stream at the database's tip
// reads a slice of the log once (on the pool) and publishes it; the others
// find it here and only frame it: copy the records, recompute the hash chain
// in place, compress with their own LZ4 stream, checksum (Batcher::frame),
// on their own strand when the slice is small, then write. What stays per
// stream is that framing and the connection's writes and acks.
//
// What is not shared, and why: the hash chain of a subscription starts at
// chain_seed(store id, epoch, from_tx) (protocol.md §4), so two streams that
// subscribed at different transactions carry different chain values for the
// same transaction; and the LZ4 stream of protocol 4 compresses each block
// against what that connection sent before. Both are per stream; recomputing
// the chain costs one XXH3 over each record, LZ4 about 1 GB/s (NOTES.md),
// against the thread handoffs, log reads and syscalls sharing saves
// (docs/benchmarks.md, "Upstream cost of replication").
//
// Slices are cached in order of their first tx, contiguous, ending at tip():
// a stream whose next tx starts a cached slice takes it; one at the tip reads
// the next slice and publishes it (one reader at a time; the others wait for
// it, asynchronously on their strands through wait_for_read, or on a
// condition variable if they are on the pool already); one behind the cache,
// or in the middle of a slice, reads on its own, up to the next cached
// slice's start, so its next batch starts a cached slice again if that is
// still there. A slow stream never holds the others: it falls behind the
// cache and reads alone.
//
// Fresh commits need no read at all from a host of ABI 1.2 that hands them
// over as they become durable (after_commit_txs): offer() appends them to
// the cache at its tip before the streams are woken, so a stream at the tip
// finds its next batch here and frames it on its strand: no trip to the
// blocking pool and back, no log read, per commit (docs/benchmarks.md,
// "Upstream cost of replication" and "where the milliseconds go", measured
// both as what was left). What cannot continue the cache exactly (a gap, a
// read at the tip running, a transaction larger than a batch) is dropped and
// read from the log as before, so what is offered never changes what a
// stream sends, only where it comes from.
//
// A transaction larger than a batch is a slice of its own; from a host that
// reads its log in pieces (ABI 1.2 read_log_bounded) its payload is not read
// here but by each stream as it sends it (LogSlice::unread), so the upstream
// never holds such a transaction whole.
//
// Memory: the cached slices hold at most max_cached_bytes of records (the
// oldest are dropped first; the newest always stays), plus the slices streams
// hold while they frame them (at most two per stream, as before sharing).
#pragma once

#include "runtime/async_signal.hpp"

#include <ccdr/host_handle.hpp>
#include <ccdr/status.hpp>

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ccdr::plugin {

// Transactions read from the log, encoded as batch records (protocol/
// batch.hpp) whose chain values are still to be computed by each stream.
struct LogSlice {
    uint64_t first_tx = 0;
    uint64_t last_tx = 0;
    int64_t first_commit_ms = 0;
    size_t count = 0;
    size_t payload_bytes = 0;       // the transactions' payloads, without record overhead
    std::vector<uint8_t> records;   // `count` records, chain slots not yet filled
    // One transaction larger than a batch whose payload (payload_bytes) was
    // not read: `records` is empty, and the stream that frames it reads it
    // from the host in pieces (ABI 1.2, log_tx_reader.hpp). Only from a
    // host with those calls; from another, a large transaction is read
    // whole, as any other.
    bool unread = false;
};

// What obtain() found: a slice, nothing new (slice null, status ok), or the
// log's failure (CCDR_LOG_PRUNED when it no longer holds the tx).
struct SliceRead {
    Status status;
    std::shared_ptr<const LogSlice> slice;
};

class SharedLog {
public:
    // The cache's defaults: 4 batches of ccdr.batch.max_bytes (4 MiB at the
    // default 1 MiB) per database lineage.
    static constexpr uint64_t kCachedBatches = 4;

    SharedLog(HostHandle host, std::string database, uint64_t batch_max_bytes, uint64_t max_cached_bytes);
    SharedLog(const SharedLog&) = delete;
    SharedLog& operator=(const SharedLog&) = delete;

    // Never blocks on the log: the cached slice that starts at next_tx, or null.
    std::shared_ptr<const LogSlice> find(uint64_t next_tx);
    // Never blocks on the log: true when another stream is reading the slice
    // that starts at next_tx; `waiter` is notified once it is published (or
    // the read ended without one). False: nobody is, call obtain().
    bool wait_for_read(uint64_t next_tx, const std::shared_ptr<runtime::AsyncSignal>& waiter);
    // Blocks (reads the log; run it on the blocking pool): the slice that
    // starts at next_tx, as the header says.
    SliceRead obtain(uint64_t next_tx);
    // Never blocks on the log (after_commit_txs, on the committing thread):
    // transactions that became durable, consecutive ids. Kept when they
    // continue the cache at its tip (or start it) and no read at the tip
    // runs (that read finds them in the log); otherwise dropped. Appended to
    // the newest slice while no stream has taken it and it holds less than a
    // batch, so a stream that was busy writing finds one batch, not many.
    void offer(std::span<const ccdr_tx> txs);
    // The database stopped, was dropped or promoted here: no more offers
    // (its name may come back with another history), nothing cached.
    void retire();
    bool retired() const;

    uint64_t tip() const;
    struct Counts {
        uint64_t reads = 0;        // slices read at the tip and published
        uint64_t solo_reads = 0;   // slices read for one stream behind the cache
        uint64_t hits = 0;         // slices taken from the cache (find or obtain)
        uint64_t offered_txs = 0;  // transactions kept from the host's after_commit_txs
        uint64_t dropped_offers = 0;  // offers (or their tails) left to the log instead
        size_t cached_slices = 0;
        size_t cached_bytes = 0;
    };
    Counts counts() const;

private:
    // Reads [from, stop_before) of the log, at most about batch_max_ bytes.
    SliceRead read(uint64_t from, uint64_t stop_before) const;
    void publish(std::shared_ptr<const LogSlice> slice);  // mu_ held
    void hand_out(const std::shared_ptr<const LogSlice>& slice);  // mu_ held
    void evict();  // mu_ held

    HostHandle host_;
    std::string database_;
    uint64_t batch_max_;
    uint64_t max_cached_bytes_;
    mutable std::mutex mu_;
    std::condition_variable read_done_;
    std::map<uint64_t, std::shared_ptr<const LogSlice>> slices_;  // by first_tx, contiguous up to tip_
    uint64_t tip_ = 0;            // the tx after the newest cached slice; 0: none cached
    bool reading_ = false;        // a stream reads the slice starting at reading_at_
    uint64_t reading_at_ = 0;
    std::vector<std::shared_ptr<runtime::AsyncSignal>> waiters_;
    size_t cached_bytes_ = 0;
    // The newest slice, while offers may still append to it: made by
    // offer(), no stream has taken it, it holds less than a batch.
    std::shared_ptr<LogSlice> open_;
    bool retired_ = false;
    Counts counts_;
    // The host answered read_log_bounded with CCDR_UNSUPPORTED once: it
    // keeps HostServer's default, so read_log is used from then on.
    mutable std::atomic<bool> bounded_unsupported_{false};
};

// One SharedLog per database lineage, while a stream uses it. Lives as long
// as the plugin instance: after_commit_txs may offer from create() on.
class SharedLogs {
public:
    SharedLogs(HostHandle host, uint64_t batch_max_bytes) : host_(host), batch_max_(batch_max_bytes) {}
    std::shared_ptr<SharedLog> get(const std::string& database, const std::string& store_id, uint64_t epoch);
    // after_commit_txs: offers the transactions to every live log of
    // `database` (nothing when no stream serves it). Never blocks on the log.
    void offer(std::string_view database, std::span<const ccdr_tx> txs);
    // The database stopped, was dropped or promoted: its logs take no more
    // offers, and the next stream gets a fresh one.
    void retire(std::string_view database);

private:
    HostHandle host_;
    uint64_t batch_max_;
    std::mutex mu_;
    // By database, then lineage (store id and epoch).
    std::map<std::string, std::map<std::string, std::weak_ptr<SharedLog>>, std::less<>> logs_;
};

}  // namespace ccdr::plugin

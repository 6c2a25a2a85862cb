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
#include <string>
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

    uint64_t tip() const;
    struct Counts {
        uint64_t reads = 0;        // slices read at the tip and published
        uint64_t solo_reads = 0;   // slices read for one stream behind the cache
        uint64_t hits = 0;         // slices taken from the cache (find or obtain)
        size_t cached_slices = 0;
        size_t cached_bytes = 0;
    };
    Counts counts() const;

private:
    // Reads [from, stop_before) of the log, at most about batch_max_ bytes.
    SliceRead read(uint64_t from, uint64_t stop_before) const;
    void publish(std::shared_ptr<const LogSlice> slice);  // mu_ held

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
    Counts counts_;
    mutable std::atomic<bool> bounded_unsupported_{false};  // the host answered read_log_bounded so
};

// One SharedLog per database lineage, while a stream uses it.
class SharedLogs {
public:
    SharedLogs(HostHandle host, uint64_t batch_max_bytes) : host_(host), batch_max_(batch_max_bytes) {}
    std::shared_ptr<SharedLog> get(const std::string& database, const std::string& store_id, uint64_t epoch);

private:
    HostHandle host_;
    uint64_t batch_max_;
    std::mutex mu_;
    std::map<std::string, std::weak_ptr<SharedLog>> logs_;  // by database, store id and epoch
};

}  // namespace ccdr::plugin

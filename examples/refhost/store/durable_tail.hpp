// examples/refhost/store/durable_tail.hpp: copies of the transactions a
// member committed whose log records are not durable yet, so that the sync
// that makes them durable can hand them to the plugin (ABI 1.2
// after_commit_txs) and an upstream sends a fresh commit without reading it
// back from the log.
//
// Why a copy: the payload of a user commit belongs to the transaction that
// wrote it and is gone once commit_write returns; the log's record is on
// disk (page cache). A copy of a few hundred bytes under a mutex costs far
// less than the read and the thread handoff it saves on every stream's side.
// Bounded, and kept small on purpose: a transaction larger than
// kMaxTxBytes, or more than kMaxBytes waiting at once, is not kept, and that
// sync falls back to after_commit (the plugin reads the log). What the
// handover saves is a read and two thread hops per sync, which matters for
// the small groups of the lag path; a catch-up's batch of a megabyte is read
// in one slice anyway, and copying it cost the replica's apply_batch about
// 5 % (refhost_bench --apply, 2026-12-07), so an applied batch larger than
// kMaxBytes is not copied at all (skip()).
#pragma once

#include <ccdr/abi.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <span>
#include <vector>

namespace refhost {

class DurableTail {
public:
    static constexpr size_t kMaxTxBytes = 64 * 1024;
    static constexpr size_t kMaxBytes = 256 * 1024;

    using Handover = std::function<void(std::span<const ccdr_tx>)>;

    // A transaction was committed (its log record written, not yet synced).
    // Calls come in tx order (the store's write lock).
    void add(uint64_t tx_id, int64_t commit_time_ms, std::span<const uint8_t> payload);
    // Transactions were committed that are not kept (an applied batch larger
    // than kMaxBytes): the sync that covers them reports its last id alone.
    void skip();
    // Transactions up to last_tx are durable now: hands them over when every
    // one of them up to last_tx was kept (consecutive ids ending at last_tx)
    // and returns true; otherwise forgets them and returns false (the caller
    // then reports last_tx alone). Called by one syncing thread at a time.
    bool deliver(uint64_t last_tx, const Handover& handover);

private:
    struct Kept {
        uint64_t tx_id;
        int64_t commit_time_ms;
        size_t offset;
        size_t len;
    };

    std::mutex mu_;
    std::vector<Kept> kept_;
    std::vector<uint8_t> bytes_;
    bool incomplete_ = false;  // something since the last deliver was not kept
    // The syncing thread's copies, reused from sync to sync.
    std::vector<Kept> taken_;
    std::vector<uint8_t> taken_bytes_;
    std::vector<ccdr_tx> txs_;
};

}  // namespace refhost

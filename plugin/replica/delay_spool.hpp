// plugin/replica/delay_spool.hpp: what a replica member with an applyDelay
// has received but not applied yet, on disk. Each verified batch becomes one
// file, <data directory>/ccdr/delay/<database>/<first tx>-<last tx>.batch
// (this server's member: the data directory is the server's), holding
//   u64 xxh3_64 of the rest | the batch payload exactly as it came on the wire
// written to a temporary name, synced, renamed and the directory synced
// before the upstream hears an ACK for it: what the upstream was told is
// received survives a crash or a restart of this server, and nothing more is
// lost when the upstream's region goes. A file whose transactions are all
// applied is removed.
//
// Every function that touches a file blocks: call it on the blocking pool or
// the delayed applier's thread. The index is behind a mutex: the puller
// appends, the delayed applier reads and removes, a promotion reads.
#pragma once

#include "protocol/batch.hpp"

#include <ccdr/status.hpp>

#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <mutex>
#include <optional>

namespace ccdr::plugin {

struct SpoolSegment {
    uint64_t first_tx = 0;
    uint64_t last_tx = 0;
    int64_t first_commit_ms = 0;
    int64_t last_commit_ms = 0;
    uint64_t bytes = 0;
    std::filesystem::path path;
};

class DelaySpool {
public:
    // `root` is <data directory>/ccdr/delay; the member's folder is
    // root/<database>.
    DelaySpool(const std::filesystem::path& root, const std::string& database);
    DelaySpool(const DelaySpool&) = delete;
    DelaySpool& operator=(const DelaySpool&) = delete;

    // Reads the folder the first time (later calls only drop what is
    // applied): files of transactions up to `applied_tx` are removed; the
    // rest must continue at applied_tx + 1 without a gap and verify, else
    // that file and every later one are removed (they are pulled again).
    Status open(uint64_t applied_tx);
    bool opened() const;

    // Appends a verified batch; it must continue last_tx() (any first id
    // when the spool is empty). Synced before it returns.
    Status append(const protocol::DecodedBatch& batch);

    bool empty() const;
    uint64_t last_tx() const;  // 0 when empty
    uint64_t bytes() const;
    std::optional<SpoolSegment> front() const;
    // A file's batch, verified again.
    Result<protocol::DecodedBatch> load(const SpoolSegment& segment) const;
    // Removes the files whose transactions are all applied.
    void drop_through(uint64_t applied_tx);

    // The last spooled transaction committed at or before `time_ms`
    // (upstream clock); 0 when none is.
    Result<uint64_t> last_at_or_before(int64_t time_ms) const;
    // Every spooled transaction after `tx`, in order; stops at the first
    // non-OK return of `fn` and returns it.
    Status for_each_after(uint64_t tx, const std::function<Status(const ccdr_tx&)>& fn) const;

    // Removes the folder (the database was dropped or promoted).
    void discard();

private:
    Status scan(uint64_t applied_tx);

    const std::filesystem::path directory_;
    mutable std::mutex mu_;
    bool opened_ = false;
    std::deque<SpoolSegment> segments_;
    uint64_t bytes_ = 0;
};

}  // namespace ccdr::plugin

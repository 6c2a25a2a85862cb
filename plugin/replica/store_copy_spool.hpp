// plugin/replica/store_copy_spool.hpp: the replica's side of a store copy.
// Chunks are verified (offset and xxh3) and appended to a spool file under
// this instance's data directory. A copy cut off by a disconnect resumes at
// the last verified chunk (this object remembers it). For a restart of this
// server, a small index records the snapshot id and a length the file is
// synced to (every kRecordEvery bytes, at the last chunk and when the spool
// is destroyed: the server stops), and a tail file beside it gets a line
// after every chunk, without a sync: the end and hash of each chunk written
// since that sync (the tail).
// Loading the index believes the tail chunk by chunk only as far as the file
// holds the same bytes: after a kill of the process the page cache still
// has them, so the copy resumes at the last verified chunk (at most one
// chunk is sent again); after a crash of the machine it resumes at the last
// chunk that reached the disk intact, at worst at the synced length.
// Syncing every 1 MiB chunk instead held the copy to about 150 MB/s on our
// disk (docs/benchmarks.md, store copy). When every byte is in and the whole
// file's hash matches, the spool is handed to the host (snapshot_import_file,
// or snapshot_import's source for a host older than ABI 1.2).
//
// Every function but the progress getters blocks (file I/O): call them on
// the blocking pool. One member uses its spool from one coroutine at a time.
#pragma once

#include "protocol/messages.hpp"

#include <ccdr/host_handle.hpp>
#include <ccdr/status.hpp>

#include <atomic>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace ccdr::plugin {

class StoreCopySpool {
public:
    StoreCopySpool(std::string directory, const std::string& database);
    StoreCopySpool(const StoreCopySpool&) = delete;
    StoreCopySpool& operator=(const StoreCopySpool&) = delete;
    ~StoreCopySpool();

    struct ResumePoint {
        uint64_t snapshot_id = 0;  // 0: nothing to resume
        uint64_t offset = 0;
    };
    // What a SNAPSHOT_REQUEST should ask for (reads the index left by an
    // earlier run the first time).
    ResumePoint resume_point();

    // Starts (a new snapshot id: the spool is emptied) or resumes (the same
    // id at the verified offset). CCDR_CORRUPT when the upstream resumes at
    // another offset.
    Status begin(const protocol::SnapshotBegin& begin);
    // Verifies and stores the next chunk. CCDR_CORRUPT for a chunk that is
    // not the next one or whose hash does not match (nothing is written).
    Status write(const protocol::SnapshotChunk& chunk);
    // Checks the length and the whole file's hash. On a mismatch the spool
    // is emptied (the copy starts over) and CCDR_CORRUPT returned.
    Status finish(const protocol::SnapshotEnd& end);
    // Replaces the member's store with the snapshot, then removes the spool:
    // the host takes the spool file (ABI 1.2 snapshot_import_file, by rename
    // on the refhost), or an older host reads it through snapshot_import.
    // When the host took the file and then failed, the spool is discarded.
    Status import(const HostHandle& host, const std::string& database);
    // Removes the spool and its index.
    void discard();

    uint64_t verified_bytes() const { return verified_.load(std::memory_order_relaxed); }
    uint64_t total_bytes() const { return total_.load(std::memory_order_relaxed); }
    uint64_t snapshot_tx() const { return tx_id_; }

    // Bytes between two syncs of the spool (and updates of its index). The
    // tail file covers a kill in between; a crash of the machine resumes at
    // most this far back. 8 MiB cost a 4-11 ms fdatasync every 8 chunks, a
    // pause of the spool's writes (32 MiB: about half of that a MiB).
    static constexpr uint64_t kRecordEvery = 32 << 20;

private:
    // ABI 1.0/1.1: the host reads the spool through a snapshot source.
    Status import_streamed(const HostHandle& host, const std::string& database, const ccdr_snapshot_info& info);
    // Syncs the spool and records the verified length in the index.
    Status record();
    // Writes the index (fsync-free: rename over the old one).
    Status save_index();
    // Rewrites the tail file to hold tail_ (empty after a sync).
    Status reset_tail_file();
    // Appends one chunk's line to the tail file.
    Status append_tail(uint64_t end, uint64_t hash);
    void load_index();
    // The length of the file's prefix that matches the index's tail, from `from`.
    uint64_t verify_tail(uint64_t from, const std::vector<std::pair<uint64_t, uint64_t>>& tail) const;

    std::string directory_;
    std::string data_path_;
    std::string index_path_;
    std::string tail_path_;
    int tail_fd_ = -1;  // the tail file, open for appending once a copy began
    bool index_loaded_ = false;
    int fd_ = -1;
    uint64_t snapshot_id_ = 0;
    uint64_t tx_id_ = 0;
    int64_t commit_time_ms_ = 0;
    std::atomic<uint64_t> total_{0};
    std::atomic<uint64_t> verified_{0};
    uint64_t recorded_ = 0;  // the length the index holds, synced
    // Chunks written since that sync: (end offset, xxh3 of the chunk).
    std::vector<std::pair<uint64_t, uint64_t>> tail_;
};

}  // namespace ccdr::plugin

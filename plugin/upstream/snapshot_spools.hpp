// plugin/upstream/snapshot_spools.hpp: snapshots exported for store copies.
// The host writes a consistent copy of a database into a spool file under
// this instance's data directory (ABI 1.2 snapshot_export_file; an older
// host streams it through snapshot_export's sink); replicas then read it in
// chunks, and one interrupted by a disconnect resumes from (snapshot id,
// offset) while the spool is kept: for ccdr.snapshot.retention after its
// last use.
//
// One export per database at a time: a copy that asks while an export of
// the same database runs (the members of a new 3 + 2 replica database ask
// at about the same moment) waits for that export and reads the same spool,
// instead of starting a copy of the store of its own. A spool already
// finished is not handed to a new copy: its tx may be older than the log
// still holds. A copy that joins waits on its (blocking) thread, as its own
// export would have; if the export fails, every copy that joined gets its
// error.
//
// acquire() blocks (it may export): call it on the blocking pool.
#pragma once

#include <ccdr/abi.h>
#include <ccdr/host_handle.hpp>
#include <ccdr/status.hpp>

#include <spdlog/logger.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <vector>

namespace ccdr::plugin {

struct SnapshotSpool {
    uint64_t id = 0;
    std::string database;
    std::string path;
    uint64_t tx_id = 0;
    int64_t commit_time_ms = 0;
    uint64_t total_bytes = 0;
    uint64_t file_hash = 0;  // xxh3_64 of the whole file
};

class SnapshotSpools {
public:
    SnapshotSpools(HostHandle host, std::string directory, std::chrono::milliseconds retention,
                   std::shared_ptr<spdlog::logger> log);
    SnapshotSpools(const SnapshotSpools&) = delete;
    SnapshotSpools& operator=(const SnapshotSpools&) = delete;
    ~SnapshotSpools();

    // The spool `id` of `database` when it is still kept (resume), else the
    // spool of the export of `database` that is running (joined), else a
    // new export. Blocks.
    Result<std::shared_ptr<const SnapshotSpool>> acquire(const std::string& database, uint64_t id);
    // Marks the spool used now (keeps it from expiring while it is read).
    void touch(uint64_t id);
    // Reads up to out.size() bytes at offset. Blocks.
    Result<size_t> read(const SnapshotSpool& spool, uint64_t offset, std::span<uint8_t> out) const;
    // Deletes spools unused for longer than the retention.
    void expire();
    // Deletes every spool (at stop) and stale files of earlier runs (at start).
    void remove_all();
    // Copies that were given the spool of an export already running.
    uint64_t joined_exports() const;

private:
    // An export that is running, for the copies that join it.
    struct Running {
        bool done = false;
        Result<std::shared_ptr<SnapshotSpool>> result = Status(CCDR_INTERNAL, "the export has not ended");
        size_t joined = 0;
    };
    // export_snapshot() for the first copy to ask for `database`, the
    // same result for those that ask while it runs.
    Result<std::shared_ptr<SnapshotSpool>> export_once(const std::string& database);
    Result<std::shared_ptr<SnapshotSpool>> export_snapshot(const std::string& database);
    // ABI 1.2 snapshot_export_file into spool.path, then the file hashed;
    // CCDR_UNSUPPORTED when the host keeps the function's default.
    Status export_into_file(SnapshotSpool& spool);
    // ABI 1.0/1.1 snapshot_export streamed through a sink into spool->path.
    Result<std::shared_ptr<SnapshotSpool>> export_streamed(std::shared_ptr<SnapshotSpool> spool);
    static Result<uint64_t> hash_file(const std::string& path, uint64_t expected_bytes);

    HostHandle host_;
    std::string directory_;
    std::chrono::milliseconds retention_;
    std::shared_ptr<spdlog::logger> log_;

    mutable std::mutex mu_;
    struct Kept {
        std::shared_ptr<SnapshotSpool> spool;
        std::chrono::steady_clock::time_point last_used;
    };
    std::map<uint64_t, Kept> spools_;
    std::map<std::string, std::shared_ptr<Running>> running_;  // by database
    std::condition_variable export_ended_;
    uint64_t joined_exports_ = 0;
};

}  // namespace ccdr::plugin

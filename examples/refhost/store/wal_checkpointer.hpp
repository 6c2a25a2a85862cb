// examples/refhost/store/wal_checkpointer.hpp: SQLite's WAL checkpoints
// off the commit path of a member store.
//
// By default SQLite checkpoints inside the COMMIT that takes the WAL past
// wal_autocheckpoint pages: that commit, and in the refhost every writer
// queued behind the member's write lock, waits while pages are copied into
// the database file and synced (the ~100 ms stalls in the lag picture of
// docs/benchmarks.md). Here every connection's WAL hook only notes the
// WAL's size, and a thread of the store checkpoints in two steps:
//
//   1. the bulk, without the write lock: a PASSIVE checkpoint on the
//      thread's own connection copies every frame no reader still needs,
//      while commits go on;
//   2. the rest, under the write lock (`lock_writes`, a short wait in the
//      writers' queue): no commit can add frames, so a RESTART checkpoint
//      (readers are short; it waits up to 5 ms for them) copies the few
//      frames written during step 1, completes, and lets the next writer
//      start the WAL file over. A run that does not complete is tried again.
//
// Step 2 is left out when step 1 copied the whole WAL: the next writer
// then starts the WAL over by itself, unless a reader still uses it. That
// is a catch-up's case (large batches, no reader): there step 2 came right
// after a batch's commit, copied that whole batch and synced the database
// file under the write lock, 45-57 ms a checkpoint that every batch behind
// waited for. Should the WAL not start over after a few runs whose step 1
// completed (a reader keeps using it), the next run takes step 2.
//
// Why step 2: a PASSIVE checkpoint copies only up to the oldest snapshot a
// reader holds. Beside continuous commits and a reader polling thousands of
// times a second (the lag benchmark) some reader nearly always holds a
// snapshot older than the newest commit, so the checkpoint rarely
// completes and the WAL rarely starts over: with SQLite's own checkpoints
// the WAL reached 101 MiB in 30 s of checkpoint_bench (trigger 32 MiB).
//
// Why the first background checkpointer (PASSIVE alone, reverted) made a
// replica fall behind: its connection had never read the database, and
// sqlite3_wal_checkpoint_v2 on such a connection succeeds doing nothing
// (log and copied frames -1). No checkpoint ever ran in the background;
// the WAL grew to eight times the trigger and every commit from then on
// checkpointed inline. The thread now reads the journal mode first.
//
// Between checkpoints the thread also starts the writeback of the WAL's new
// frames every kTrickleFrames (sync_file_range, without waiting), as
// PostgreSQL's *_flush_after settings do: SQLite writes whole pages, about
// 20 KiB of WAL for a 300-byte transaction, and the checkpoint's fsync of
// the WAL then sent up to 16 MiB to the disk at once, which every log sync
// of the machine waited behind. Written back as they come, the checkpoint's
// fsync finds the frames clean (the replica's apply p99 1.37-1.54 ms ->
// 1.05-1.20 ms in the lag run, docs/benchmarks.md).
//
// Before step 2 the thread also syncs, on its own descriptors, the WAL and
// the database file step 1 wrote: SQLite syncs the database file only after
// a pass that reaches the WAL's end, so every page a step 1 that did not
// complete copied was synced in step 2, under the write lock. fsync is per
// file, not per descriptor: step 2's own syncs then find less to write.
//
// Should the WAL still pass `inline_pages` (the thread cannot get the lock,
// a failing disk), the committing connection checkpoints as SQLite would by
// default, so the WAL stays bounded.
#pragma once

#include <sqlite3.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace refhost {

class WalCheckpointer {
public:
    // Takes the store's write lock for step 2, waiting at most `wait`;
    // returns a release function, or an empty one when the lock was not
    // granted (the step is tried again on the next run).
    using LockWrites = std::function<std::function<void()>(std::chrono::milliseconds wait)>;

    struct Counters {
        uint64_t runs = 0;        // background runs (step 1)
        uint64_t completed = 0;   // runs that completed the checkpoint (either step)
        uint64_t completed_unlocked = 0;  // of which in step 1, without the write lock
        uint64_t inline_runs = 0; // checkpoints inside a commit (past inline_pages)
        uint64_t locked_us_max = 0;    // longest step 2 (the write lock held)
        uint64_t locked_us_total = 0;  // all steps 2: a slow write whose wait saw it grow waited for one
        uint64_t trickles = 0;         // writebacks of the WAL started between checkpoints
    };

    WalCheckpointer(std::string db_file, int trigger_pages, int inline_pages, LockWrites lock_writes);
    ~WalCheckpointer();  // stops and joins the thread
    WalCheckpointer(const WalCheckpointer&) = delete;
    WalCheckpointer& operator=(const WalCheckpointer&) = delete;

    // Replaces `db`'s automatic checkpoints with this checkpointer. `db`
    // must be closed before this object is destroyed.
    void attach(sqlite3* db);
    Counters counters() const;

private:
    static int on_wal_commit(void* self, sqlite3* db, const char* schema, int pages);
    void run();
    void checkpoint_once(sqlite3* db);
    // Starts the writeback of the WAL's dirty pages (sync_file_range,
    // SYNC_FILE_RANGE_WRITE: queues the writes, does not wait for them).
    void trickle();
    // fdatasync of the WAL and the database file on the thread's own
    // descriptors (step 1's copies, before step 2 takes the write lock).
    void sync_before_locked_step();
    // The WAL header's checkpoint sequence number and salts (bytes 12-23),
    // which a writer changes when it starts the WAL over; empty if unread.
    std::string wal_generation();

    const std::string file_;
    const int trigger_pages_;
    const int inline_pages_;
    const LockWrites lock_writes_;
    mutable std::mutex mu_;
    std::condition_variable cv_;
    bool requested_ = false;
    bool trickle_requested_ = false;
    bool stopping_ = false;
    // The WAL's size in frames when its writeback was last asked for (the
    // committing threads, one at a time: they hold the store's write lock).
    std::atomic<int> trickled_at_{0};
    // The WAL generation (header's checkpoint count and salts) at the last
    // run that left step 2 out, and how many runs did so in it (the
    // thread's own state).
    std::string generation_at_skip_;
    int skips_in_generation_ = 0;
    int wal_fd_ = -1;  // the thread's own descriptor of the WAL file
    int db_fd_ = -1;   // and of the database file
    Counters counters_;
    std::thread thread_;
};

}  // namespace refhost

#include "store/wal_checkpointer.hpp"

#include "store/sqlite.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

namespace refhost {
namespace {

// Step 2 waits this long for the write lock: a run that cannot get it
// leaves the rest to the next one rather than queue behind a long apply.
constexpr std::chrono::milliseconds kLockWait{200};
// How long step 2 waits for readers of older snapshots, holding the write
// lock: a read that outlasts it makes the run give up (the next run tries
// again) rather than stall the writers. 50 ms here showed up as 50 ms
// commits under a reader polling 2 000 times a second (checkpoint_bench).
constexpr int kReaderWaitMs = 5;
// The least time between two runs.
constexpr std::chrono::milliseconds kRunPause{10};
// New WAL frames whose writeback is started at once (about 256 KiB with
// 4 KiB pages; PostgreSQL's wal_writer_flush_after is 1 MiB,
// checkpoint_flush_after 256 KiB).
constexpr int kTrickleFrames = 64;

}  // namespace

WalCheckpointer::WalCheckpointer(std::string db_file, int trigger_pages, int inline_pages, LockWrites lock_writes)
    : file_(std::move(db_file)),
      trigger_pages_(trigger_pages),
      inline_pages_(inline_pages),
      lock_writes_(std::move(lock_writes)) {
    thread_ = std::thread([this] { run(); });
}

WalCheckpointer::~WalCheckpointer() {
    {
        std::lock_guard lock(mu_);
        stopping_ = true;
    }
    cv_.notify_one();
    thread_.join();
    if (wal_fd_ >= 0) {
        ::close(wal_fd_);
    }
}

void WalCheckpointer::attach(sqlite3* db) { sqlite3_wal_hook(db, &WalCheckpointer::on_wal_commit, this); }

WalCheckpointer::Counters WalCheckpointer::counters() const {
    std::lock_guard lock(mu_);
    return counters_;
}

int WalCheckpointer::on_wal_commit(void* self, sqlite3* db, const char* schema, int pages) {
    auto* me = static_cast<WalCheckpointer*>(self);
    if (pages >= me->inline_pages_) {
        // The commit has happened; a failed checkpoint only leaves the WAL
        // long, so its status is not the commit's (returning it would make
        // SQLite report the committed statement as failed).
        (void)sqlite3_wal_checkpoint_v2(db, schema, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
        std::lock_guard lock(me->mu_);
        ++me->counters_.inline_runs;
        return SQLITE_OK;
    }
    if (pages >= me->trigger_pages_) {
        {
            std::lock_guard lock(me->mu_);
            me->requested_ = true;
        }
        me->cv_.notify_one();
        return SQLITE_OK;
    }
    // A WAL shorter than at the last writeback has started over.
    const int at = me->trickled_at_.load(std::memory_order_relaxed);
    if (pages < at) {
        me->trickled_at_.store(0, std::memory_order_relaxed);
    } else if (pages - at >= kTrickleFrames) {
        me->trickled_at_.store(pages, std::memory_order_relaxed);
        {
            std::lock_guard lock(me->mu_);
            me->trickle_requested_ = true;
        }
        me->cv_.notify_one();
    }
    return SQLITE_OK;
}

void WalCheckpointer::trickle() {
    // SQLite removes the WAL when its last connection closes and makes a new
    // one later: a descriptor of a removed file is opened again.
    struct stat st{};
    if (wal_fd_ >= 0 && (::fstat(wal_fd_, &st) != 0 || st.st_nlink == 0)) {
        ::close(wal_fd_);
        wal_fd_ = -1;
    }
    if (wal_fd_ < 0) {
        wal_fd_ = ::open((file_ + "-wal").c_str(), O_WRONLY | O_CLOEXEC);
        if (wal_fd_ < 0) {
            return;  // no WAL yet: nothing to write back
        }
    }
    // Whole file: only its dirty pages are written. A failure leaves them to
    // the checkpoint's fsync, as without this.
    if (::sync_file_range(wal_fd_, 0, 0, SYNC_FILE_RANGE_WRITE) == 0) {
        std::lock_guard lock(mu_);
        ++counters_.trickles;
    }
}

void WalCheckpointer::checkpoint_once(sqlite3* db) {
    // Step 1: the bulk, beside the commits.
    int log_frames = 0;
    int copied = 0;
    if (sqlite3_wal_checkpoint_v2(db, "main", SQLITE_CHECKPOINT_PASSIVE, &log_frames, &copied) != SQLITE_OK) {
        return;  // the WAL stays as it was: the data is safe in it
    }
    // Step 2: the rest, with no writer (see the file comment). RESTART, not
    // FULL: it also waits until no reader uses the WAL, so that the next
    // writer starts the WAL file over (with FULL alone the WAL still grew to
    // 34 MiB against a 16 MiB trigger in checkpoint_bench).
    std::function<void()> release = lock_writes_ ? lock_writes_(kLockWait) : std::function<void()>();
    if (!release) {
        return;
    }
    const auto start = std::chrono::steady_clock::now();
    sqlite3_busy_timeout(db, kReaderWaitMs);
    const int rc = sqlite3_wal_checkpoint_v2(db, "main", SQLITE_CHECKPOINT_RESTART, &log_frames, &copied);
    const auto held_us = static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start).count());
    release();
    std::lock_guard lock(mu_);
    counters_.locked_us_max = std::max(counters_.locked_us_max, held_us);
    counters_.locked_us_total += held_us;
    if (rc == SQLITE_OK && log_frames >= 0 && copied == log_frames) {
        ++counters_.completed;
    }
}

void WalCheckpointer::run() {
    sql::Connection conn;
    std::unique_lock lock(mu_);
    for (;;) {
        cv_.wait(lock, [&] { return requested_ || trickle_requested_ || stopping_; });
        if (stopping_) {
            break;
        }
        if (trickle_requested_ && !requested_) {
            trickle_requested_ = false;
            lock.unlock();
            trickle();
            lock.lock();
            continue;
        }
        requested_ = false;
        trickle_requested_ = false;  // the checkpoint syncs the WAL itself
        lock.unlock();
        if (conn.get() == nullptr) {
            auto opened = sql::Connection::open(file_, false);
            // A connection checkpoints only once it has read the database
            // and seen it is in WAL mode: before, sqlite3_wal_checkpoint_v2
            // succeeds doing nothing (log and copied frames -1). That is what
            // made the first background checkpointer never checkpoint.
            if (opened && opened->exec("PRAGMA journal_mode=WAL")) {
                conn = std::move(opened.value());
                // It never commits, but say so: no checkpoint from inside it.
                sqlite3_wal_autocheckpoint(conn.get(), 0);
            }
        }
        if (conn.get() != nullptr) {
            checkpoint_once(conn.get());
        }
        lock.lock();
        ++counters_.runs;
        // Commits past the trigger ask again at once; a run that could not
        // complete (a reader's snapshot) is retried after a pause, not in a
        // loop that takes the write lock hundreds of times a second.
        cv_.wait_for(lock, kRunPause, [&] { return stopping_; });
    }
    lock.unlock();
    conn.close();
}

}  // namespace refhost

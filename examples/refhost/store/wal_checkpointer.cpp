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
// Runs whose step 1 completed that may leave step 2 out while the WAL has
// not started over (see checkpoint_once).
constexpr int kSkipsWithoutRestart = 3;

// `fd` as a descriptor of `path`'s current file, opened again when the
// file it names was removed or replaced: SQLite removes the WAL when its
// last connection closes and makes a new one later, and an imported store
// copy is renamed over the database file. False when there is no file.
bool refresh_fd(int& fd, const std::string& path, int flags) {
    struct stat st{};
    if (fd >= 0 && (::fstat(fd, &st) != 0 || st.st_nlink == 0)) {
        ::close(fd);
        fd = -1;
    }
    if (fd < 0) {
        fd = ::open(path.c_str(), flags | O_CLOEXEC);
    }
    return fd >= 0;
}

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
    if (db_fd_ >= 0) {
        ::close(db_fd_);
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
    if (!refresh_fd(wal_fd_, file_ + "-wal", O_RDWR)) {
        return;  // no WAL yet: nothing to write back
    }
    // Whole file: only its dirty pages are written. A failure leaves them to
    // the checkpoint's fsync, as without this.
    if (::sync_file_range(wal_fd_, 0, 0, SYNC_FILE_RANGE_WRITE) == 0) {
        std::lock_guard lock(mu_);
        ++counters_.trickles;
    }
}

void WalCheckpointer::sync_before_locked_step() {
    // A failure here costs nothing but time: step 2 syncs both files again
    // through SQLite, whose status decides.
    if (refresh_fd(wal_fd_, file_ + "-wal", O_RDWR)) {
        (void)::fdatasync(wal_fd_);
    }
    if (refresh_fd(db_fd_, file_, O_RDONLY)) {
        (void)::fdatasync(db_fd_);
    }
}

std::string WalCheckpointer::wal_generation() {
    // The WAL file's header (SQLite's WAL format): bytes 12-15 count the
    // checkpoints that started the WAL over, 16-23 are its salts.
    if (!refresh_fd(wal_fd_, file_ + "-wal", O_RDWR)) {
        return {};
    }
    char header[24];
    if (::pread(wal_fd_, header, sizeof header, 0) != static_cast<ssize_t>(sizeof header)) {
        return {};
    }
    return std::string(header + 12, 12);
}

void WalCheckpointer::checkpoint_once(sqlite3* db) {
    // Step 1: the bulk, beside the commits.
    int log_frames = 0;
    int copied = 0;
    if (sqlite3_wal_checkpoint_v2(db, "main", SQLITE_CHECKPOINT_PASSIVE, &log_frames, &copied) != SQLITE_OK) {
        return;  // the WAL stays as it was: the data is safe in it
    }
    if (log_frames > 0 && copied == log_frames) {
        // Complete without the lock. The WAL starts over at the first commit
        // of a writer that began after this point (one that began before
        // still reads through the WAL), so with long batches it may take a
        // commit or two; step 2 only after kSkipsWithoutRestart such runs
        // without a new WAL generation (a reader kept using the WAL).
        std::string generation = wal_generation();
        if (generation != generation_at_skip_) {
            generation_at_skip_ = std::move(generation);
            skips_in_generation_ = 0;
        }
        if (!generation_at_skip_.empty() && skips_in_generation_ < kSkipsWithoutRestart) {
            ++skips_in_generation_;
            std::lock_guard lock(mu_);
            ++counters_.completed;
            ++counters_.completed_unlocked;
            return;
        }
    }
    // (The count stays: in this generation every run takes step 2 from now
    // on, until the WAL starts over.)
    sync_before_locked_step();
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

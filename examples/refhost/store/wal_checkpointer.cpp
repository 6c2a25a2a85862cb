#include "store/wal_checkpointer.hpp"

#include "store/sqlite.hpp"

namespace refhost {

WalCheckpointer::WalCheckpointer(std::string db_file, int trigger_pages, int inline_pages)
    : file_(std::move(db_file)), trigger_pages_(trigger_pages), inline_pages_(inline_pages) {
    thread_ = std::thread([this] { run(); });
}

WalCheckpointer::~WalCheckpointer() {
    {
        std::lock_guard lock(mu_);
        stopping_ = true;
    }
    cv_.notify_one();
    thread_.join();
}

void WalCheckpointer::attach(sqlite3* db) { sqlite3_wal_hook(db, &WalCheckpointer::on_wal_commit, this); }

uint64_t WalCheckpointer::background_runs() const {
    std::lock_guard lock(mu_);
    return background_runs_;
}

uint64_t WalCheckpointer::inline_runs() const {
    std::lock_guard lock(mu_);
    return inline_runs_;
}

int WalCheckpointer::on_wal_commit(void* self, sqlite3* db, const char* schema, int pages) {
    auto* me = static_cast<WalCheckpointer*>(self);
    if (pages >= me->inline_pages_) {
        // The commit has happened; a failed checkpoint only leaves the WAL
        // long, so its status is not the commit's (returning it would make
        // SQLite report the committed statement as failed).
        (void)sqlite3_wal_checkpoint_v2(db, schema, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
        std::lock_guard lock(me->mu_);
        ++me->inline_runs_;
        return SQLITE_OK;
    }
    if (pages >= me->trigger_pages_) {
        {
            std::lock_guard lock(me->mu_);
            me->requested_ = true;
        }
        me->cv_.notify_one();
    }
    return SQLITE_OK;
}

void WalCheckpointer::run() {
    sql::Connection conn;
    std::unique_lock lock(mu_);
    for (;;) {
        cv_.wait(lock, [&] { return requested_ || stopping_; });
        if (stopping_) {
            break;
        }
        requested_ = false;
        lock.unlock();
        if (conn.get() == nullptr) {
            auto opened = sql::Connection::open(file_, false);
            if (opened) {
                conn = std::move(opened.value());
                // Its own commits (none) must not checkpoint recursively.
                sqlite3_wal_autocheckpoint(conn.get(), 0);
            }
        }
        // PASSIVE copies what no reader still needs and waits for nobody;
        // what it leaves is copied by a later run (the next commit past the
        // trigger asks again). A failure leaves the WAL as it was: the data
        // is safe in it, and the inline fallback bounds its growth.
        if (conn.get() != nullptr) {
            (void)sqlite3_wal_checkpoint_v2(conn.get(), "main", SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
        }
        lock.lock();
        ++background_runs_;
    }
    lock.unlock();
    conn.close();
}

}  // namespace refhost

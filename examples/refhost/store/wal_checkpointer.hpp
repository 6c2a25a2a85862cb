// examples/refhost/store/wal_checkpointer.hpp: moves SQLite's WAL
// checkpoints off the commit path. By default SQLite checkpoints inside the
// COMMIT that takes the WAL past wal_autocheckpoint pages, so that commit
// (and, in the refhost, every writer queued behind the member's write lock)
// waits for pages to be copied into the database file and two fsyncs. Here
// each connection's WAL hook only notes the WAL's size; past `trigger_pages`
// a background thread runs a PASSIVE checkpoint on its own connection, which
// waits for no reader or writer. Should the WAL still grow past
// `inline_pages` (checkpoints that cannot finish, a stalled thread), the
// committing connection checkpoints inline as SQLite would by default, so
// the WAL stays bounded.
#pragma once

#include <sqlite3.h>

#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

namespace refhost {

class WalCheckpointer {
public:
    WalCheckpointer(std::string db_file, int trigger_pages, int inline_pages);
    ~WalCheckpointer();  // stops and joins the thread
    WalCheckpointer(const WalCheckpointer&) = delete;
    WalCheckpointer& operator=(const WalCheckpointer&) = delete;

    // Replaces `db`'s automatic checkpoints with this checkpointer. `db`
    // must be closed before this object is destroyed.
    void attach(sqlite3* db);
    // Checkpoints run so far by the thread, and inline (for tests, figures).
    uint64_t background_runs() const;
    uint64_t inline_runs() const;

private:
    static int on_wal_commit(void* self, sqlite3* db, const char* schema, int pages);
    void run();

    const std::string file_;
    const int trigger_pages_;
    const int inline_pages_;
    mutable std::mutex mu_;
    std::condition_variable cv_;
    bool requested_ = false;
    bool stopping_ = false;
    uint64_t background_runs_ = 0;
    uint64_t inline_runs_ = 0;
    std::thread thread_;
};

}  // namespace refhost

#include "store/sqlite.hpp"

#include <mutex>

namespace refhost::sql {

void configure_process() {
    static std::once_flag once;
    std::call_once(once, [] {
        // SQLite counts every allocation under one process-wide mutex while
        // memory statistics are on (its default); the refhost never reads
        // them. Off, apply_batch spends ~15 % less user CPU per transaction
        // (refhost_bench --apply). Only possible before SQLite initialises;
        // if something initialised it already the call is refused and the
        // statistics stay on, which is correct, only slower.
        sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    });
}

ccdr::Result<Connection> Connection::open(const std::string& path, bool create) {
    configure_process();
    sqlite3* db = nullptr;
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (create ? SQLITE_OPEN_CREATE : 0);
    int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
    if (rc != SQLITE_OK) {
        std::string msg = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
        sqlite3_close(db);
        return ccdr::Status(CCDR_IO_ERROR, "cannot open " + path + ": " + msg);
    }
    sqlite3_extended_result_codes(db, 1);
    Connection c;
    c.db_ = db;
    c.path_ = path;
    return c;
}

void Connection::close() {
    if (db_ != nullptr) {
        sqlite3_close_v2(db_);
        db_ = nullptr;
    }
}

ccdr::Status Connection::error(std::string_view what, int rc) const {
    std::string msg = db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
    ccdr_status code = CCDR_IO_ERROR;
    int primary = rc & 0xff;
    if (primary == SQLITE_CORRUPT || primary == SQLITE_NOTADB) {
        code = CCDR_CORRUPT;
    }
    return {code, std::string(what) + ": " + msg + " (SQLite code " + std::to_string(rc) + ", " + path_ + ")"};
}

ccdr::Status Connection::exec(std::string_view sql) {
    std::string text(sql);
    char* err = nullptr;
    int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &err);
    if (rc != SQLITE_OK) {
        std::string msg = err != nullptr ? err : sqlite3_errstr(rc);
        sqlite3_free(err);
        return {CCDR_IO_ERROR, "SQL failed (" + text.substr(0, 60) + "): " + msg + " (" + path_ + ")"};
    }
    return {};
}

ccdr::Result<Statement> Connection::prepare(std::string_view sql) {
    sqlite3_stmt* s = nullptr;
    int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &s, nullptr);
    if (rc != SQLITE_OK) {
        return error("preparing " + std::string(sql.substr(0, 60)), rc);
    }
    return Statement(s);
}

ccdr::Result<int64_t> Connection::scalar(std::string_view sql) {
    auto s = prepare(sql);
    if (!s) {
        return s.status();
    }
    int rc = s->step();
    if (rc == SQLITE_ROW) {
        return s->int64(0);
    }
    if (rc == SQLITE_DONE) {
        return int64_t{0};
    }
    return error(sql.substr(0, 60), rc);
}

ccdr::Status step_done(Connection& c, Statement& s, std::string_view what) {
    int rc = s.step();
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
        ccdr::Status st = c.error(what, rc);
        s.reset();
        return st;
    }
    s.reset();
    return {};
}

}  // namespace refhost::sql

// examples/refhost/store/sqlite.hpp: thin RAII over the SQLite C API: a
// connection and its prepared statements. Statements bind borrowed views
// (SQLITE_STATIC): the bound data must outlive the step, which it does on
// every path here (bind, step, reset in one scope).
#pragma once

#include <ccdr/status.hpp>

#include <sqlite3.h>

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>

namespace refhost::sql {

// Process-wide SQLite settings, once, before the first connection
// (Connection::open calls it; a program opening SQLite by itself first
// calls it too, as test/bench/refhost_bench's floor does).
void configure_process();

class Statement {
public:
    Statement() = default;
    explicit Statement(sqlite3_stmt* s) : s_(s) {}
    ~Statement() { sqlite3_finalize(s_); }
    Statement(Statement&& o) noexcept : s_(std::exchange(o.s_, nullptr)) {}
    Statement& operator=(Statement&& o) noexcept {
        if (this != &o) {
            sqlite3_finalize(s_);
            s_ = std::exchange(o.s_, nullptr);
        }
        return *this;
    }
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;

    bool valid() const { return s_ != nullptr; }
    sqlite3_stmt* get() const { return s_; }

    // Parameters are 1-based, as in SQLite.
    void bind(int i, int64_t v) { sqlite3_bind_int64(s_, i, v); }
    void bind(int i, uint64_t v) { sqlite3_bind_int64(s_, i, static_cast<int64_t>(v)); }
    void bind_double(int i, double v) { sqlite3_bind_double(s_, i, v); }
    void bind_text(int i, std::string_view v) {
        sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
    }
    void bind_blob(int i, std::span<const uint8_t> v) {
        // A zero-length blob must still be a blob, not NULL.
        static const uint8_t kEmpty = 0;
        sqlite3_bind_blob(s_, i, v.empty() ? &kEmpty : v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
    }
    void bind_null(int i) { sqlite3_bind_null(s_, i); }

    // SQLITE_ROW, SQLITE_DONE, or an error code.
    int step() { return sqlite3_step(s_); }
    void reset() {
        sqlite3_reset(s_);
        sqlite3_clear_bindings(s_);
    }

    int64_t int64(int col) const { return sqlite3_column_int64(s_, col); }
    double real(int col) const { return sqlite3_column_double(s_, col); }
    bool is_null(int col) const { return sqlite3_column_type(s_, col) == SQLITE_NULL; }
    std::string_view text(int col) const {
        const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s_, col));
        return p == nullptr ? std::string_view() : std::string_view(p, static_cast<size_t>(sqlite3_column_bytes(s_, col)));
    }
    std::span<const uint8_t> blob(int col) const {
        const auto* p = static_cast<const uint8_t*>(sqlite3_column_blob(s_, col));
        return p == nullptr ? std::span<const uint8_t>()
                            : std::span<const uint8_t>(p, static_cast<size_t>(sqlite3_column_bytes(s_, col)));
    }

private:
    sqlite3_stmt* s_ = nullptr;
};

// Resets a statement when the scope ends, whatever path leaves it.
class ResetGuard {
public:
    explicit ResetGuard(Statement& s) : s_(s) {}
    ~ResetGuard() { s_.reset(); }
    ResetGuard(const ResetGuard&) = delete;
    ResetGuard& operator=(const ResetGuard&) = delete;

private:
    Statement& s_;
};

class Connection {
public:
    Connection() = default;
    ~Connection() { close(); }
    Connection(Connection&& o) noexcept : db_(std::exchange(o.db_, nullptr)), path_(std::move(o.path_)) {}
    Connection& operator=(Connection&& o) noexcept {
        if (this != &o) {
            close();
            db_ = std::exchange(o.db_, nullptr);
            path_ = std::move(o.path_);
        }
        return *this;
    }
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    // Opens (creating when `create`) a database file in multi-thread mode:
    // one connection is used by one thread at a time.
    static ccdr::Result<Connection> open(const std::string& path, bool create);

    sqlite3* get() const { return db_; }
    const std::string& path() const { return path_; }
    void close();

    ccdr::Status exec(std::string_view sql);
    ccdr::Result<Statement> prepare(std::string_view sql);
    // The connection's last error, as "<what>: <sqlite message> (code N)".
    ccdr::Status error(std::string_view what, int rc) const;
    // Runs a statement that returns no rows, or one row whose first column is
    // an integer (returned; 0 when no row).
    ccdr::Result<int64_t> scalar(std::string_view sql);
    bool in_transaction() const { return db_ != nullptr && sqlite3_get_autocommit(db_) == 0; }

private:
    sqlite3* db_ = nullptr;
    std::string path_;
};

// Steps a statement that returns no rows; the error names `what`.
ccdr::Status step_done(Connection& c, Statement& s, std::string_view what);

}  // namespace refhost::sql

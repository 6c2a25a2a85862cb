// examples/refhost/bolt/session.hpp: one Bolt connection's server side, as a
// state machine over decoded requests (bolt-and-neo4j.md §6.7). It knows
// nothing of sockets: the connection feeds it one de-chunked request at a
// time and writes what it appends to `out`. Requests run to completion here
// (authentication, transactions, queries), so the connection calls it off
// the I/O threads, never two calls at once.
//
// A RUN that writes first takes the database's write lock for its
// transaction. When the lock is held by another transaction the session
// does not wait: handle() returns Park, the connection gives its worker
// back and holds the requests that follow, and the session's `wake` (called
// from any thread) tells it to call resume() on a worker when the lock was
// granted or the wait ended. `wake` also comes when the open transaction was
// terminated (TERMINATE TRANSACTION, db.transaction.timeout, a stop);
// resume() then rolls it back at once, and its next request fails with the
// reason.
//
// States: NEGOTIATION -HELLO-> AUTHENTICATION (5.1+) -LOGON-> READY;
// READY -RUN-> STREAMING -PULL/DISCARD (last)-> READY;
// READY -BEGIN-> TX_READY -RUN-> TX_STREAMING -PULL/DISCARD-> TX_READY
// -COMMIT/ROLLBACK-> READY. A FAILURE moves to FAILED (an open transaction
// is rolled back), where everything but RESET and GOODBYE is IGNORED. A
// failure before READY (HELLO, LOGON) closes the connection.
#pragma once

#include "bolt/handshake.hpp"
#include "bolt/message.hpp"
#include "common/error.hpp"
#include "common/value.hpp"
#include "cypher/engine.hpp"
#include "dbms/dbms_api.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace refhost::bolt {

enum class SessionState { Negotiation, Authentication, Ready, Streaming, TxReady, TxStreaming, Failed, Defunct };
const char* state_name(SessionState s);

struct SessionOptions {
    // How long BEGIN/RUN wait for the member to reach the client's bookmarks.
    std::chrono::milliseconds bookmark_timeout{30000};
    // Sent as the HELLO hint `telemetry.enabled` (5.4+): the driver then
    // sends TELEMETRY before its transactions.
    bool telemetry_enabled = true;
};

class BoltSession {
public:
    // `client_address` is what SHOW TRANSACTIONS shows; without `wake` the
    // session never parks (a write then waits for the lock in the DBMS).
    BoltSession(DbmsApi& dbms, cypher::Engine& engine, size_t server, BoltVersion version, std::string connection_id,
                SessionOptions options = {}, std::string client_address = {}, std::function<void()> wake = {});
    ~BoltSession();  // rolls back an open transaction
    BoltSession(const BoltSession&) = delete;
    BoltSession& operator=(const BoltSession&) = delete;

    enum class After { Continue, Close, Park };

    // Handles one de-chunked request, appending the chunked responses to
    // `out`. Close: send `out`, then close the connection. Park: the request
    // waits for the write lock; send `out`, hold the next requests, and call
    // resume() after `wake`.
    After handle(std::span<const uint8_t> request, std::vector<uint8_t>& out);
    After handle(const Message& request, std::vector<uint8_t>& out);
    // After `wake`: finishes a parked request (or parks it again), or rolls
    // back a transaction that was terminated while idle (no output then).
    After resume(std::vector<uint8_t>& out);
    bool parked() const { return parked_.has_value(); }
    // Its transaction holds the write lock (or a parked request was granted
    // it): its requests should run before others. Read from any thread.
    bool urgent() const { return urgent_.load(std::memory_order_relaxed); }

    SessionState state() const { return state_; }
    BoltVersion version() const { return version_; }
    const std::string& connection_id() const { return connection_id_; }

private:
    struct OpenResult {
        int64_t qid = -1;
        std::string database;
        cypher::QueryResult result;
        size_t next = 0;
        std::chrono::nanoseconds stream_time{0};
        bool done() const { return next >= result.rows.size(); }
    };
    struct TxParams {
        std::string database;
        bool client_gave_db = false;
        AccessMode mode = AccessMode::Write;
        std::vector<std::string> bookmarks;
        TxOptions options;  // tx_timeout, tx_metadata, this connection
    };
    // A RUN between its decoding and its result: parked while it waits for
    // the write lock.
    struct PendingRun {
        std::string query;
        Map params;
        std::string database;
        AccessMode mode = AccessMode::Write;
        bool auto_commit = false;
        bool client_gave_db = false;
        bool admin = false;
        bool resumed = false;  // parked once: its query is already announced
        std::chrono::steady_clock::time_point started;
    };

    After dispatch(const Message& m, std::vector<uint8_t>& out);
    After on_hello(const Message& m, std::vector<uint8_t>& out);
    After on_logon(const Message& m, std::vector<uint8_t>& out);
    void on_route(const Message& m, std::vector<uint8_t>& out);
    void on_begin(const Message& m, std::vector<uint8_t>& out);
    After on_run(const Message& m, std::vector<uint8_t>& out);
    After execute_run(PendingRun run, std::vector<uint8_t>& out);
    // The open transaction's termination, if any (auto-commit or explicit).
    std::optional<Error> termination() const;
    // Rolls back an open transaction that was terminated; remembers why.
    void apply_termination();
    void update_urgency();
    void on_pull(const Message& m, bool discard, std::vector<uint8_t>& out);
    void on_commit(std::vector<uint8_t>& out);
    void on_rollback(std::vector<uint8_t>& out);
    void on_reset(std::vector<uint8_t>& out);

    Outcome<AuthUser> authenticate(const Map& token);
    // The session's user as the DBMS says now (roles granted or revoked since
    // the login); a FAILURE and false when it refuses the user.
    bool refresh_user(std::vector<uint8_t>& out);
    Outcome<TxParams> tx_params(const Map& extra);
    Outcome<cypher::QueryResult> execute(const std::string& query, const Map& params, const std::string& database,
                                         AccessMode mode, Transaction* tx);
    // Streams up to n records (all for -1) of `r`, or skips them for DISCARD.
    void stream(OpenResult& r, int64_t n, bool discard, std::vector<uint8_t>& out);
    Map summary(const OpenResult& r) const;

    void success(std::vector<uint8_t>& out, Map metadata);
    void fail(std::vector<uint8_t>& out, const Error& error);  // FAILURE, clean up, FAILED
    void invalid(std::vector<uint8_t>& out, const Message& m);  // message not allowed in this state
    void clean_up();                                            // drops results, rolls back

    DbmsApi& dbms_;
    cypher::Engine& engine_;
    size_t server_;
    BoltVersion version_;
    std::string connection_id_;
    SessionOptions options_;
    std::string client_address_;
    std::function<void()> wake_;
    SessionState state_ = SessionState::Negotiation;
    std::optional<AuthUser> user_;

    // Auto-commit: the transaction (null for system) and its result.
    std::unique_ptr<Transaction> auto_tx_;
    std::optional<OpenResult> auto_result_;

    // Explicit transaction: `tx_` is null when it runs on system.
    std::unique_ptr<Transaction> tx_;
    std::string tx_database_;
    AccessMode tx_mode_ = AccessMode::Write;
    std::vector<OpenResult> tx_results_;
    int64_t next_qid_ = 0;

    std::optional<PendingRun> parked_;
    // The open transaction was terminated and rolled back while idle: its
    // next request fails with this.
    std::optional<Error> terminated_;
    std::atomic<bool> urgent_{false};
};

}  // namespace refhost::bolt

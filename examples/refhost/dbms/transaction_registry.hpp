// examples/refhost/dbms/transaction_registry.hpp: every open transaction of
// the cluster, as SHOW TRANSACTIONS lists it and TERMINATE TRANSACTION,
// db.transaction.timeout and a stop end it.
//
// A TrackedTransaction is the part of a transaction other threads may touch:
// who runs it, what it runs now, whether it waits for the write lock, and
// whether it was terminated. It is shared by the transaction (its owner's
// thread) and the registry; the registry holds it weakly, so a transaction
// that ends is gone from the lists at once.
//
// Terminating never touches the transaction's store: it records the reason,
// ends a write-lock wait, and wakes the owner (TxOptions::wake), who rolls
// back on its own thread. An executing query notices at its next store
// access; commit refuses.
#pragma once

#include "common/error.hpp"
#include "common/value.hpp"
#include "dbms/dbms_api.hpp"
#include "dbms/deadline_timer.hpp"
#include "dbms/write_lock_wait.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace refhost {

class TrackedTransaction {
public:
    struct Identity {
        std::string id;  // "<database>-transaction-<n>"
        std::string database;
        size_t server = 0;
        std::string username;
        AccessMode mode = AccessMode::Write;
        TxOptions client;          // connection, address, metadata, timeout, waker
        int64_t start_epoch_ms = 0;
        std::chrono::steady_clock::time_point start;
    };

    explicit TrackedTransaction(Identity identity);
    const Identity& identity() const { return identity_; }

    // First reason wins; false when already terminated or ended. Ends a
    // lock wait and wakes the owner.
    bool terminate(Error reason);
    std::optional<Error> termination() const;
    bool terminated() const { return terminated_.load(std::memory_order_acquire); }

    // --- the owner's reports ---
    void query_started(const std::string& text, const Map& parameters, uint64_t query_id);
    void query_finished();
    void lock_wait_started(std::shared_ptr<WriteLockWait> wait);
    void lock_wait_ended();
    void set_holds_lock(bool held);
    bool holds_lock() const;
    void ended();  // committed or rolled back: "Closing" until the registry drops it

    // SHOW TRANSACTIONS; `blocked_by` names the lock's holder while waiting.
    TransactionRow row(const std::string& blocked_by) const;
    bool waiting_for_lock() const;

private:
    Identity identity_;
    std::atomic<bool> terminated_{false};
    mutable std::mutex mu_;
    std::optional<Error> termination_;
    bool ended_ = false;
    bool holds_lock_ = false;
    std::shared_ptr<WriteLockWait> lock_wait_;
    std::chrono::milliseconds waited_before_{0};  // lock waits that ended
    std::optional<std::string> query_;
    Map parameters_;
    uint64_t query_id_ = 0;
    std::chrono::steady_clock::time_point idle_since_;
};

class TransactionRegistry {
public:
    using Filter = std::function<bool(const TrackedTransaction&)>;
    using Clock = std::chrono::steady_clock;

    explicit TransactionRegistry(DeadlineTimer& timer) : timer_(timer) {}

    // A fresh id for a transaction on `database`, and one for a query.
    std::string next_id(const std::string& database);
    uint64_t next_query_id() { return ++query_ids_; }

    // Tracks `t`; with a non-zero timeout it is terminated when that passes
    // (TransactionTimedOut, or ...ClientConfiguration when the client set it).
    void add(const std::shared_ptr<TrackedTransaction>& t, std::chrono::milliseconds timeout, bool from_client);
    void remove(const TrackedTransaction& t);

    std::vector<std::shared_ptr<TrackedTransaction>> list(const Filter& filter = {}) const;
    std::shared_ptr<TrackedTransaction> find(const std::string& id) const;
    // Waits until no tracked transaction matches, or `deadline`: true when none is left.
    bool wait_until_none(const Filter& filter, Clock::time_point deadline) const;
    // Terminates every matching transaction with `reason`; how many.
    size_t terminate_all(const Filter& filter, const Error& reason);

private:
    struct Entry {
        std::weak_ptr<TrackedTransaction> tx;
        DeadlineTimer::Id deadline = 0;
    };
    DeadlineTimer& timer_;
    mutable std::mutex mu_;
    mutable std::condition_variable removed_;
    std::map<std::string, Entry> open_;
    std::atomic<uint64_t> tx_ids_{0};
    std::atomic<uint64_t> query_ids_{0};
};

// The error of a transaction the server ended, worded as Neo4j words it.
Error termination_error(const status::Code& code, const std::string& description);

}  // namespace refhost

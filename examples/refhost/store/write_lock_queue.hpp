// examples/refhost/store/write_lock_queue.hpp: a member's single write lock
// as a first-come, first-served queue that a waiter need not block in.
//
// Why: the Bolt server runs requests on a bounded pool of workers. A worker
// that blocks on the write lock while the transaction holding it needs a
// worker for its next request (COMMIT) deadlocks the pool once every worker
// waits (NOTES.md, issue 23). A request that needs the lock therefore joins
// this queue with a callback and gives its worker back; the callback runs
// when the lock is handed to it. Threads that may block (the plugin's
// applier, intra-cluster copies, pruning) wait in the same queue with
// acquire_blocking, so grants stay in arrival order for everyone.
//
// The lock is handed over, never competed for: release() passes it to the
// oldest waiter directly, so a newcomer cannot overtake the queue.
//
// Callbacks run without the queue's mutex, on the thread that released,
// cancelled or retired (never inside acquire_or_enqueue()), so they may use
// the queue themselves (release a lock they no longer want); they must be
// quick: the releasing thread is often a committing transaction.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>

namespace refhost {

class WriteLockQueue {
public:
    // How a wait ended.
    enum class Grant {
        Granted,    // the waiter holds the lock now and must release() it
        TimedOut,   // cancelled because its deadline passed
        Cancelled,  // cancelled by its owner (the transaction ended or was terminated)
        Retired,    // the store was replaced or dropped: no more writes
    };
    using Ticket = uint64_t;
    using Callback = std::function<void(Grant)>;

    struct Request {
        enum class State { Granted, Queued, Retired } state;
        Ticket ticket = 0;  // Queued: the handle for cancel()
    };

    WriteLockQueue() = default;
    WriteLockQueue(const WriteLockQueue&) = delete;
    WriteLockQueue& operator=(const WriteLockQueue&) = delete;

    // Granted at once (the lock was free and nobody waited; `done` is not
    // called), Retired (nor is it), or Queued: `done` is called exactly once
    // later, with the outcome.
    Request acquire_or_enqueue(Callback done);
    // Takes the lock only if it is free and nobody waits.
    bool try_acquire();
    // Ends a queued wait with `why` (TimedOut or Cancelled), calling its
    // callback. False when the ticket is no longer queued (granted already,
    // or ended): the callback has run or is running.
    bool cancel(Ticket ticket, Grant why);
    // Hands the lock to the oldest waiter, or frees it.
    void release();
    // Waits in the queue up to `timeout` (zero: only if free now). Granted,
    // TimedOut or Retired.
    Grant acquire_blocking(std::chrono::milliseconds timeout);
    // Every waiter gets Retired; later requests too. The holder keeps the
    // lock until it releases it.
    void retire();

    bool held() const;
    size_t waiting() const;

private:
    struct Waiter {
        Ticket ticket;
        Callback done;
    };
    mutable std::mutex mu_;
    bool held_ = false;
    bool retired_ = false;
    Ticket next_ticket_ = 1;
    std::deque<Waiter> waiters_;
};

}  // namespace refhost

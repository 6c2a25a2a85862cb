// examples/refhost/dbms/write_lock_wait.hpp: one transaction's place in a
// member's write-lock queue (store/write_lock_queue.hpp), waited for
// without a thread. The owner (a Bolt session) gives back its worker and is
// woken when the wait ends: granted, timed out (db.lock.acquisition.timeout),
// cancelled (the transaction was terminated or ended), or retired (the store
// was dropped or replaced).
//
// Shared between the owner, the queue's callback and the deadline timer,
// so whichever comes last frees it; a grant that arrives after the owner
// gave up is released at once, never leaked.
#pragma once

#include "dbms/deadline_timer.hpp"
#include "store/member_store.hpp"

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>

namespace refhost {

class WriteLockWait : public std::enable_shared_from_this<WriteLockWait> {
public:
    enum class State { Waiting, Granted, TimedOut, Cancelled, Retired };

    // Joins `store`'s queue. Granted at once when the lock is free and
    // nobody waits (`wake` is not called then); otherwise `wake` is called
    // once, from any thread, when the state leaves Waiting. `timeout` zero:
    // no deadline. `timer` must outlive the wait's deadline (cancel() or the
    // end of the wait removes it).
    static std::shared_ptr<WriteLockWait> start(std::shared_ptr<MemberStore> store, std::function<void()> wake,
                                                DeadlineTimer& timer, std::chrono::milliseconds timeout);
    ~WriteLockWait();  // a grant not taken is released

    State state() const;
    // Granted: the lock, now the caller's. Empty in any other state.
    MemberStore::WriteLock take();
    // Ends a wait that is still queued (Cancelled, and `wake`), or releases
    // a grant nobody took. Idempotent.
    void cancel();
    // How long the wait has lasted (until it ended).
    std::chrono::milliseconds waited() const;
    std::chrono::milliseconds timeout() const { return timeout_; }

    WriteLockWait(std::shared_ptr<MemberStore> store, std::function<void()> wake, DeadlineTimer& timer,
                  std::chrono::milliseconds timeout);

private:
    void on_queue(WriteLockQueue::Grant g);  // the queue's callback
    void end_wait(State s);                  // leaves Waiting, cancels the deadline, wakes

    std::shared_ptr<MemberStore> store_;
    std::function<void()> wake_;
    DeadlineTimer& timer_;
    std::chrono::milliseconds timeout_;
    std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();

    mutable std::mutex mu_;
    State state_ = State::Waiting;
    bool taken_ = false;
    bool abandoned_ = false;  // cancelled while the queue was granting
    WriteLockQueue::Ticket ticket_ = 0;
    DeadlineTimer::Id deadline_ = 0;
    std::chrono::steady_clock::time_point ended_{};
};

}  // namespace refhost

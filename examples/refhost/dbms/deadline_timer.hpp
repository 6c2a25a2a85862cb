// examples/refhost/dbms/deadline_timer.hpp: one thread that runs callbacks
// at deadlines: transaction timeouts (db.transaction.timeout, a client's
// tx_timeout) and write-lock waits (db.lock.acquisition.timeout). It sleeps
// until the earliest deadline, so a timeout fires when it is due rather
// than at the next poll.
//
// Callbacks run on the timer's thread, one at a time, without the timer's
// mutex held; they must be quick (they terminate a transaction or cancel a
// wait, which only wakes the owner).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <thread>

namespace refhost {

class DeadlineTimer {
public:
    using Clock = std::chrono::steady_clock;
    using Id = uint64_t;

    DeadlineTimer();
    ~DeadlineTimer();  // stop()
    DeadlineTimer(const DeadlineTimer&) = delete;
    DeadlineTimer& operator=(const DeadlineTimer&) = delete;

    // Runs `fn` at `when` (at once when it has passed). The id cancels it.
    Id schedule(Clock::time_point when, std::function<void()> fn);
    // After this returns the callback will not start; it may be running on
    // the timer's thread right now (unless cancel is called from it).
    void cancel(Id id);
    // Ends the thread; pending callbacks never run. Idempotent.
    void stop();
    size_t pending() const;

private:
    void run();

    mutable std::mutex mu_;
    std::condition_variable cv_;
    std::multimap<Clock::time_point, std::pair<Id, std::function<void()>>> due_;
    std::map<Id, std::multimap<Clock::time_point, std::pair<Id, std::function<void()>>>::iterator> by_id_;
    Id next_id_ = 1;
    bool stopping_ = false;
    std::thread thread_;
};

}  // namespace refhost

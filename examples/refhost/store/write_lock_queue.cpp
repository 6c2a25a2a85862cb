// examples/refhost/store/write_lock_queue.cpp
#include "store/write_lock_queue.hpp"

#include <condition_variable>
#include <memory>

namespace refhost {

WriteLockQueue::Request WriteLockQueue::acquire_or_enqueue(Callback done) {
    std::lock_guard lock(mu_);
    if (retired_) {
        return {Request::State::Retired, 0};
    }
    if (!held_ && waiters_.empty()) {
        held_ = true;
        return {Request::State::Granted, 0};
    }
    Ticket t = next_ticket_++;
    waiters_.push_back(Waiter{t, std::move(done)});
    return {Request::State::Queued, t};
}

bool WriteLockQueue::try_acquire() {
    std::lock_guard lock(mu_);
    if (retired_ || held_ || !waiters_.empty()) {
        return false;
    }
    held_ = true;
    return true;
}

bool WriteLockQueue::cancel(Ticket ticket, Grant why) {
    Callback done;
    {
        std::lock_guard lock(mu_);
        for (auto it = waiters_.begin(); it != waiters_.end(); ++it) {
            if (it->ticket == ticket) {
                done = std::move(it->done);
                waiters_.erase(it);
                break;
            }
        }
    }
    if (!done) {
        return false;
    }
    done(why);
    return true;
}

void WriteLockQueue::release() {
    Callback next;
    {
        std::lock_guard lock(mu_);
        if (!retired_ && !waiters_.empty()) {
            next = std::move(waiters_.front().done);
            waiters_.pop_front();
            // held_ stays true: the lock passes to the waiter.
        } else {
            held_ = false;
        }
    }
    if (next) {
        next(Grant::Granted);
    }
}

WriteLockQueue::Grant WriteLockQueue::acquire_blocking(std::chrono::milliseconds timeout) {
    if (timeout.count() <= 0) {
        {
            std::lock_guard lock(mu_);
            if (retired_) {
                return Grant::Retired;
            }
        }
        return try_acquire() ? Grant::Granted : Grant::TimedOut;
    }
    struct Wait {
        std::mutex mu;
        std::condition_variable cv;
        bool done = false;
        Grant grant = Grant::Cancelled;
    };
    auto wait = std::make_shared<Wait>();
    Request r = acquire_or_enqueue([wait](Grant g) {
        {
            std::lock_guard lock(wait->mu);
            wait->done = true;
            wait->grant = g;
        }
        wait->cv.notify_one();
    });
    if (r.state == Request::State::Granted) {
        return Grant::Granted;
    }
    if (r.state == Request::State::Retired) {
        return Grant::Retired;
    }
    {
        std::unique_lock lock(wait->mu);
        if (wait->cv.wait_for(lock, timeout, [&] { return wait->done; })) {
            return wait->grant;
        }
    }
    if (cancel(r.ticket, Grant::TimedOut)) {
        return Grant::TimedOut;
    }
    // Granted (or retired) while the wait timed out: the callback runs now.
    std::unique_lock lock(wait->mu);
    wait->cv.wait(lock, [&] { return wait->done; });
    return wait->grant;
}

void WriteLockQueue::retire() {
    std::deque<Waiter> waiting;
    {
        std::lock_guard lock(mu_);
        retired_ = true;
        waiting.swap(waiters_);
    }
    for (auto& w : waiting) {
        w.done(Grant::Retired);
    }
}

bool WriteLockQueue::held() const {
    std::lock_guard lock(mu_);
    return held_;
}

size_t WriteLockQueue::waiting() const {
    std::lock_guard lock(mu_);
    return waiters_.size();
}

}  // namespace refhost

// examples/refhost/dbms/write_lock_wait.cpp
#include "dbms/write_lock_wait.hpp"

namespace refhost {

WriteLockWait::WriteLockWait(std::shared_ptr<MemberStore> store, std::function<void()> wake, DeadlineTimer& timer,
                             std::chrono::milliseconds timeout)
    : store_(std::move(store)), wake_(std::move(wake)), timer_(timer), timeout_(timeout) {}

std::shared_ptr<WriteLockWait> WriteLockWait::start(std::shared_ptr<MemberStore> store, std::function<void()> wake,
                                                    DeadlineTimer& timer, std::chrono::milliseconds timeout) {
    auto w = std::make_shared<WriteLockWait>(std::move(store), std::move(wake), timer, timeout);
    // The callback keeps the wait alive until the queue is done with it.
    auto r = w->store_->write_queue().acquire_or_enqueue(
        [w](WriteLockQueue::Grant g) { w->on_queue(g); });
    std::lock_guard lock(w->mu_);
    switch (r.state) {
        case WriteLockQueue::Request::State::Granted:
            w->state_ = State::Granted;
            w->ended_ = std::chrono::steady_clock::now();
            return w;
        case WriteLockQueue::Request::State::Retired:
            w->state_ = State::Retired;
            w->ended_ = std::chrono::steady_clock::now();
            return w;
        case WriteLockQueue::Request::State::Queued: break;
    }
    // The queue may have called back already (another thread released the
    // lock between the request and this line): the wait is over then.
    w->ticket_ = r.ticket;
    if (w->state_ != State::Waiting) {
        return w;
    }
    if (timeout.count() > 0) {
        std::weak_ptr<WriteLockWait> weak = w;
        w->deadline_ = timer.schedule(w->started_ + timeout, [weak] {
            if (auto self = weak.lock()) {
                WriteLockQueue::Ticket t = 0;
                {
                    std::lock_guard l(self->mu_);
                    if (self->state_ != State::Waiting) {
                        return;
                    }
                    t = self->ticket_;
                }
                self->store_->write_queue().cancel(t, WriteLockQueue::Grant::TimedOut);
            }
        });
    }
    return w;
}

WriteLockWait::~WriteLockWait() {
    // Only the queue's callback and the owner hold references; when the last
    // goes, a grant nobody took must go back to the queue.
    if (state_ == State::Granted && !taken_) {
        store_->write_queue().release();
    }
}

void WriteLockWait::on_queue(WriteLockQueue::Grant g) {
    bool release_now = false;
    {
        std::lock_guard lock(mu_);
        if (g == WriteLockQueue::Grant::Granted && abandoned_) {
            // The owner gave up while the queue was handing the lock over.
            state_ = State::Cancelled;
            taken_ = true;  // nothing left for the destructor to release
            release_now = true;
        } else {
            switch (g) {
                case WriteLockQueue::Grant::Granted: state_ = State::Granted; break;
                case WriteLockQueue::Grant::TimedOut: state_ = State::TimedOut; break;
                case WriteLockQueue::Grant::Cancelled: state_ = State::Cancelled; break;
                case WriteLockQueue::Grant::Retired: state_ = State::Retired; break;
            }
        }
        ended_ = std::chrono::steady_clock::now();
    }
    if (deadline_ != 0) {
        timer_.cancel(deadline_);
    }
    if (release_now) {
        store_->write_queue().release();
        return;
    }
    if (wake_) {
        wake_();
    }
}

WriteLockWait::State WriteLockWait::state() const {
    std::lock_guard lock(mu_);
    return state_;
}

MemberStore::WriteLock WriteLockWait::take() {
    std::lock_guard lock(mu_);
    if (state_ != State::Granted || taken_) {
        return {};
    }
    taken_ = true;
    return store_->adopt_write_lock();
}

void WriteLockWait::cancel() {
    WriteLockQueue::Ticket t = 0;
    bool release_now = false;
    {
        std::lock_guard lock(mu_);
        if (state_ == State::Waiting) {
            t = ticket_;
            abandoned_ = true;
        } else if (state_ == State::Granted && !taken_) {
            taken_ = true;
            release_now = true;
        }
    }
    if (release_now) {
        store_->write_queue().release();
        return;
    }
    if (t != 0) {
        // False: the queue is granting right now; on_queue sees abandoned_.
        store_->write_queue().cancel(t, WriteLockQueue::Grant::Cancelled);
    }
}

std::chrono::milliseconds WriteLockWait::waited() const {
    std::lock_guard lock(mu_);
    auto end = state_ == State::Waiting ? std::chrono::steady_clock::now() : ended_;
    return std::chrono::duration_cast<std::chrono::milliseconds>(end - started_);
}

}  // namespace refhost

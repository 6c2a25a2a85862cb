// examples/refhost/dbms/deadline_timer.cpp
#include "dbms/deadline_timer.hpp"

namespace refhost {

DeadlineTimer::DeadlineTimer() : thread_([this] { run(); }) {}

DeadlineTimer::~DeadlineTimer() { stop(); }

DeadlineTimer::Id DeadlineTimer::schedule(Clock::time_point when, std::function<void()> fn) {
    Id id = 0;
    bool earliest = false;
    {
        std::lock_guard lock(mu_);
        id = next_id_++;
        auto it = due_.emplace(when, std::make_pair(id, std::move(fn)));
        by_id_.emplace(id, it);
        earliest = it == due_.begin();
    }
    if (earliest) {
        cv_.notify_one();
    }
    return id;
}

void DeadlineTimer::cancel(Id id) {
    std::lock_guard lock(mu_);
    auto it = by_id_.find(id);
    if (it == by_id_.end()) {
        return;
    }
    due_.erase(it->second);
    by_id_.erase(it);
}

void DeadlineTimer::stop() {
    {
        std::lock_guard lock(mu_);
        if (stopping_) {
            return;
        }
        stopping_ = true;
        due_.clear();
        by_id_.clear();
    }
    cv_.notify_one();
    if (thread_.joinable()) {
        thread_.join();
    }
}

size_t DeadlineTimer::pending() const {
    std::lock_guard lock(mu_);
    return due_.size();
}

void DeadlineTimer::run() {
    std::unique_lock lock(mu_);
    while (!stopping_) {
        if (due_.empty()) {
            cv_.wait(lock, [&] { return stopping_ || !due_.empty(); });
            continue;
        }
        auto first = due_.begin();
        if (first->first > Clock::now()) {
            cv_.wait_until(lock, first->first);
            continue;  // an earlier deadline may have arrived, or this one was cancelled
        }
        std::function<void()> fn = std::move(first->second.second);
        by_id_.erase(first->second.first);
        due_.erase(first);
        lock.unlock();
        fn();
        lock.lock();
    }
}

}  // namespace refhost

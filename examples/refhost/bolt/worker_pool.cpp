// examples/refhost/bolt/worker_pool.cpp
#include "bolt/worker_pool.hpp"

#include <algorithm>

namespace refhost::bolt {

WorkerPool::WorkerPool(size_t threads) {
    threads = std::max<size_t>(1, threads);
    threads_.reserve(threads);
    for (size_t i = 0; i < threads; ++i) {
        threads_.emplace_back([this] { run(); });
    }
}

WorkerPool::~WorkerPool() { join(); }

void WorkerPool::post(std::function<void()> fn, bool urgent) {
    {
        std::lock_guard lock(mu_);
        if (joining_ && threads_.empty()) {
            return;  // `fn` is destroyed here, unrun
        }
        (urgent ? urgent_ : normal_).push_back(std::move(fn));
    }
    cv_.notify_one();
}

void WorkerPool::join() {
    std::vector<std::thread> threads;
    {
        std::lock_guard lock(mu_);
        joining_ = true;
        threads.swap(threads_);
    }
    cv_.notify_all();
    for (auto& t : threads) {
        t.join();
    }
    // Whatever was posted while the threads ended goes unrun.
    std::deque<std::function<void()>> left_urgent, left_normal;
    {
        std::lock_guard lock(mu_);
        left_urgent.swap(urgent_);
        left_normal.swap(normal_);
    }
}

size_t WorkerPool::queued() const {
    std::lock_guard lock(mu_);
    return urgent_.size() + normal_.size();
}

void WorkerPool::run() {
    for (;;) {
        std::function<void()> fn;
        {
            std::unique_lock lock(mu_);
            cv_.wait(lock, [&] { return joining_ || !urgent_.empty() || !normal_.empty(); });
            if (!urgent_.empty()) {
                fn = std::move(urgent_.front());
                urgent_.pop_front();
            } else if (!normal_.empty()) {
                fn = std::move(normal_.front());
                normal_.pop_front();
            } else {
                return;  // joining, nothing left
            }
        }
        fn();
    }
}

}  // namespace refhost::bolt

// plugin/runtime/async_signal.hpp: wakes one coroutine on a strand from
// any thread, without blocking the notifier. notify() costs an atomic
// exchange; it posts to the strand only when no wake-up is already on its
// way, so a burst of commits becomes one wake-up. A notify that arrives while
// nobody waits is remembered for the next wait.
#pragma once

#include "runtime/io_runtime.hpp"

#include <atomic>
#include <chrono>
#include <memory>

namespace ccdr::runtime {

class AsyncSignal : public std::enable_shared_from_this<AsyncSignal> {
public:
    explicit AsyncSignal(Strand strand) : strand_(strand), timer_(strand) {}

    // Thread-safe, never blocks.
    void notify() {
        if (!post_pending_.exchange(true, std::memory_order_acq_rel)) {
            asio::post(strand_, [self = shared_from_this()] {
                self->post_pending_.store(false, std::memory_order_release);
                self->fired_ = true;
                self->timer_.cancel();
            });
        }
    }

    // On the strand. Waits for a notify or the timeout; true when notified.
    // Once closed it returns at once, after yielding the strand (so a loop
    // waiting for another coroutine of the strand cannot starve it).
    asio::awaitable<bool> wait(std::chrono::milliseconds timeout) {
        if (closed_ && !fired_) {
            co_await asio::post(strand_, asio::use_awaitable);
        } else if (!fired_) {
            timer_.expires_after(timeout);
            boost::system::error_code ec;
            co_await timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        }
        const bool woke = fired_;
        fired_ = false;
        co_return woke;
    }

    bool closed() const { return closed_; }

    // Thread-safe, never blocks: close() on the strand, after every handler
    // already posted there.
    void close_async() {
        asio::post(strand_, [self = shared_from_this()] { self->close(); });
    }

    // On the strand: wakes the waiter and makes later waits return at once.
    void close() {
        closed_ = true;
        timer_.cancel();
    }

private:
    Strand strand_;
    asio::steady_timer timer_;
    std::atomic<bool> post_pending_{false};
    bool fired_ = false;
    bool closed_ = false;
};

}  // namespace ccdr::runtime

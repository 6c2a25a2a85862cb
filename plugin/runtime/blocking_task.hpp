// plugin/runtime/blocking_task.hpp: one function run on the blocking pool
// whose result a coroutine takes later, on its strand.
//
// run_blocking() suspends the coroutine until the pool is done; a
// BlockingTask lets it go on meanwhile (write the previous chunk of a store
// copy while the next is read and framed, read the next frame while the
// last is written to the spool). take() must be awaited once, and before
// anything the function uses goes away: the pool does not wait for anyone.
// The function must not throw.
#pragma once

#include "runtime/io_runtime.hpp"

#include <chrono>
#include <memory>
#include <optional>
#include <utility>

namespace ccdr::runtime {

template <typename R>
class BlockingTask : public std::enable_shared_from_this<BlockingTask<R>> {
public:
    explicit BlockingTask(Strand strand) : strand_(strand), ready_(strand) {
        ready_.expires_at(std::chrono::steady_clock::time_point::max());
    }
    BlockingTask(const BlockingTask&) = delete;
    BlockingTask& operator=(const BlockingTask&) = delete;

    // Runs fn() on `pool`; its result is handed over on `strand`.
    template <typename F>
    static std::shared_ptr<BlockingTask> start(asio::thread_pool& pool, Strand strand, F fn) {
        auto self = std::make_shared<BlockingTask>(strand);
        asio::post(pool, [self, fn = std::move(fn)]() mutable {
            R result = fn();
            asio::post(self->strand_, [self, result = std::move(result)]() mutable {
                self->result_.emplace(std::move(result));
                self->ready_.cancel();
            });
        });
        return self;
    }

    // On the strand: the result, once the pool has it.
    asio::awaitable<R> take() {
        while (!result_) {
            boost::system::error_code ignored;
            co_await ready_.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
        }
        co_return std::move(*result_);
    }

private:
    Strand strand_;
    asio::steady_timer ready_;  // cancelled when result_ is set
    std::optional<R> result_;
};

}  // namespace ccdr::runtime

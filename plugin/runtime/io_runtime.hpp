// plugin/runtime/io_runtime.hpp: the threads of one plugin instance.
//
// An io_context run by a few I/O threads carries every socket, timer and
// coroutine; each connection (and each replica member) gets its own strand.
// Work that blocks on the host's storage (read_log, snapshot_export, file
// I/O of spools) runs on a separate pool, never on an I/O thread:
// run_blocking() hands a function to that pool and resumes the coroutine on
// its strand with the result. A gate counts every coroutine spawned through
// spawn(); stop() closes it, waits for them, then joins every thread.
#pragma once

#include "runtime/asio.hpp"
#include "runtime/gate.hpp"

#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <thread>
#include <type_traits>
#include <vector>

namespace ccdr::runtime {

namespace asio = boost::asio;
// A strand, type-erased: the executor of every coroutine and I/O object of
// one connection or replica member (awaitables use asio::any_io_executor).
using Strand = asio::any_io_executor;

class IoRuntime {
public:
    IoRuntime(size_t io_threads, size_t blocking_threads);
    IoRuntime(const IoRuntime&) = delete;
    IoRuntime& operator=(const IoRuntime&) = delete;
    ~IoRuntime();

    void start();
    // Closes the gate (no new coroutines), waits for every spawned coroutine
    // to finish, then stops and joins all threads. Owners must first make
    // their coroutines return (close sockets, cancel timers).
    void stop();

    asio::io_context& io() { return io_; }
    Strand make_strand() { return Strand(asio::make_strand(io_)); }
    asio::thread_pool& blocking_pool() { return blocking_; }
    Gate& gate() { return gate_; }

    // Runs `coroutine` on `strand` while holding the gate. Returns false
    // (and drops the coroutine) when the gate is closed. `on_exception`
    // receives anything the coroutine throws.
    bool spawn(Strand strand, std::function<asio::awaitable<void>()> coroutine,
               std::function<void(std::exception_ptr)> on_exception = {});

private:
    asio::io_context io_;
    std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_;
    asio::thread_pool blocking_;
    std::vector<std::thread> threads_;
    size_t io_thread_count_;
    Gate gate_;
    bool started_ = false;
    bool stopped_ = false;
};

// Runs fn() on `pool` and completes, with its result, on the calling
// coroutine's executor. fn must not throw.
//
// GCC 12 destroys a lambda or braced temporary twice when it is created
// inside a co_await expression; callers therefore name the function first:
//   auto job = [..] { .. };
//   auto r = co_await run_blocking(pool, std::move(job));
// and the plugin never passes braced temporaries to a coroutine it awaits.
template <typename F>
asio::awaitable<std::invoke_result_t<F>> run_blocking(asio::thread_pool& pool, F fn) {
    using R = std::invoke_result_t<F>;
    auto resume_on = co_await asio::this_coro::executor;
    auto initiation = [&pool, resume_on](auto handler, F work) {
        asio::post(pool, [handler = std::move(handler), work = std::move(work), resume_on]() mutable {
            std::optional<R> r(work());
            asio::post(resume_on, [handler = std::move(handler), r = std::move(r)]() mutable {
                handler(std::move(r));
            });
        });
    };
    auto result = co_await asio::async_initiate<decltype(asio::use_awaitable), void(std::optional<R>)>(
        std::move(initiation), asio::use_awaitable, std::move(fn));
    co_return std::move(*result);
}

}  // namespace ccdr::runtime

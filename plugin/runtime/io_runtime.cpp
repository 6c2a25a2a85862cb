#include "runtime/io_runtime.hpp"

namespace ccdr::runtime {

IoRuntime::IoRuntime(size_t io_threads, size_t blocking_threads)
    : blocking_(blocking_threads), io_thread_count_(io_threads == 0 ? 1 : io_threads) {}

IoRuntime::~IoRuntime() { stop(); }

void IoRuntime::start() {
    if (started_) {
        return;
    }
    started_ = true;
    work_.emplace(io_.get_executor());
    for (size_t i = 0; i < io_thread_count_; ++i) {
        threads_.emplace_back([this] { io_.run(); });
    }
}

void IoRuntime::stop() {
    if (stopped_) {
        return;
    }
    stopped_ = true;
    gate_.close();
    if (started_) {
        gate_.wait();
    }
    work_.reset();
    io_.stop();
    for (auto& t : threads_) {
        t.join();
    }
    threads_.clear();
    blocking_.join();
}

bool IoRuntime::spawn(Strand strand, std::function<asio::awaitable<void>()> coroutine,
                      std::function<void(std::exception_ptr)> on_exception) {
    auto holder = gate_.try_enter();
    if (!holder) {
        return false;
    }
    auto held = std::make_shared<Gate::Holder>(std::move(*holder));
    asio::co_spawn(
        strand,
        [coroutine = std::move(coroutine), held]() -> asio::awaitable<void> {
            co_await coroutine();
        },
        [held, on_exception = std::move(on_exception)](std::exception_ptr e) mutable {
            if (e && on_exception) {
                on_exception(e);
            }
            held.reset();
        });
    return true;
}

}  // namespace ccdr::runtime

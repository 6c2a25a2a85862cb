// plugin/runtime/gate.hpp: a shutdown gate (after Seastar's gate). Work
// that must finish before stop() returns enters the gate and leaves it when
// done; close() refuses new entries and wait() blocks until the last one has
// left. Holders are RAII, so a coroutine or thread leaves on every path.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <optional>

namespace ccdr::runtime {

class Gate {
public:
    class Holder {
    public:
        explicit Holder(Gate* gate) : gate_(gate) {}
        Holder(Holder&& other) noexcept : gate_(other.gate_) { other.gate_ = nullptr; }
        Holder& operator=(Holder&& other) noexcept {
            if (this != &other) {
                release();
                gate_ = other.gate_;
                other.gate_ = nullptr;
            }
            return *this;
        }
        Holder(const Holder&) = delete;
        Holder& operator=(const Holder&) = delete;
        ~Holder() { release(); }

    private:
        void release() {
            if (gate_ != nullptr) {
                gate_->leave();
                gate_ = nullptr;
            }
        }
        Gate* gate_;
    };

    Gate() = default;
    Gate(const Gate&) = delete;
    Gate& operator=(const Gate&) = delete;

    // A holder, or nothing once the gate is closed.
    std::optional<Holder> try_enter() {
        std::lock_guard lock(mu_);
        if (closed_) {
            return std::nullopt;
        }
        ++count_;
        return std::optional<Holder>(std::in_place, this);
    }

    void close() {
        std::lock_guard lock(mu_);
        closed_ = true;
    }

    // Blocks until every holder has left. Call after close().
    void wait() {
        std::unique_lock lock(mu_);
        left_.wait(lock, [&] { return count_ == 0; });
    }

    bool closed() const {
        std::lock_guard lock(mu_);
        return closed_;
    }

    size_t count() const {
        std::lock_guard lock(mu_);
        return count_;
    }

private:
    void leave() {
        std::lock_guard lock(mu_);
        if (--count_ == 0) {
            left_.notify_all();
        }
    }

    mutable std::mutex mu_;
    std::condition_variable left_;
    size_t count_ = 0;
    bool closed_ = false;
};

}  // namespace ccdr::runtime

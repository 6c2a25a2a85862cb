// plugin/replica/backoff.hpp: capped exponential back-off with jitter. The
// k-th consecutive failure waits initial * 2^k, capped at max, drawn
// uniformly from the upper half of that value ("equal jitter"), so members
// that lost the same upstream do not reconnect in lockstep.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <random>

namespace ccdr::plugin {

class Backoff {
public:
    Backoff(std::chrono::milliseconds initial, std::chrono::milliseconds max, uint64_t seed)
        : initial_(std::max<int64_t>(1, initial.count())), max_(std::max<int64_t>(initial_, max.count())), rng_(seed) {}

    std::chrono::milliseconds next() {
        int64_t ceiling = initial_;
        for (int i = 0; i < attempts_ && ceiling < max_; ++i) {
            ceiling *= 2;
        }
        ceiling = std::min(ceiling, max_);
        ++attempts_;
        return jitter(ceiling);
    }

    // The first delay, jittered (after a connection that worked dropped).
    std::chrono::milliseconds first() { return jitter(initial_); }

    void reset() { attempts_ = 0; }
    int attempts() const { return attempts_; }

private:
    std::chrono::milliseconds jitter(int64_t ceiling) {
        std::uniform_int_distribution<int64_t> pick(ceiling / 2, ceiling);
        return std::chrono::milliseconds(pick(rng_));
    }

    int64_t initial_;
    int64_t max_;
    int attempts_ = 0;
    std::mt19937_64 rng_;
};

}  // namespace ccdr::plugin

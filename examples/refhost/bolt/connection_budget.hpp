// examples/refhost/bolt/connection_budget.hpp: how many Bolt connections a
// process keeps, counted apart for connections that have not authenticated
// yet. A socket that never sends the Bolt handshake must not take the place
// of a client that does: unauthenticated connections have their own,
// smaller budget, and when it is full the oldest *silent* one (connected
// more than a grace period ago and still no handshake: it had its chance)
// is closed to make room for the newcomer. A client that has sent the
// handshake is never shed for another, nor is a socket younger than the
// grace period: a burst of real clients, or a busy client process, may take
// a moment. Those only count against the overall cap (both budgets
// together), and every unauthenticated connection has the server's
// authentication deadline. An authenticated connection counts against the
// authenticated budget only.
//
// Thread-safe: listeners of several logical servers admit, connections
// report on their own strands.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <set>

namespace refhost::bolt {

class ConnectionBudget {
public:
    using Clock = std::chrono::steady_clock;
    struct Limits {
        size_t max_authenticated = 2000;
        size_t max_unauthenticated = 200;
        std::chrono::milliseconds silent_grace{5000};  // a silent socket younger than this is not shed
    };
    explicit ConnectionBudget(Limits limits) : limits_(limits) {}

    struct Admission {
        bool admitted = true;  // false: over every budget, close the newcomer
        uint64_t shed = 0;     // non-zero: close this (oldest silent) connection
    };
    // A new connection `id` (ids grow with age), counted as silent.
    Admission admit(uint64_t id, Clock::time_point now = Clock::now());
    // `id` sent the Bolt handshake: it is no longer a candidate for shedding.
    void handshaken(uint64_t id);
    // `id` authenticated. False when the authenticated budget is full: the
    // caller closes it.
    bool authenticated(uint64_t id);
    void closed(uint64_t id);

    size_t unauthenticated() const;
    size_t authenticated_count() const;
    const Limits& limits() const { return limits_; }

private:
    enum class State { Silent, Handshaken, Authenticated, Shed };
    Limits limits_;
    mutable std::mutex mu_;
    std::map<uint64_t, State> states_;
    std::map<uint64_t, Clock::time_point> silent_;  // by id, accept time; ids grow with age
    size_t handshaken_ = 0;
    size_t authenticated_ = 0;
};

}  // namespace refhost::bolt

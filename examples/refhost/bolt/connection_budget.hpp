// examples/refhost/bolt/connection_budget.hpp: how many Bolt connections a
// process keeps, counted apart for connections that have not authenticated
// yet. A socket that never sends the handshake must not take the place of
// a client that does: unauthenticated connections have their own, smaller
// budget, and when it is full the oldest of them (it had the longest to
// authenticate) is closed to make room for the newcomer. An authenticated
// connection counts against the other budget only.
//
// Thread-safe: listeners of several logical servers admit, connections
// report on their own strands.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <set>

namespace refhost::bolt {

class ConnectionBudget {
public:
    struct Limits {
        size_t max_authenticated = 2000;
        size_t max_unauthenticated = 200;
    };
    explicit ConnectionBudget(Limits limits) : limits_(limits) {}

    struct Admission {
        uint64_t shed = 0;  // non-zero: close this (oldest unauthenticated) connection
    };
    // A new connection `id` (increasing with age), counted as unauthenticated.
    Admission admit(uint64_t id);
    // `id` authenticated. False when the authenticated budget is full: the
    // caller closes it.
    bool authenticated(uint64_t id);
    void closed(uint64_t id);

    size_t unauthenticated() const;
    size_t authenticated_count() const;
    const Limits& limits() const { return limits_; }

private:
    enum class State { Unauthenticated, Authenticated, Shed };
    Limits limits_;
    mutable std::mutex mu_;
    std::map<uint64_t, State> states_;
    std::set<uint64_t> unauthenticated_ids_;  // ids grow with age: the first is the oldest
    size_t authenticated_ = 0;
};

}  // namespace refhost::bolt

// examples/refhost/store/write_timing.hpp: where the time of one replicated
// write went, for the slow-write report of the host (a write of the store
// that takes longer than kSlowWrite is logged with its parts, so that a stall
// in the lag picture can be told apart: the write lock, SQLite, the log).
#pragma once

#include <chrono>
#include <cstdint>

namespace refhost {

// A write whose lock wait and log sync take at least this long together (or
// a batch of at most 100 transactions taking this long) is reported in
// debug.log.
inline constexpr std::chrono::milliseconds kSlowWrite{50};

struct ApplyTiming {
    std::chrono::microseconds statements{0};    // the changes, the fingerprint, the state row
    std::chrono::microseconds log_append{0};    // the batch appended to the log (no sync)
    std::chrono::microseconds graph_commit{0};  // SQLite's COMMIT (WAL write; an inline checkpoint)
    std::chrono::microseconds durable{0};       // make_durable: the log's sync, or waiting for one
};

// Microseconds from `since` to now, on the steady clock.
inline std::chrono::microseconds elapsed_since(std::chrono::steady_clock::time_point since) {
    return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - since);
}

}  // namespace refhost

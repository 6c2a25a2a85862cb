// plugin/runtime/wall_clock.hpp: the wall clock as the protocol carries
// times (Unix epoch, milliseconds): commit times, and the upstream's clock
// in BATCH and HEARTBEAT, from which a replica estimates the clock offset.
#pragma once

#include <chrono>
#include <cstdint>

namespace ccdr::runtime {

inline int64_t wall_clock_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

}  // namespace ccdr::runtime

// examples/refhost/common/clock.hpp: wall-clock times as the refhost stores
// them (Unix epoch milliseconds) and as Cypher shows them (DateTime, UTC).
#pragma once

#include "common/value.hpp"

#include <chrono>
#include <cstdint>

namespace refhost {

inline int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

inline DateTime datetime_from_ms(int64_t ms) {
    int64_t seconds = ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
    int64_t rest = ms - seconds * 1000;
    return DateTime{seconds, rest * 1'000'000, 0};
}

}  // namespace refhost

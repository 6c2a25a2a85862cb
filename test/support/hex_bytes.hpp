// test/support/hex_bytes.hpp: bytes as lowercase hex, for tests that pin a
// message's exact layout on the wire.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace ccdr::test {

inline std::string hex(const std::vector<uint8_t>& bytes) {
    std::string out;
    char two[3];
    for (uint8_t b : bytes) {
        std::snprintf(two, sizeof two, "%02x", b);
        out += two;
    }
    return out;
}

}  // namespace ccdr::test

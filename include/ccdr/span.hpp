// ccdr/span.hpp: conversions between the ABI's borrowed views and C++ views.
#pragma once

#include <ccdr/abi.h>

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace ccdr {

// The one way C++ strings and bytes become the ABI's views. constexpr, so a
// plugin's static tables (procedure and setting declarations) use it too.
constexpr ccdr_string to_abi(std::string_view s) { return ccdr_string{s.data(), s.size()}; }

constexpr ccdr_bytes to_abi(std::span<const uint8_t> b) { return ccdr_bytes{b.data(), b.size()}; }

inline std::string_view to_view(ccdr_string s) {
    return s.data == nullptr ? std::string_view() : std::string_view(s.data, s.len);
}

inline std::string to_string(ccdr_string s) { return std::string(to_view(s)); }

inline std::span<const uint8_t> to_span(ccdr_bytes b) {
    return b.data == nullptr ? std::span<const uint8_t>() : std::span<const uint8_t>(b.data, b.len);
}

// The bytes of a string, viewed as bytes (for payloads built in std::string).
inline std::span<const uint8_t> as_bytes(std::string_view s) {
    return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

}  // namespace ccdr

// ccdr/setting_values.hpp: the neo4j.conf value syntaxes behind the ABI's
// ccdr_setting_type (boolean, integer, duration, size, list), parsed the same
// way by hosts and by the plugin. Each parser returns the value or a Status
// whose message says what was expected.
#pragma once

#include <ccdr/status.hpp>

#include <cctype>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

namespace ccdr::settings {

inline std::string_view trim(std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) {
        s.remove_prefix(1);
    }
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) {
        s.remove_suffix(1);
    }
    return s;
}

inline std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return out;
}

inline Result<bool> parse_bool(std::string_view text) {
    std::string v = lower(trim(text));
    if (v == "true") {
        return true;
    }
    if (v == "false") {
        return false;
    }
    return Status(CCDR_INVALID_SETTING, "expected a boolean (true or false)");
}

inline Result<int64_t> parse_int(std::string_view text, int64_t min = std::numeric_limits<int64_t>::min(),
                                 int64_t max = std::numeric_limits<int64_t>::max()) {
    std::string_view v = trim(text);
    int64_t out = 0;
    auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
    if (v.empty() || ec != std::errc() || p != v.data() + v.size()) {
        return Status(CCDR_INVALID_SETTING, "expected an integer");
    }
    if (out < min || out > max) {
        return Status(CCDR_INVALID_SETTING,
                      "expected an integer from " + std::to_string(min) + " to " + std::to_string(max));
    }
    return out;
}

// Splits "<number><unit>" with optional blanks between; the unit is lower-cased.
inline bool split_number_unit(std::string_view text, uint64_t& number, std::string& unit) {
    std::string_view v = trim(text);
    size_t i = 0;
    while (i < v.size() && std::isdigit(static_cast<unsigned char>(v[i]))) {
        ++i;
    }
    if (i == 0) {
        return false;
    }
    auto [p, ec] = std::from_chars(v.data(), v.data() + i, number);
    if (ec != std::errc() || p != v.data() + i) {
        return false;
    }
    unit = lower(trim(v.substr(i)));
    return true;
}

// One unit a scaled setting may carry, lower case ("" for a bare number),
// and what it multiplies the number by.
struct UnitScale {
    std::string_view unit;
    uint64_t factor;
};

// "<number><unit>" times its unit's factor. `bad` when the text is no number
// with one of `units`; "<what> too large" when the product exceeds `max`.
inline Result<uint64_t> parse_scaled(std::string_view text, std::initializer_list<UnitScale> units,
                                     const Status& bad, uint64_t max, std::string_view what) {
    uint64_t n = 0;
    std::string unit;
    if (!split_number_unit(text, n, unit)) {
        return bad;
    }
    for (const UnitScale& u : units) {
        if (u.unit == unit) {
            if (n > max / u.factor) {
                return Status(CCDR_INVALID_SETTING, std::string(what) + " too large");
            }
            return n * u.factor;
        }
    }
    return bad;
}

// "500ms", "10s", "5m", "2h", "1d"; a bare number is milliseconds.
inline Result<std::chrono::milliseconds> parse_duration(std::string_view text) {
    constexpr uint64_t kDay = 86'400'000;
    auto ms = parse_scaled(text,
                           {{"", 1}, {"ms", 1}, {"s", 1000}, {"m", 60'000}, {"h", 3'600'000}, {"d", kDay},
                            {"day", kDay}, {"days", kDay}},
                           Status(CCDR_INVALID_SETTING, "expected a duration such as 500ms, 10s, 5m, 2h or 1d"),
                           static_cast<uint64_t>(std::numeric_limits<int64_t>::max()), "duration");
    if (!ms) {
        return ms.status();
    }
    return std::chrono::milliseconds(static_cast<int64_t>(*ms));
}

// "4096", "64k", "64KiB", "16m", "16MiB", "1g", "1GiB", "512B".
inline Result<uint64_t> parse_size(std::string_view text) {
    constexpr uint64_t kKiB = 1ull << 10, kMiB = 1ull << 20, kGiB = 1ull << 30;
    return parse_scaled(text,
                        {{"", 1}, {"b", 1}, {"k", kKiB}, {"kb", kKiB}, {"kib", kKiB}, {"m", kMiB}, {"mb", kMiB},
                         {"mib", kMiB}, {"g", kGiB}, {"gb", kGiB}, {"gib", kGiB}},
                        Status(CCDR_INVALID_SETTING, "expected a size such as 4096, 64KiB, 16MiB or 1GiB"),
                        std::numeric_limits<uint64_t>::max(), "size");
}

// Comma-separated items, blanks trimmed, empty items dropped.
inline std::vector<std::string> parse_list(std::string_view text) {
    std::vector<std::string> out;
    size_t start = 0;
    while (start <= text.size()) {
        size_t comma = text.find(',', start);
        std::string_view item = trim(text.substr(start, comma == std::string_view::npos ? text.npos : comma - start));
        if (!item.empty()) {
            out.emplace_back(item);
        }
        if (comma == std::string_view::npos) {
            break;
        }
        start = comma + 1;
    }
    return out;
}

// "host:port" with a port from 1 to 65535 (":port" alone means localhost).
struct Address {
    std::string host;
    uint16_t port = 0;
    std::string to_string() const { return host + ":" + std::to_string(port); }
};

inline Result<Address> parse_address(std::string_view text) {
    std::string_view v = trim(text);
    const Status bad(CCDR_INVALID_SETTING, "expected an address host:port with a port from 1 to 65535");
    size_t colon = v.rfind(':');
    if (colon == std::string_view::npos) {
        return bad;
    }
    std::string_view host = v.substr(0, colon);
    std::string_view port_text = v.substr(colon + 1);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
        host = host.substr(1, host.size() - 2);
    }
    uint32_t port = 0;
    auto [p, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (port_text.empty() || ec != std::errc() || p != port_text.data() + port_text.size() || port == 0 ||
        port > 65535) {
        return bad;
    }
    for (char c : host) {
        if (std::isspace(static_cast<unsigned char>(c)) || c == '/' || c == '@') {
            return bad;
        }
    }
    return Address{host.empty() ? std::string("localhost") : std::string(host), static_cast<uint16_t>(port)};
}

}  // namespace ccdr::settings

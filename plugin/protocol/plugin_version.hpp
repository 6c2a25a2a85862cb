// plugin/protocol/plugin_version.hpp: a ccdr plugin release version as HELLO
// and HELLO_OK carry it from protocol version 2 on: "MAJOR.MINOR.PATCH",
// optionally followed by a pre-release or build suffix ("1.0.0-rc1"), which
// is kept in the text but not compared. A peer of protocol 1 sends no
// version: every release before versions were exchanged is 0.1.x.
#pragma once

#include <charconv>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ccdr::protocol {

// The first protocol version whose HELLO and HELLO_OK carry plugin_version.
inline constexpr uint16_t kPluginVersionProtocol = 2;

struct PluginVersion {
    uint32_t major = 0;
    uint32_t minor = 0;
    uint32_t patch = 0;
    std::string text;  // as the peer said it, or kLegacyPluginVersion
};

// How a peer of protocol 1 is named in messages: it is a 0.1 release.
inline constexpr std::string_view kLegacyPluginVersion = "0.1.x (protocol 1)";

inline PluginVersion legacy_plugin_version() { return {0, 1, 0, std::string(kLegacyPluginVersion)}; }

// "MAJOR.MINOR.PATCH[-suffix|+suffix]", each number decimal digits only;
// nullopt for anything else.
inline std::optional<PluginVersion> parse_plugin_version(std::string_view text) {
    PluginVersion v;
    v.text = std::string(text);
    uint32_t* parts[] = {&v.major, &v.minor, &v.patch};
    const char* p = text.data();
    const char* end = text.data() + text.size();
    for (int i = 0; i < 3; ++i) {
        if (i > 0) {
            if (p == end || *p != '.') {
                return std::nullopt;
            }
            ++p;
        }
        if (p == end || *p < '0' || *p > '9') {
            return std::nullopt;
        }
        auto [next, ec] = std::from_chars(p, end, *parts[i]);
        if (ec != std::errc()) {
            return std::nullopt;
        }
        p = next;
    }
    if (p != end && *p != '-' && *p != '+') {
        return std::nullopt;
    }
    if (p != end && p + 1 == end) {
        return std::nullopt;  // a suffix sign with nothing after it
    }
    return v;
}

}  // namespace ccdr::protocol

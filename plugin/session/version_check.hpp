// plugin/session/version_check.hpp: what both ends of a session do with the
// plugin release versions HELLO and HELLO_OK carry (protocol 2 and later).
// The feature requires the same version on both clusters; versions are
// semantic (MAJOR.MINOR.PATCH):
//   - the same text: nothing to say;
//   - the same major, another minor, patch or suffix: the session goes on,
//     each side logs it once per peer server and version (VersionNotices),
//     and the replica member's status message names both versions;
//   - another major: refused (REFUSED code 12, "plugin version", with the
//     sentence of major_mismatch_reason), and a replica member stops FAILED.
// A peer of protocol 1 sends no version: it is a 0.1 release
// (protocol::legacy_plugin_version()).
#pragma once

#include "protocol/plugin_version.hpp"

#include <mutex>
#include <set>
#include <string>
#include <tuple>

namespace ccdr::session {

enum class VersionMatch {
    kSame,   // the same release
    kMinor,  // the same major version, another minor, patch or suffix
    kMajor,  // major versions differ: the session is refused
};

inline VersionMatch compare_plugin_versions(const protocol::PluginVersion& a, const protocol::PluginVersion& b) {
    if (a.major != b.major) {
        return VersionMatch::kMajor;
    }
    if (std::tie(a.minor, a.patch, a.text) == std::tie(b.minor, b.patch, b.text)) {
        return VersionMatch::kSame;
    }
    return VersionMatch::kMinor;
}

// The one sentence both sides use for a major mismatch: the replica's member
// status and procedure errors, the upstream's log and its REFUSED reason.
inline std::string major_mismatch_reason(const std::string& replica_version, const std::string& upstream_version) {
    return "ccdr plugin versions differ: replica cluster runs " + replica_version + ", upstream cluster runs " +
           upstream_version + "; both clusters must run the same major version";
}

// The replica member's status message suffix for a minor mismatch, empty
// for the same version: " (upstream plugin 0.3.0, this 0.2.0)".
inline std::string minor_mismatch_note(const std::string& upstream_version, const std::string& replica_version) {
    return " (upstream plugin " + upstream_version + ", this " + replica_version + ")";
}

// Which peers' minor version differences this plugin instance already
// logged: one line per side, peer server and version pair, not one per
// reconnect. Thread-safe.
class VersionNotices {
public:
    // True the first time for this key (and then never again).
    bool first(const std::string& side, const std::string& peer_cluster, const std::string& peer_server,
               const std::string& peer_version) {
        std::lock_guard lock(mu_);
        return seen_.insert(side + '\n' + peer_cluster + '\n' + peer_server + '\n' + peer_version).second;
    }

private:
    std::mutex mu_;
    std::set<std::string> seen_;
};

}  // namespace ccdr::session

// plugin/settings/plugin_settings.hpp: the ccdr.* settings the plugin
// declares to its host, their validation, and the typed values an instance
// reads at create().
#pragma once

#include <ccdr/abi.h>
#include <ccdr/host_handle.hpp>
#include <ccdr/status.hpp>

#include <chrono>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ccdr::plugin {

// Every declared setting, in the order `SHOW SETTINGS`-style listings show them.
std::span<const ccdr_setting_def> declared_settings();

// Validates one value of a declared key. CCDR_INVALID_SETTING naming key,
// value and reason for a bad value or an undeclared ccdr.* key.
Status validate_setting(std::string_view key, std::string_view value);

struct PluginSettings {
    bool allow_plaintext = false;
    uint64_t batch_max_bytes = 0;
    uint64_t window_bytes = 0;
    bool compression = true;
    uint64_t frame_max_bytes = 0;
    uint64_t snapshot_chunk_bytes = 0;
    std::chrono::milliseconds snapshot_retention{0};
    std::chrono::milliseconds heartbeat_interval{0};
    std::chrono::milliseconds connect_timeout{0};
    std::chrono::milliseconds io_timeout{0};
    std::chrono::milliseconds backoff_initial{0};
    std::chrono::milliseconds backoff_max{0};
    std::vector<std::string> allowed_databases;  // "*" = every database but system
    std::chrono::milliseconds security_compare_interval{0};  // 0: no periodic drift check
    bool remote_fencing = true;  // a replica's cluster may fence and demote databases of this cluster
    // The log held for each replica member served (ABI 1.2 log_hold): its cap.
    uint64_t log_hold_max_bytes = 0;  // 0: no holds
    std::chrono::milliseconds log_hold_max_age{0};
    std::chrono::milliseconds verify_interval{0};  // continuous verification; 0: off
    std::string latency_trace;  // a directory (runtime/latency_trace.hpp); empty: off
};

// Reads and parses every declared setting through the host.
Result<PluginSettings> read_settings(const HostHandle& host);

}  // namespace ccdr::plugin

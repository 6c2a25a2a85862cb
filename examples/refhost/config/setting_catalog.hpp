// examples/refhost/config/setting_catalog.hpp: every neo4j.conf key the
// refhost knows, with Neo4j's name, default and value syntax. A key not in
// this table (and not refhost.server.N.*, and not a ccdr.* key a loaded
// plugin declares) stops the start. Front ends that need a setting add it
// here.
#pragma once

#include <ccdr/status.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace refhost {

enum class SettingType {
    String,        // any non-empty text
    Boolean,       // true | false
    Integer,       // within [min, max]
    Duration,      // 500ms, 10s, 5m, 2h, 1d; at least min milliseconds
    Size,          // 4096, 64KiB, 16MiB, 1GiB
    Enum,          // one of choices, case-insensitive
    Address,       // host:port
    Path,          // relative to HOME (or to the policy's base directory)
    DatabaseName,  // a valid database name
    TlsVersions,   // comma-separated TLSv1.2 / TLSv1.3
    Retention,     // db.tx_log.rotation.retention_policy syntax
};

struct SettingDef {
    std::string key;
    SettingType type = SettingType::String;
    std::string default_value;
    std::vector<std::string> choices;  // Enum
    int64_t min = 0;                   // Integer, Duration (ms)
    int64_t max = 0;                   // Integer
    std::string description;
};

const std::vector<SettingDef>& setting_catalog();
const SettingDef* find_setting(std::string_view key);

// The per-server keys refhost.server.<N>.<suffix>: their suffixes, and what
// single-server key each one stands for.
struct ServerKey {
    std::string suffix;      // "bolt.listen_address"
    std::string single_key;  // "server.bolt.listen_address"
};
const std::vector<ServerKey>& server_keys();

// Checks `value` against `def`: OK, or CCDR_INVALID_SETTING with the reason.
// `normalised` receives the canonical form (enums upper-case, trimmed).
ccdr::Status check_setting_value(const SettingDef& def, std::string_view value, std::string& normalised);

// Neo4j's database name rules; the reason when `name` breaks one.
ccdr::Status check_database_name(std::string_view name);

}  // namespace refhost

// examples/refhost/config/config.hpp: the settings of one refhost cluster:
// HOME/conf/neo4j.conf (key=value, # comments), then the environment
// (NEO4J_server_bolt_listen__address: '_' for '.', '__' for '_'), checked
// strictly against the catalog. Every problem stops the start with a message
// naming the key, the value, where it came from, and the reason.
#pragma once

#include "config/setting_catalog.hpp"
#include "store/retention.hpp"

#include <ccdr/setting_values.hpp>
#include <ccdr/status.hpp>

#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace refhost {

// One logical server of the cluster.
struct ServerConfig {
    size_t index = 0;  // 0-based; the configuration's N is index + 1
    std::string name;  // "server-<N>"
    ccdr::settings::Address bolt;
    ccdr::settings::Address cluster;
    std::string mode_constraint;  // NONE, PRIMARY, SECONDARY
};

class Config {
public:
    // Reads and checks everything but ccdr.* keys (those are checked against
    // the loaded plugins: check_plugin_settings). `env` holds NAME=VALUE
    // strings (environ).
    static ccdr::Result<Config> load(const std::filesystem::path& home, const std::vector<std::string>& env);
    // Builds a configuration from key/value pairs, as if read from a file
    // (tests and tools).
    static ccdr::Result<Config> from_pairs(const std::filesystem::path& home,
                                           const std::vector<std::pair<std::string, std::string>>& pairs);

    // ccdr.* keys as given, with where they came from (for messages).
    struct Given {
        std::string key;
        std::string value;
        std::string origin;  // "/home/conf/neo4j.conf line 4" or "environment variable NEO4J_..."
    };
    std::vector<Given> plugin_keys() const;
    // A declared plugin key's value (given or the declaration's default).
    void set_plugin_value(const std::string& key, const std::string& value);

    // The effective value of a key for `server` (per-server keys give that
    // server's value; paths are absolute), or nullopt for an unknown key.
    std::optional<std::string> get(const std::string& key, size_t server = 0) const;

    const std::filesystem::path& home() const { return home_; }
    std::filesystem::path dir(const char* key) const { return std::filesystem::path(*get(key)); }
    std::filesystem::path data_dir() const { return dir("server.directories.data"); }
    std::filesystem::path logs_dir() const { return dir("server.directories.logs"); }
    std::filesystem::path plugins_dir() const { return dir("server.directories.plugins"); }
    std::filesystem::path metrics_dir() const { return dir("server.directories.metrics"); }
    const std::vector<ServerConfig>& servers() const { return servers_; }

    bool flag(const char* key) const { return *get(key) == "true"; }
    int64_t integer(const char* key) const;
    std::chrono::milliseconds duration(const char* key) const;
    RetentionPolicy retention() const;
    // db.tx_log.rotation.size: the log segment size, at least 1 MiB.
    uint64_t log_rotation_bytes() const;

private:
    ccdr::Status add(const std::string& key, const std::string& value, const std::string& origin);
    ccdr::Status finish();
    ccdr::Status check_ssl_policy() const;
    ccdr::Status check_ssl_policy_files(const std::string& scope) const;  // "cluster", "bolt"

    std::filesystem::path home_;
    std::map<std::string, std::string> values_;   // non-plugin keys, normalised
    std::map<std::string, std::string> origins_;  // key -> origin
    std::map<std::string, Given> plugin_given_;
    std::map<std::string, std::string> plugin_values_;
    std::vector<ServerConfig> servers_;
};

// "Invalid setting KEY='VALUE' (ORIGIN): REASON"
std::string setting_error(const std::string& key, const std::string& value, const std::string& origin,
                          const std::string& reason);

}  // namespace refhost

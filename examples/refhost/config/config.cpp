#include "config/config.hpp"

#include <ccdr/setting_values.hpp>

#include <algorithm>

#include <fstream>
#include <set>

namespace refhost {

namespace fs = std::filesystem;

namespace {

// Environment variables of Neo4j's tooling that are not settings.
const std::set<std::string> kNotSettings = {"NEO4J_HOME", "NEO4J_CONF", "NEO4J_AUTH", "NEO4J_EDITION",
                                            "NEO4J_ACCEPT_LICENSE_AGREEMENT", "NEO4J_PLUGINS", "NEO4J_DEBUG"};

std::string env_to_key(const std::string& name) {
    std::string out;
    for (size_t i = 0; i < name.size(); ++i) {
        if (name[i] == '_') {
            if (i + 1 < name.size() && name[i + 1] == '_') {
                out += '_';
                ++i;
            } else {
                out += '.';
            }
        } else {
            out += name[i];
        }
    }
    return out;
}

// Parses "refhost.server.<N>.<suffix>"; N >= 1.
bool split_server_key(const std::string& key, size_t& n, std::string& suffix) {
    static const std::string kPrefix = "refhost.server.";
    if (key.compare(0, kPrefix.size(), kPrefix) != 0) {
        return false;
    }
    size_t i = kPrefix.size();
    size_t start = i;
    n = 0;
    while (i < key.size() && std::isdigit(static_cast<unsigned char>(key[i]))) {
        n = n * 10 + static_cast<size_t>(key[i] - '0');
        if (n > 1000) {
            return false;
        }
        ++i;
    }
    if (i == start || i >= key.size() || key[i] != '.' || n == 0) {
        return false;
    }
    suffix = key.substr(i + 1);
    return true;
}

const ServerKey* find_server_key(const std::string& suffix) {
    for (const auto& k : server_keys()) {
        if (k.suffix == suffix) {
            return &k;
        }
    }
    return nullptr;
}

}  // namespace

std::string setting_error(const std::string& key, const std::string& value, const std::string& origin,
                          const std::string& reason) {
    return "Invalid setting " + key + "='" + value + "' (" + origin + "): " + reason;
}

ccdr::Status Config::add(const std::string& key, const std::string& value, const std::string& origin) {
    auto bad = [&](const std::string& reason) {
        return ccdr::Status(CCDR_INVALID_SETTING, setting_error(key, value, origin, reason));
    };
    if (key.rfind("ccdr.", 0) == 0) {
        plugin_given_[key] = Given{key, std::string(ccdr::settings::trim(value)), origin};
        return {};
    }
    const SettingDef* def = find_setting(key);
    size_t n = 0;
    std::string suffix;
    if (def == nullptr && split_server_key(key, n, suffix)) {
        if (const ServerKey* sk = find_server_key(suffix)) {
            def = find_setting(sk->single_key);
        }
    }
    if (def == nullptr) {
        return bad("unknown setting (the refhost has no such key; ccdr.* keys must be declared by a plugin)");
    }
    std::string normalised;
    ccdr::Status st = check_setting_value(*def, value, normalised);
    if (!st) {
        return bad(st.message());
    }
    values_[key] = normalised;
    origins_[key] = origin;
    return {};
}

ccdr::Result<Config> Config::load(const fs::path& home, const std::vector<std::string>& env) {
    Config c;
    std::error_code ec;
    c.home_ = fs::absolute(home, ec).lexically_normal();
    if (!fs::is_directory(c.home_, ec)) {
        return ccdr::Status(CCDR_INVALID_SETTING, "HOME " + c.home_.string() + " is not a directory");
    }
    fs::path conf = c.home_ / "conf" / "neo4j.conf";
    std::ifstream in(conf);
    if (!in) {
        return ccdr::Status(CCDR_INVALID_SETTING, "cannot read " + conf.string());
    }
    std::string line;
    int number = 0;
    while (std::getline(in, line)) {
        ++number;
        std::string_view t = ccdr::settings::trim(line);
        if (t.empty() || t.front() == '#') {
            continue;
        }
        std::string origin = conf.string() + " line " + std::to_string(number);
        size_t eq = t.find('=');
        if (eq == std::string_view::npos) {
            return ccdr::Status(CCDR_INVALID_SETTING, "Invalid line (" + origin + "): expected key=value, got '" +
                                                          std::string(t) + "'");
        }
        std::string key(ccdr::settings::trim(t.substr(0, eq)));
        std::string value(ccdr::settings::trim(t.substr(eq + 1)));
        if (key.empty()) {
            return ccdr::Status(CCDR_INVALID_SETTING, "Invalid line (" + origin + "): the key is empty");
        }
        ccdr::Status st = c.add(key, value, origin);
        if (!st) {
            return st;
        }
    }
    for (const auto& entry : env) {
        if (entry.rfind("NEO4J_", 0) != 0) {
            continue;
        }
        size_t eq = entry.find('=');
        std::string name = entry.substr(0, eq);
        if (kNotSettings.count(name) != 0 || eq == std::string::npos) {
            continue;
        }
        ccdr::Status st = c.add(env_to_key(name.substr(6)), entry.substr(eq + 1), "environment variable " + name);
        if (!st) {
            return st;
        }
    }
    if (ccdr::Status st = c.finish(); !st) {
        return st;
    }
    return c;
}

ccdr::Result<Config> Config::from_pairs(const fs::path& home,
                                        const std::vector<std::pair<std::string, std::string>>& pairs) {
    Config c;
    std::error_code ec;
    c.home_ = fs::absolute(home, ec).lexically_normal();
    for (const auto& [k, v] : pairs) {
        ccdr::Status st = c.add(k, v, "given");
        if (!st) {
            return st;
        }
    }
    if (ccdr::Status st = c.finish(); !st) {
        return st;
    }
    return c;
}

ccdr::Status Config::finish() {
    // Defaults for everything not given.
    for (const auto& d : setting_catalog()) {
        if (values_.count(d.key) == 0) {
            std::string normalised;
            (void)check_setting_value(d, d.default_value, normalised);
            values_[d.key] = normalised;
            origins_[d.key] = "default";
        }
    }
    // Servers: refhost.server.N.* when any is given, else one server.
    std::map<size_t, std::map<std::string, std::string>> per_server;
    for (const auto& [key, value] : values_) {
        size_t n = 0;
        std::string suffix;
        if (split_server_key(key, n, suffix)) {
            per_server[n][suffix] = value;
        }
    }
    servers_.clear();
    auto address = [](const std::string& v) { return *ccdr::settings::parse_address(v); };
    if (per_server.empty()) {
        servers_.push_back(ServerConfig{0, "server-1", address(values_["server.bolt.listen_address"]),
                                        address(values_["server.cluster.listen_address"]),
                                        values_["initial.server.mode_constraint"]});
    } else {
        size_t expected = 1;
        for (const auto& [n, keys] : per_server) {
            std::string prefix = "refhost.server." + std::to_string(n) + ".";
            if (n != expected) {
                return {CCDR_INVALID_SETTING, "Invalid setting " + prefix + "*: servers must be numbered 1, 2, 3 "
                                              "… without gaps, and refhost.server." + std::to_string(expected) +
                                              ".* is missing"};
            }
            for (const char* required : {"bolt.listen_address", "cluster.listen_address"}) {
                if (keys.count(required) == 0) {
                    return {CCDR_INVALID_SETTING, "Missing setting " + prefix + required + ": every refhost.server."
                                                  "N needs a Bolt and a cluster address"};
                }
            }
            auto mode = keys.find("mode_constraint");
            servers_.push_back(ServerConfig{n - 1, "server-" + std::to_string(n), address(keys.at("bolt.listen_address")),
                                            address(keys.at("cluster.listen_address")),
                                            mode != keys.end() ? mode->second : values_["initial.server.mode_constraint"]});
            ++expected;
        }
    }
    // No two listeners on one address.
    std::map<std::string, std::string> taken;
    auto claim = [&](const ccdr::settings::Address& a, const std::string& what) -> ccdr::Status {
        std::string k = a.to_string();
        auto [it, fresh] = taken.emplace(k, what);
        if (!fresh) {
            return {CCDR_INVALID_SETTING, "Invalid settings: " + what + " and " + it->second + " are both " + k};
        }
        return {};
    };
    for (const auto& s : servers_) {
        std::string who = servers_.size() == 1 ? "server" : "refhost.server." + std::to_string(s.index + 1);
        ccdr::Status st = claim(s.bolt, "the Bolt address of " + who);
        if (st) {
            st = claim(s.cluster, "the cluster address of " + who);
        }
        if (!st) {
            return st;
        }
    }
    if (flag("server.metrics.prometheus.enabled")) {
        ccdr::Status st = claim(address(values_["server.metrics.prometheus.endpoint"]),
                                "server.metrics.prometheus.endpoint");
        if (!st) {
            return st;
        }
    }
    return check_ssl_policy();
}

ccdr::Status Config::check_ssl_policy() const {
    ccdr::Status st = check_ssl_policy_files("cluster");
    if (st) {
        st = check_ssl_policy_files("bolt");
    }
    // Bolt TLS needs the bolt policy's certificate and key.
    if (st && *get("server.bolt.tls_level") != "DISABLED" && !flag("dbms.ssl.policy.bolt.enabled")) {
        const std::string key = "server.bolt.tls_level";
        return {CCDR_INVALID_SETTING, setting_error(key, values_.at(key), origins_.at(key),
                                                    "needs the bolt SSL policy: set dbms.ssl.policy.bolt.enabled=true "
                                                    "and put private.key and public.crt into its base directory")};
    }
    return st;
}

ccdr::Status Config::check_ssl_policy_files(const std::string& scope) const {
    const std::string policy = "dbms.ssl.policy." + scope + ".";
    if (!flag((policy + "enabled").c_str())) {
        return {};
    }
    struct Need {
        const char* suffix;
        bool directory;
    };
    static constexpr Need kNeeds[] = {
        {"base_directory", true}, {"private_key", false}, {"public_certificate", false},
        {"trusted_dir", true},    {"revoked_dir", true},
    };
    for (const auto& need : kNeeds) {
        const std::string key = policy + need.suffix;
        fs::path p(*get(key));
        std::error_code ec;
        bool ok = need.directory ? fs::is_directory(p, ec) : fs::is_regular_file(p, ec);
        if (!ok) {
            auto origin = origins_.find(key);
            return {CCDR_INVALID_SETTING,
                    setting_error(key, values_.at(key), origin->second,
                                  std::string(need.directory ? "directory " : "file ") + p.string() +
                                      " does not exist (required because " + policy + "enabled=true)")};
        }
    }
    return {};
}

std::vector<Config::Given> Config::plugin_keys() const {
    std::vector<Given> out;
    for (const auto& [k, g] : plugin_given_) {
        out.push_back(g);
    }
    return out;
}

void Config::set_plugin_value(const std::string& key, const std::string& value) { plugin_values_[key] = value; }

std::optional<std::string> Config::get(const std::string& key, size_t server) const {
    if (key.rfind("ccdr.", 0) == 0) {
        auto it = plugin_values_.find(key);
        if (it == plugin_values_.end()) {
            return std::nullopt;
        }
        return it->second;
    }
    if (server < servers_.size()) {
        const ServerConfig& s = servers_[server];
        if (key == "server.bolt.listen_address") {
            return s.bolt.to_string();
        }
        if (key == "server.cluster.listen_address") {
            return s.cluster.to_string();
        }
        if (key == "initial.server.mode_constraint") {
            return s.mode_constraint;
        }
    }
    const SettingDef* def = find_setting(key);
    auto it = values_.find(key);
    if (it == values_.end()) {
        return std::nullopt;
    }
    if (def != nullptr && def->type == SettingType::Path) {
        fs::path base = home_;
        for (const std::string policy : {"dbms.ssl.policy.cluster.", "dbms.ssl.policy.bolt."}) {
            if (key.rfind(policy, 0) == 0 && key != policy + "base_directory") {
                base = fs::path(*get(policy + "base_directory"));
            }
        }
        fs::path p(it->second);
        return (p.is_absolute() ? p : base / p).lexically_normal().string();
    }
    return it->second;
}

int64_t Config::integer(const char* key) const { return *ccdr::settings::parse_int(*get(key)); }

std::chrono::milliseconds Config::duration(const char* key) const { return *ccdr::settings::parse_duration(*get(key)); }

RetentionPolicy Config::retention() const {
    return *RetentionPolicy::parse(*get("db.tx_log.rotation.retention_policy"));
}

uint64_t Config::log_rotation_bytes() const {
    auto bytes = ccdr::settings::parse_size(*get("db.tx_log.rotation.size"));
    return std::max<uint64_t>(bytes ? *bytes : 0, 1 << 20);
}

}  // namespace refhost

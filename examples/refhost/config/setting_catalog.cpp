#include "config/setting_catalog.hpp"

#include "store/retention.hpp"

#include <ccdr/setting_values.hpp>

#include <cctype>

namespace refhost {

const std::vector<SettingDef>& setting_catalog() {
    using T = SettingType;
    static const std::vector<SettingDef> kCatalog = {
        {"server.bolt.listen_address", T::Address, "localhost:7687", {}, 0, 0,
         "Bolt address of the server (single-server homes)"},
        {"server.cluster.listen_address", T::Address, "localhost:6000", {}, 0, 0,
         "Cluster address of the server: where the plugin listens for replication"},
        {"initial.server.mode_constraint", T::Enum, "NONE", {"NONE", "PRIMARY", "SECONDARY"}, 0, 0,
         "Which member roles the server may host"},
        {"server.directories.plugins", T::Path, "plugins", {}, 0, 0, "Plugins directory"},
        {"server.directories.data", T::Path, "data", {}, 0, 0, "Data directory"},
        {"server.directories.logs", T::Path, "logs", {}, 0, 0, "Logs directory"},
        {"server.directories.metrics", T::Path, "metrics", {}, 0, 0, "Metrics directory"},
        {"initial.dbms.default_database", T::DatabaseName, "neo4j", {}, 0, 0,
         "Name of the default database, created at the first start"},
        {"initial.dbms.default_primaries_count", T::Integer, "1", {}, 1, 11, "Primaries of a new database"},
        {"initial.dbms.default_secondaries_count", T::Integer, "0", {}, 0, 20, "Secondaries of a new database"},
        {"dbms.routing.reads_on_primaries_enabled", T::Boolean, "true", {}, 0, 0,
         "Non-writer primaries serve reads"},
        {"dbms.routing_ttl", T::Duration, "5m", {}, 1000, 0, "Time to live of a routing table"},
        {"dbms.security.auth_enabled", T::Boolean, "true", {}, 0, 0, "Clients must authenticate"},
        {"dbms.security.auth_minimum_password_length", T::Integer, "8", {}, 1, 1024,
         "Shortest password CREATE USER, ALTER USER and ALTER CURRENT USER accept"},
        {"db.transaction.bookmark_ready_timeout", T::Duration, "30s", {}, 1, 0,
         "How long a transaction waits for the member to reach its bookmarks"},
        {"db.lock.acquisition.timeout", T::Duration, "0s", {}, 0, 0,
         "How long a transaction waits for the database's write lock; 0: no limit"},
        {"db.transaction.timeout", T::Duration, "0s", {}, 0, 0,
         "A transaction still open after this is terminated (a client's tx_timeout overrides it); 0: no limit"},
        {"db.shutdown_transaction_end_timeout", T::Duration, "10s", {}, 0, 0,
         "How long a stop (SIGTERM, STOP DATABASE) waits for open transactions before terminating them"},
        {"db.tx_log.rotation.retention_policy", T::Retention, "2 days", {}, 0, 0,
         "How much transaction log each member keeps"},
        {"db.tx_log.rotation.size", T::Size, "256MiB", {}, 0, 0,
         "A member's transaction log starts a new segment file once the current one reaches this size"},
        {"refhost.test.divergence_hook", T::Boolean, "false", {}, 0, 0,
         "Tests only: CALL refhost.test.divergeMember may change a row on one member without logging it"},
        {"dbms.ssl.policy.cluster.enabled", T::Boolean, "false", {}, 0, 0, "The cluster SSL policy is in force"},
        {"dbms.ssl.policy.cluster.base_directory", T::Path, "certificates/cluster", {}, 0, 0,
         "Directory of the cluster policy's files"},
        {"dbms.ssl.policy.cluster.private_key", T::Path, "private.key", {}, 0, 0, "Private key file"},
        {"dbms.ssl.policy.cluster.public_certificate", T::Path, "public.crt", {}, 0, 0, "Certificate file"},
        {"dbms.ssl.policy.cluster.trusted_dir", T::Path, "trusted", {}, 0, 0, "Trusted CA certificates"},
        {"dbms.ssl.policy.cluster.revoked_dir", T::Path, "revoked", {}, 0, 0, "Certificate revocation lists"},
        {"dbms.ssl.policy.cluster.client_auth", T::Enum, "REQUIRE", {"NONE", "OPTIONAL", "REQUIRE"}, 0, 0,
         "Whether peers must present a certificate"},
        {"dbms.ssl.policy.cluster.tls_versions", T::TlsVersions, "TLSv1.3", {}, 0, 0, "Allowed TLS versions"},
        {"dbms.ssl.policy.cluster.verify_hostname", T::Boolean, "true", {}, 0, 0,
         "Peers' certificates must match the address dialled"},
        {"server.bolt.tls_level", T::Enum, "DISABLED", {"DISABLED", "OPTIONAL", "REQUIRED"}, 0, 0,
         "Bolt encryption: DISABLED (plaintext only), OPTIONAL (TLS and plaintext), REQUIRED (TLS only)"},
        {"dbms.ssl.policy.bolt.enabled", T::Boolean, "false", {}, 0, 0, "The bolt SSL policy is in force"},
        {"dbms.ssl.policy.bolt.base_directory", T::Path, "certificates/bolt", {}, 0, 0,
         "Directory of the bolt policy's files"},
        {"dbms.ssl.policy.bolt.private_key", T::Path, "private.key", {}, 0, 0, "Private key file"},
        {"dbms.ssl.policy.bolt.public_certificate", T::Path, "public.crt", {}, 0, 0,
         "Certificate file (the server's certificate, then its chain)"},
        {"dbms.ssl.policy.bolt.trusted_dir", T::Path, "trusted", {}, 0, 0, "CAs trusted for client certificates"},
        {"dbms.ssl.policy.bolt.revoked_dir", T::Path, "revoked", {}, 0, 0, "CRLs for client certificates"},
        {"dbms.ssl.policy.bolt.client_auth", T::Enum, "OPTIONAL", {"NONE", "OPTIONAL", "REQUIRE"}, 0, 0,
         "Whether Bolt clients must present a certificate"},
        {"dbms.ssl.policy.bolt.tls_versions", T::TlsVersions, "TLSv1.2,TLSv1.3", {}, 0, 0, "Allowed TLS versions"},
        {"refhost.bolt.max_connections", T::Integer, "2000", {}, 1, 1000000,
         "Authenticated Bolt connections per process; one more is closed at LOGON"},
        {"refhost.bolt.max_unauthenticated_connections", T::Integer, "200", {}, 1, 1000000,
         "Bolt connections that have not authenticated yet; when full, a newcomer closes the oldest one that has "
         "sent nothing for 5 seconds"},
        {"refhost.bolt.unauthenticated_timeout", T::Duration, "10s", {}, 100, 0,
         "A Bolt connection must authenticate within this of its accept, or it is closed"},
        {"refhost.bolt.worker_threads", T::Integer, "32", {}, 1, 1024,
         "Threads that run Bolt requests (a request waiting for a lock holds none)"},
        {"server.metrics.enabled", T::Boolean, "true", {}, 0, 0, "Metrics are collected"},
        {"server.metrics.prefix", T::String, "neo4j", {}, 0, 0, "Prefix of every metric name"},
        {"server.metrics.csv.enabled", T::Boolean, "true", {}, 0, 0, "Metrics are written as CSV files"},
        {"server.metrics.csv.interval", T::Duration, "30s", {}, 100, 0, "How often CSV rows are written"},
        {"server.metrics.csv.rotation.size", T::Size, "10MiB", {}, 0, 0,
         "A CSV file larger than this is rotated (file.csv.1, .2, ...)"},
        {"server.metrics.csv.rotation.keep_number", T::Integer, "7", {}, 1, 1000, "Rotated CSV files kept per metric"},
        {"server.metrics.prometheus.enabled", T::Boolean, "false", {}, 0, 0, "A Prometheus endpoint is served"},
        {"server.metrics.prometheus.endpoint", T::Address, "localhost:2004", {}, 0, 0,
         "Address of the Prometheus endpoint"},
    };
    return kCatalog;
}

const SettingDef* find_setting(std::string_view key) {
    for (const auto& d : setting_catalog()) {
        if (d.key == key) {
            return &d;
        }
    }
    return nullptr;
}

const std::vector<ServerKey>& server_keys() {
    static const std::vector<ServerKey> kKeys = {
        {"bolt.listen_address", "server.bolt.listen_address"},
        {"cluster.listen_address", "server.cluster.listen_address"},
        {"mode_constraint", "initial.server.mode_constraint"},
    };
    return kKeys;
}

ccdr::Status check_database_name(std::string_view name) {
    if (name.size() < 3 || name.size() > 63) {
        return {CCDR_INVALID_SETTING, "a database name must have 3 to 63 characters"};
    }
    if (!std::isalpha(static_cast<unsigned char>(name[0]))) {
        return {CCDR_INVALID_SETTING, "a database name must start with an ASCII letter"};
    }
    for (char c : name) {
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-') {
            return {CCDR_INVALID_SETTING,
                    "a database name may contain only ASCII letters, digits, dots and dashes"};
        }
    }
    std::string lower = ccdr::settings::lower(name);
    if (lower.rfind("system", 0) == 0) {
        return {CCDR_INVALID_SETTING, "database names starting with 'system' are reserved"};
    }
    return {};
}

ccdr::Status check_setting_value(const SettingDef& def, std::string_view value, std::string& normalised) {
    namespace s = ccdr::settings;
    std::string_view v = s::trim(value);
    normalised = std::string(v);
    switch (def.type) {
        case SettingType::String:
        case SettingType::Path:
            if (v.empty()) {
                return {CCDR_INVALID_SETTING, "must not be empty"};
            }
            return {};
        case SettingType::Boolean: {
            auto b = s::parse_bool(v);
            if (b) {
                normalised = *b ? "true" : "false";
            }
            return b.status();
        }
        case SettingType::Integer: return s::parse_int(v, def.min, def.max).status();
        case SettingType::Duration: {
            auto d = s::parse_duration(v);
            if (!d) {
                return d.status();
            }
            if (d->count() < def.min) {
                return {CCDR_INVALID_SETTING, "must be at least " + std::to_string(def.min) + "ms"};
            }
            return {};
        }
        case SettingType::Size: return s::parse_size(v).status();
        case SettingType::Enum: {
            std::string upper(v);
            for (char& c : upper) {
                c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
            }
            for (const auto& choice : def.choices) {
                if (upper == choice) {
                    normalised = choice;
                    return {};
                }
            }
            std::string list;
            for (const auto& choice : def.choices) {
                list += (list.empty() ? "" : ", ") + choice;
            }
            return {CCDR_INVALID_SETTING, "expected one of " + list};
        }
        case SettingType::Address: {
            auto a = s::parse_address(v);
            if (a) {
                normalised = a->to_string();
            }
            return a.status();
        }
        case SettingType::DatabaseName: {
            ccdr::Status st = check_database_name(v);
            if (st) {
                normalised = s::lower(v);
            }
            return st;
        }
        case SettingType::TlsVersions: {
            auto items = s::parse_list(v);
            if (items.empty()) {
                return {CCDR_INVALID_SETTING, "expected TLSv1.2, TLSv1.3 or both, comma-separated"};
            }
            for (const auto& item : items) {
                if (item != "TLSv1.2" && item != "TLSv1.3") {
                    return {CCDR_INVALID_SETTING,
                            "unsupported TLS version '" + item + "' (expected TLSv1.2 and/or TLSv1.3)"};
                }
            }
            return {};
        }
        case SettingType::Retention: return RetentionPolicy::parse(v).status();
    }
    return {CCDR_INTERNAL, "unknown setting type"};
}

}  // namespace refhost

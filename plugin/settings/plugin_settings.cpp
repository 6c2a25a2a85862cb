#include "settings/plugin_settings.hpp"

#include <ccdr/setting_values.hpp>
#include <ccdr/span.hpp>

#include <array>

namespace ccdr::plugin {
namespace {

constexpr ccdr_string s(std::string_view v) { return ccdr_string{v.data(), v.size()}; }

#define CCDR_SETTING(name, def, type, text) \
    ccdr_setting_def { CCDR_HEADER_INIT(ccdr_setting_def), s(name), s(def), s(text), type, 0 }

const std::array<ccdr_setting_def, 19> kSettings = {
    CCDR_SETTING("ccdr.allow_plaintext", "false", CCDR_SETTING_BOOLEAN,
                 "Replicate without TLS when the cluster SSL policy is disabled. For development only; "
                 "a warning is logged at every start."),
    CCDR_SETTING("ccdr.batch.max_bytes", "1MiB", CCDR_SETTING_SIZE,
                 "Largest uncompressed batch of transactions the upstream sends in one frame."),
    CCDR_SETTING("ccdr.window.max_unacked_bytes", "16MiB", CCDR_SETTING_SIZE,
                 "Bytes the upstream sends to one replica before waiting for its acknowledgement."),
    CCDR_SETTING("ccdr.compression.enabled", "true", CCDR_SETTING_BOOLEAN,
                 "Compress batches and snapshot chunks with LZ4 (skipped where it does not shrink them)."),
    CCDR_SETTING("ccdr.frame.max_bytes", "64MiB", CCDR_SETTING_SIZE,
                 "Largest frame payload accepted from a peer; larger lengths are refused before allocation."),
    CCDR_SETTING("ccdr.snapshot.chunk_bytes", "1MiB", CCDR_SETTING_SIZE, "Size of one store-copy chunk."),
    CCDR_SETTING("ccdr.snapshot.retention", "10m", CCDR_SETTING_DURATION,
                 "How long an upstream keeps an exported snapshot after its last use, so that an interrupted store "
                 "copy can resume."),
    CCDR_SETTING("ccdr.heartbeat.interval", "1s", CCDR_SETTING_DURATION,
                 "How often an idle upstream tells its replicas its last tx id and time."),
    CCDR_SETTING("ccdr.connect.timeout", "5s", CCDR_SETTING_DURATION,
                 "Deadline for connecting to an upstream address, TLS handshake included."),
    CCDR_SETTING("ccdr.io.timeout", "30s", CCDR_SETTING_DURATION,
                 "Deadline for any read or write on a replication connection."),
    CCDR_SETTING("ccdr.backoff.initial", "100ms", CCDR_SETTING_DURATION,
                 "First retry delay after a failed connection; doubles up to ccdr.backoff.max, with jitter."),
    CCDR_SETTING("ccdr.backoff.max", "5s", CCDR_SETTING_DURATION, "Cap of the retry delay."),
    CCDR_SETTING("ccdr.upstream.allowed_databases", "*", CCDR_SETTING_LIST,
                 "Databases this server lets replicas pull: '*' for every database but system, or a "
                 "comma-separated list of names."),
    CCDR_SETTING("ccdr.security.compare_interval", "5m", CCDR_SETTING_DURATION,
                 "How often a server hosting a replica member compares this cluster's users and roles with the "
                 "upstream cluster's (metric ccdr.security.differences); 0 turns the periodic check off."),
    CCDR_SETTING("ccdr.upstream.remote_fencing", "true", CCDR_SETTING_BOOLEAN,
                 "Let a replica's cluster fence a database of this server's cluster (planned switchover, fence "
                 "on heal after a failover) and turn it into a replica of the promoted one; false refuses every "
                 "such request."),
    CCDR_SETTING("ccdr.upstream.replica_log_hold.max_size", "10GiB", CCDR_SETTING_SIZE,
                 "Most transaction log an upstream server keeps, beyond db.tx_log.rotation.retention_policy, for one "
                 "replica member it served (from the tx after the one it acknowledged last); past it the hold is "
                 "released and that member will need a store copy. 0 turns holds off."),
    CCDR_SETTING("ccdr.upstream.replica_log_hold.max_age", "7d", CCDR_SETTING_DURATION,
                 "Oldest transaction an upstream server keeps in its log for a replica member that has not "
                 "acknowledged it; past it the hold is released and that member will need a store copy."),
    CCDR_SETTING("ccdr.replica.verify_interval", "10m", CCDR_SETTING_DURATION,
                 "How often each replica member compares its running content fingerprint with the upstream's at "
                 "the member's last applied tx (continuous verification); 0 turns it off."),
    CCDR_SETTING("ccdr.debug.latency_trace", "", CCDR_SETTING_STRING,
                 "A directory: each server appends the time of every replication step of every batch to "
                 "<directory>/<server id>.trace (test/bench/vs-postgres joins them). Empty: off. For measurements "
                 "only."),
};

#undef CCDR_SETTING

// Per key: which parser applies, and bounds.
Status check(std::string_view key, std::string_view value) {
    auto bounded_size = [&](uint64_t min, uint64_t max) -> Status {
        auto r = settings::parse_size(value);
        if (!r) {
            return r.status();
        }
        if (*r < min || *r > max) {
            return {CCDR_INVALID_SETTING,
                    "must be from " + std::to_string(min) + " to " + std::to_string(max) + " bytes"};
        }
        return {};
    };
    auto bounded_duration = [&](int64_t min_ms, int64_t max_ms) -> Status {
        auto r = settings::parse_duration(value);
        if (!r) {
            return r.status();
        }
        if (r->count() < min_ms || r->count() > max_ms) {
            return {CCDR_INVALID_SETTING,
                    "must be from " + std::to_string(min_ms) + "ms to " + std::to_string(max_ms) + "ms"};
        }
        return {};
    };
    if (key == "ccdr.allow_plaintext" || key == "ccdr.compression.enabled" || key == "ccdr.upstream.remote_fencing") {
        return settings::parse_bool(value).status();
    }
    if (key == "ccdr.batch.max_bytes") {
        return bounded_size(1024, 64ull << 20);
    }
    if (key == "ccdr.window.max_unacked_bytes") {
        return bounded_size(64 * 1024, 1ull << 30);
    }
    if (key == "ccdr.frame.max_bytes") {
        return bounded_size(64 * 1024, 256ull << 20);
    }
    if (key == "ccdr.snapshot.chunk_bytes") {
        return bounded_size(4096, 16ull << 20);
    }
    if (key == "ccdr.snapshot.retention") {
        return bounded_duration(1000, 7 * 86'400'000LL);
    }
    if (key == "ccdr.heartbeat.interval") {
        return bounded_duration(10, 60'000);
    }
    if (key == "ccdr.connect.timeout" || key == "ccdr.io.timeout") {
        return bounded_duration(100, 600'000);
    }
    if (key == "ccdr.backoff.initial" || key == "ccdr.backoff.max") {
        return bounded_duration(1, 600'000);
    }
    if (key == "ccdr.security.compare_interval") {
        auto r = settings::parse_duration(value);
        if (!r) {
            return r.status();
        }
        if (r->count() != 0 && (r->count() < 1000 || r->count() > 7 * 86'400'000LL)) {
            return {CCDR_INVALID_SETTING, "must be 0 (off) or from 1000ms to 604800000ms"};
        }
        return {};
    }
    if (key == "ccdr.upstream.replica_log_hold.max_size") {
        auto r = settings::parse_size(value);
        if (!r) {
            return r.status();
        }
        if (*r != 0 && (*r < 4096 || *r > (1ull << 50))) {
            return {CCDR_INVALID_SETTING, "must be 0 (no holds) or from 4096 to 1125899906842624 bytes (1PiB)"};
        }
        return {};
    }
    if (key == "ccdr.upstream.replica_log_hold.max_age") {
        return bounded_duration(1000, 365 * 86'400'000LL);
    }
    if (key == "ccdr.replica.verify_interval") {
        auto r = settings::parse_duration(value);
        if (!r) {
            return r.status();
        }
        if (r->count() != 0 && (r->count() < 500 || r->count() > 7 * 86'400'000LL)) {
            return {CCDR_INVALID_SETTING, "must be 0 (off) or from 500ms to 604800000ms"};
        }
        return {};
    }
    if (key == "ccdr.debug.latency_trace") {
        if (value.find('\n') != std::string_view::npos || value.find('\0') != std::string_view::npos) {
            return {CCDR_INVALID_SETTING, "expected a directory path on one line, or nothing (off)"};
        }
        return {};
    }
    if (key == "ccdr.upstream.allowed_databases") {
        auto items = settings::parse_list(value);
        if (items.empty()) {
            return {CCDR_INVALID_SETTING, "expected '*' or a comma-separated list of database names"};
        }
        for (const auto& item : items) {
            if (item == "system") {
                return {CCDR_INVALID_SETTING, "the system database cannot be replicated"};
            }
        }
        return {};
    }
    return {CCDR_INVALID_SETTING, "unknown setting (the ccdr plugin declares no such key)"};
}

}  // namespace

std::span<const ccdr_setting_def> declared_settings() { return kSettings; }

Status validate_setting(std::string_view key, std::string_view value) {
    Status st = check(key, value);
    if (st.is_ok()) {
        return st;
    }
    return {CCDR_INVALID_SETTING,
            "invalid value for " + std::string(key) + "='" + std::string(value) + "': " + st.message()};
}

Result<PluginSettings> read_settings(const HostHandle& host) {
    // Each value was validated by the host at start; validating again here
    // keeps a host that skipped it from handing the plugin nonsense.
    auto get = [&](std::string_view key) -> Result<std::string> {
        auto r = host.get_setting(key);
        if (!r) {
            return r.status().with_context("reading " + std::string(key));
        }
        Status st = validate_setting(key, *r);
        if (!st) {
            return st;
        }
        return r;
    };
    PluginSettings out;
    Status failed;
    auto read = [&](std::string_view key, auto parse, auto& field) {
        if (!failed) {
            return;
        }
        auto text = get(key);
        if (!text) {
            failed = text.status();
            return;
        }
        field = parse(*text).value();
    };
    auto size = [](const std::string& t) { return settings::parse_size(t); };
    auto duration = [](const std::string& t) { return settings::parse_duration(t); };
    auto boolean = [](const std::string& t) { return settings::parse_bool(t); };

    read("ccdr.allow_plaintext", boolean, out.allow_plaintext);
    read("ccdr.batch.max_bytes", size, out.batch_max_bytes);
    read("ccdr.window.max_unacked_bytes", size, out.window_bytes);
    read("ccdr.compression.enabled", boolean, out.compression);
    read("ccdr.frame.max_bytes", size, out.frame_max_bytes);
    read("ccdr.snapshot.chunk_bytes", size, out.snapshot_chunk_bytes);
    read("ccdr.snapshot.retention", duration, out.snapshot_retention);
    read("ccdr.heartbeat.interval", duration, out.heartbeat_interval);
    read("ccdr.connect.timeout", duration, out.connect_timeout);
    read("ccdr.io.timeout", duration, out.io_timeout);
    read("ccdr.backoff.initial", duration, out.backoff_initial);
    read("ccdr.backoff.max", duration, out.backoff_max);
    read("ccdr.security.compare_interval", duration, out.security_compare_interval);
    read("ccdr.upstream.remote_fencing", boolean, out.remote_fencing);
    read("ccdr.upstream.replica_log_hold.max_size", size, out.log_hold_max_bytes);
    read("ccdr.upstream.replica_log_hold.max_age", duration, out.log_hold_max_age);
    read("ccdr.replica.verify_interval", duration, out.verify_interval);
    read("ccdr.debug.latency_trace", [](const std::string& t) { return Result<std::string>(t); }, out.latency_trace);
    if (!failed) {
        return failed;
    }
    // A frame must hold the largest batch and the largest chunk with their
    // record headers.
    constexpr uint64_t kSlack = 64 * 1024;
    if (out.batch_max_bytes + kSlack > out.frame_max_bytes || out.snapshot_chunk_bytes + kSlack > out.frame_max_bytes) {
        return Status(CCDR_INVALID_SETTING,
                      "invalid value for ccdr.frame.max_bytes='" + std::to_string(out.frame_max_bytes) +
                          "': it must exceed ccdr.batch.max_bytes (" + std::to_string(out.batch_max_bytes) +
                          ") and ccdr.snapshot.chunk_bytes (" + std::to_string(out.snapshot_chunk_bytes) +
                          ") by at least 64KiB");
    }
    auto allowed = get("ccdr.upstream.allowed_databases");
    if (!allowed) {
        return allowed.status();
    }
    out.allowed_databases = settings::parse_list(*allowed);
    return out;
}

}  // namespace ccdr::plugin

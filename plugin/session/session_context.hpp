// plugin/session/session_context.hpp: what either end of a replication
// session needs from its plugin instance: the host, this server's identity
// and plugin release version (said in HELLO and HELLO_OK) and data
// directory, the settings, the log and the threads. Built by the plugin root
// (engine_context.hpp); the upstream service, the replica members and the
// upstream requests hold a reference and must not outlive it.
#pragma once

#include "runtime/io_runtime.hpp"
#include "runtime/latency_trace.hpp"
#include "session/version_check.hpp"
#include "settings/plugin_settings.hpp"
#include "transport/connection.hpp"

#include <ccdr/host_handle.hpp>

#include <spdlog/logger.h>

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace ccdr::session {

struct SessionContext {
    HostHandle host;
    ServerInfo server;
    plugin::PluginSettings settings;
    std::shared_ptr<spdlog::logger> log;
    runtime::IoRuntime* runtime = nullptr;  // set from start() until stop()
    // This plugin's release version (plugin/version.hpp.in), said in HELLO
    // and HELLO_OK; and which peers' version differences were logged.
    protocol::PluginVersion plugin_version;
    std::shared_ptr<VersionNotices> version_notices = std::make_shared<VersionNotices>();
    // Fan-out: "" when this server may serve replica database `name` to the
    // other members of it (its member there is the puller), else why not.
    // Set by the root before start(); empty: a replica database is served.
    std::function<std::string(const std::string& name)> replica_serving_refusal;
    // Fan-out: the lowest position any member this server serves replica
    // database `name` to still needs (live or away, within this server's
    // hold cap), or none; the puller's ACKs report it upstream (hold_tx,
    // protocol 8). Set by the root before start(); empty: none.
    std::function<std::optional<uint64_t>(const std::string& name)> followers_needed;
    // Set with ccdr.debug.latency_trace: the steps of every batch, timed.
    std::shared_ptr<runtime::LatencyTrace> trace;

    // Deadlines, frame cap and compression of every replication connection.
    transport::ConnectionOptions connection_options() const {
        transport::ConnectionOptions o;
        o.io_timeout = settings.io_timeout;
        o.limits.max_payload = static_cast<uint32_t>(settings.frame_max_bytes);
        o.compress = settings.compression;
        return o;
    }

    // Where store-copy spools live, on both ends: <data directory>/ccdr/spool.
    std::string spool_directory() const {
        return (std::filesystem::path(server.data_directory) / "ccdr" / "spool").string();
    }

    // Where replicas with an applyDelay keep what they received and have not
    // applied: <data directory>/ccdr/delay/<database> (replica/delay_spool.hpp).
    std::filesystem::path delay_spool_root() const {
        return std::filesystem::path(server.data_directory) / "ccdr" / "delay";
    }
};

}  // namespace ccdr::session

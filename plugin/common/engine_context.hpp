// plugin/common/engine_context.hpp: what the replication components of one
// plugin instance share: the host, this server's identity, the settings, the
// log, the I/O runtime and the transport security. Owned by CcdrPlugin; every
// component holds a reference and must not outlive it.
#pragma once

#include "settings/plugin_settings.hpp"
#include "transport/connector.hpp"
#include "transport/io_runtime.hpp"
#include "transport/security.hpp"

#include <ccdr/host_handle.hpp>
#include <ccdr/status.hpp>

#include <spdlog/logger.h>

#include <memory>
#include <string>
#include <vector>

namespace ccdr::plugin {

namespace asio = boost::asio;

struct EngineContext {
    HostHandle host;
    ServerInfo server;
    PluginSettings settings;
    std::shared_ptr<spdlog::logger> log;
    transport::IoRuntime* runtime = nullptr;
    transport::TransportSecurity security;

    transport::ConnectionOptions connection_options() const {
        transport::ConnectionOptions o;
        o.io_timeout = settings.io_timeout;
        o.limits.max_payload = static_cast<uint32_t>(settings.frame_max_bytes);
        o.compress = settings.compression;
        return o;
    }

    transport::ConnectOptions connect_options() const {
        transport::ConnectOptions o;
        o.connection = connection_options();
        o.connect_timeout = settings.connect_timeout;
        o.verify_hostname = security.verify_hostname;
        return o;
    }

    // Whether this server can open a request to an upstream at `addresses`
    // now: replication possible (TLS or allowed plaintext), plugin started,
    // at least one address.
    Status can_ask_upstream(const std::vector<std::string>& addresses) const {
        if (!security.usable()) {
            return {CCDR_UNSUPPORTED, security.disabled_reason};
        }
        if (runtime == nullptr) {
            return {CCDR_STOPPED, "the ccdr plugin is not started"};
        }
        if (addresses.empty()) {
            return {CCDR_INVALID_ARGUMENT, "no upstream address given"};
        }
        return {};
    }
};

}  // namespace ccdr::plugin

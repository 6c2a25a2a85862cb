// test/support/plugin_loopback.hpp: one end of a replication session under
// test, the other end scripted by the test, on 127.0.0.1. A plugin runtime,
// a plaintext replication listener whose handler is the script, and what
// the end under test needs of its plugin instance (a session context over a
// MemoryHost, with the settings a test wants), for the unit tests of the
// plugin's parts (test/unit/replica/, test/unit/upstream/).
#pragma once

#include "runtime/io_runtime.hpp"
#include "session/session_context.hpp"
#include "support/memory_host.hpp"
#include "transport/connector.hpp"
#include "transport/server.hpp"

#include <ccdr/host_adapter.hpp>

#include <catch2/catch.hpp>
#include <spdlog/sinks/null_sink.h>

#include <chrono>
#include <functional>
#include <future>
#include <memory>
#include <string>

namespace ccdr::test {

namespace asio = boost::asio;
using namespace std::chrono_literals;

// The plugin release version the end under test says in HELLO (and a
// scripted upstream answers with, for the same version).
inline constexpr std::string_view kLoopbackPluginVersion = "0.2.0";

// The settings' defaults (settings/plugin_settings.cpp), with the deadlines
// and intervals of a test.
inline plugin::PluginSettings loopback_settings() {
    plugin::PluginSettings s;
    s.batch_max_bytes = 1 << 20;
    s.window_bytes = 16 << 20;
    s.compression = true;
    s.frame_max_bytes = 64 << 20;
    s.snapshot_chunk_bytes = 1 << 20;
    s.snapshot_retention = 10min;
    s.heartbeat_interval = 100ms;
    s.connect_timeout = 2s;
    s.io_timeout = 5s;
    s.backoff_initial = 20ms;
    s.backoff_max = 100ms;
    s.allowed_databases = {"*"};
    return s;
}

inline HostHandle handle_of(MemoryHost& host) { return HostHandle(host_api(), host.ctx()); }

inline std::shared_ptr<spdlog::logger> quiet_log() {
    return std::make_shared<spdlog::logger>("test", std::make_shared<spdlog::sinks::null_sink_mt>());
}

class PluginLoopback {
public:
    using Script = std::function<asio::awaitable<void>(std::shared_ptr<transport::Connection>)>;

    // `host` is the end under test's host; `script` plays the other end of
    // every connection accepted on address().
    PluginLoopback(MemoryHost& host, Script script, plugin::PluginSettings settings = loopback_settings(),
                   std::shared_ptr<spdlog::logger> log = quiet_log())
        : runtime_(2, 2) {
        runtime_.start();
        auto info = host.server_info();
        REQUIRE(info);
        context_.host = handle_of(host);
        context_.server = info.value();
        context_.settings = std::move(settings);
        context_.log = std::move(log);
        context_.runtime = &runtime_;
        context_.plugin_version = *protocol::parse_plugin_version(kLoopbackPluginVersion);
        if (script) {
            server_ = std::make_shared<transport::ReplicationServer>(runtime_, nullptr, context_.connection_options(),
                                                                     2s, std::move(script), context_.log);
            REQUIRE(server_->listen("127.0.0.1:0"));
        }
    }
    PluginLoopback(const PluginLoopback&) = delete;
    PluginLoopback& operator=(const PluginLoopback&) = delete;
    ~PluginLoopback() {
        if (server_) {
            server_->close();
        }
        runtime_.stop();
    }

    session::SessionContext& context() { return context_; }
    runtime::IoRuntime& runtime() { return runtime_; }
    std::string address() const { return "127.0.0.1:" + std::to_string(server_->port()); }

    // A plaintext connection to address(), on `strand`.
    asio::awaitable<Result<std::shared_ptr<transport::Connection>>> connect(transport::Strand strand) {
        co_return co_await connect(std::move(strand), address());
    }
    // A plaintext connection to another plugin's `peer_address` (host:port),
    // with this loopback's connection options.
    asio::awaitable<Result<std::shared_ptr<transport::Connection>>> connect(transport::Strand strand,
                                                                            std::string peer_address) {
        transport::ConnectOptions options;
        options.connection = context_.connection_options();
        options.connect_timeout = 2s;
        co_return co_await transport::connect_to(strand, peer_address, nullptr, options);
    }

    // Runs `body` on `strand` and waits for its result (or rethrows).
    template <typename T>
    T run(transport::Strand strand, std::function<asio::awaitable<T>()> body) {
        std::promise<T> done;
        auto result = done.get_future();
        REQUIRE(runtime_.spawn(
            strand, [&]() -> asio::awaitable<void> { done.set_value(co_await body()); },
            [&](std::exception_ptr e) { done.set_exception(e); }));
        return result.get();
    }

private:
    runtime::IoRuntime runtime_;
    session::SessionContext context_;
    std::shared_ptr<transport::ReplicationServer> server_;
};

}  // namespace ccdr::test

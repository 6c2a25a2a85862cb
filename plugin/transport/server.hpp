// plugin/transport/server.hpp: the replication listener. Accepts on the
// server's cluster address; each connection gets its own strand, a TLS
// handshake under a deadline, then the session handler. A peer that fails
// the handshake (no certificate, untrusted CA, revoked, expired, plaintext)
// is refused and logged with its address and the reason; the listener keeps
// serving.
#pragma once

#include "runtime/io_runtime.hpp"
#include "transport/connection.hpp"

#include <spdlog/logger.h>

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <set>

namespace ccdr::transport {

class ReplicationServer : public std::enable_shared_from_this<ReplicationServer> {
public:
    using Handler = std::function<asio::awaitable<void>(std::shared_ptr<Connection>)>;

    // `tls` null: plaintext (only when ccdr.allow_plaintext permits it).
    ReplicationServer(runtime::IoRuntime& runtime, std::shared_ptr<asio::ssl::context> tls, ConnectionOptions options,
                      milliseconds handshake_timeout, Handler handler, std::shared_ptr<spdlog::logger> log);
    ReplicationServer(const ReplicationServer&) = delete;
    ReplicationServer& operator=(const ReplicationServer&) = delete;

    // Binds and listens on "host:port" and starts accepting.
    Status listen(const std::string& address);
    uint16_t port() const { return port_; }
    // Stops accepting and closes every connection. Thread-safe; the
    // coroutines finish on their own (the runtime's gate waits for them).
    void close();

    uint64_t accepted() const { return accepted_.load(); }
    uint64_t refused() const { return refused_.load(); }
    size_t open_connections() const;

private:
    asio::awaitable<void> accept_loop();
    asio::awaitable<void> serve(std::shared_ptr<Connection> connection);

    runtime::IoRuntime& runtime_;
    std::shared_ptr<asio::ssl::context> tls_;
    ConnectionOptions options_;
    milliseconds handshake_timeout_;
    Handler handler_;
    std::shared_ptr<spdlog::logger> log_;
    Strand strand_;
    tcp::acceptor acceptor_;
    uint16_t port_ = 0;
    std::string address_;
    std::atomic<uint64_t> accepted_{0};
    std::atomic<uint64_t> refused_{0};

    mutable std::mutex mu_;
    bool closed_ = false;
    std::set<std::shared_ptr<Connection>> connections_;
};

}  // namespace ccdr::transport

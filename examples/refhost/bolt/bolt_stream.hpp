// examples/refhost/bolt/bolt_stream.hpp: one Bolt connection's byte stream,
// plaintext or TLS, as server.bolt.tls_level decides (tls.hpp). The
// connection (server.cpp) reads and writes through it and never sees which.
//
// start() runs before the Bolt handshake: with TLS possible it peeks at the
// client's first byte (0x16 opens a TLS handshake record) and, for a TLS
// client, completes the TLS handshake. A plaintext client is served when
// the level is OPTIONAL; with REQUIRED it is marked refused, and the
// connection answers its login with a FAILURE that says so.
// Every handler runs on the socket's executor (the connection's strand).
#pragma once

#include "bolt/tls.hpp"
#include <ccdr_asio.hpp>

#include <boost/asio/ssl.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace refhost::bolt {

class BoltStream {
public:
    using tcp = boost::asio::ip::tcp;
    using error_code = boost::system::error_code;

    // `tls` may be null when `level` is DISABLED.
    BoltStream(tcp::socket socket, std::shared_ptr<boost::asio::ssl::context> tls, TlsLevel level)
        : socket_(std::move(socket)), tls_context_(std::move(tls)), level_(level) {}

    tcp::socket& socket() { return socket_; }
    auto get_executor() { return socket_.get_executor(); }
    bool encrypted() const { return stream_.has_value(); }
    // REQUIRED and the client spoke plaintext: serve it nothing but the refusal.
    bool plaintext_refused() const { return refused_; }

    // Decides plaintext or TLS and does the TLS handshake; `done(ec, why)`
    // with an error code and a reason when the connection cannot go on.
    void start(std::function<void(const error_code&, const std::string&)> done);

    template <class Buffers, class Handler>
    void async_read_some(const Buffers& buffers, Handler&& handler) {
        if (stream_) {
            stream_->async_read_some(buffers, std::forward<Handler>(handler));
        } else {
            socket_.async_read_some(buffers, std::forward<Handler>(handler));
        }
    }

    template <class Buffers, class Handler>
    void async_write(const Buffers& buffers, Handler&& handler) {
        if (stream_) {
            boost::asio::async_write(*stream_, buffers, std::forward<Handler>(handler));
        } else {
            boost::asio::async_write(socket_, buffers, std::forward<Handler>(handler));
        }
    }

    // Shuts the socket down and closes it (no TLS close_notify: the peer
    // sees the connection end, which every driver handles).
    void close();

private:
    tcp::socket socket_;
    std::shared_ptr<boost::asio::ssl::context> tls_context_;
    TlsLevel level_;
    std::optional<boost::asio::ssl::stream<tcp::socket&>> stream_;
    uint8_t first_ = 0;
    bool refused_ = false;
};

}  // namespace refhost::bolt

#include "transport/connector.hpp"

#include <ccdr/setting_values.hpp>

namespace ccdr::transport {

using boost::system::error_code;

namespace {

// What the deadline handler and the coroutine share: the handler may run
// after the coroutine has moved on, so it holds its own reference.
struct ConnectAttempt {
    explicit ConnectAttempt(Strand strand) : resolver(strand), socket(strand), deadline(strand) {}
    tcp::resolver resolver;
    tcp::socket socket;
    asio::steady_timer deadline;
    bool timed_out = false;
};

}  // namespace

asio::awaitable<Result<std::shared_ptr<Connection>>> connect_to(Strand strand, std::string address,
                                                                std::shared_ptr<asio::ssl::context> tls,
                                                                ConnectOptions options) {
    auto parsed = settings::parse_address(address);
    if (!parsed) {
        co_return Status(CCDR_INVALID_ARGUMENT, "upstream address '" + address + "': " + parsed.status().message());
    }
    const auto started = std::chrono::steady_clock::now();
    auto attempt = std::make_shared<ConnectAttempt>(strand);
    attempt->deadline.expires_after(options.connect_timeout);
    attempt->deadline.async_wait([attempt](const error_code& ec) {
        if (!ec) {
            attempt->timed_out = true;
            attempt->resolver.cancel();
            error_code ignored;
            attempt->socket.close(ignored);
        }
    });
    error_code ec;
    const std::string host = parsed->host;
    const std::string port = std::to_string(parsed->port);
    auto endpoints =
        co_await attempt->resolver.async_resolve(host, port, asio::redirect_error(asio::use_awaitable, ec));
    if (!ec) {
        co_await asio::async_connect(attempt->socket, endpoints, asio::redirect_error(asio::use_awaitable, ec));
    }
    attempt->deadline.cancel();
    if (attempt->timed_out) {
        co_return Status(CCDR_TIMEOUT, "connecting to " + address + " timed out after " +
                                           std::to_string(options.connect_timeout.count()) + "ms");
    }
    if (ec) {
        co_return Status(CCDR_IO_ERROR, "cannot connect to " + address + ": " + ec.message());
    }
    auto connection =
        std::make_shared<Connection>(strand, std::move(attempt->socket), tls, options.connection, address);
    const auto spent = std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - started);
    const milliseconds left = std::max(milliseconds(1), options.connect_timeout - spent);
    std::string expected_host;
    if (options.verify_hostname) {
        expected_host = parsed->host;
    }
    Status handshake = co_await connection->connect_handshake(expected_host, left);
    if (!handshake) {
        connection->close("handshake failed");
        co_return Status(handshake.code(), "connecting to " + address + ": " + handshake.message());
    }
    co_return connection;
}

}  // namespace ccdr::transport

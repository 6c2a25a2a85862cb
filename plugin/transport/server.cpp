#include "transport/server.hpp"

#include <ccdr/setting_values.hpp>

#include <charconv>

namespace ccdr::transport {

using boost::system::error_code;

ReplicationServer::ReplicationServer(runtime::IoRuntime& runtime, std::shared_ptr<asio::ssl::context> tls,
                                     ConnectionOptions options, milliseconds handshake_timeout, Handler handler,
                                     std::shared_ptr<spdlog::logger> log)
    : runtime_(runtime),
      tls_(std::move(tls)),
      options_(options),
      handshake_timeout_(handshake_timeout),
      handler_(std::move(handler)),
      log_(std::move(log)),
      strand_(runtime.make_strand()),
      acceptor_(strand_) {}

Status ReplicationServer::listen(const std::string& address) {
    // host:port as parse_address reads it, except that port 0 (any free
    // port, see port()) is allowed here.
    const size_t colon = address.rfind(':');
    auto parsed = settings::parse_address(colon == std::string::npos ? address : address.substr(0, colon) + ":1");
    uint32_t port = 0;
    const std::string port_text = colon == std::string::npos ? "" : address.substr(colon + 1);
    auto [end, perr] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (!parsed || port_text.empty() || perr != std::errc() || end != port_text.data() + port_text.size() ||
        port > 65535) {
        return {CCDR_INVALID_SETTING, "cluster address '" + address + "': expected host:port"};
    }
    error_code ec;
    tcp::resolver resolver(runtime_.io());
    auto endpoints = resolver.resolve(parsed->host, std::to_string(port), tcp::resolver::passive, ec);
    if (ec || endpoints.empty()) {
        return {CCDR_IO_ERROR, "cannot resolve the cluster address " + address + ": " + ec.message()};
    }
    const tcp::endpoint endpoint = endpoints.begin()->endpoint();
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) {
        acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
    }
    if (!ec) {
        acceptor_.bind(endpoint, ec);
    }
    if (!ec) {
        acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    }
    if (ec) {
        error_code ignored;
        acceptor_.close(ignored);
        return {CCDR_IO_ERROR, "cannot listen for replication on " + address + ": " + ec.message()};
    }
    port_ = acceptor_.local_endpoint(ec).port();
    address_ = address;
    auto self = shared_from_this();
    if (!runtime_.spawn(strand_, [self] { return self->accept_loop(); })) {
        acceptor_.close(ec);
        return {CCDR_STOPPED, "the plugin is stopping"};
    }
    return {};
}

void ReplicationServer::close() {
    std::set<std::shared_ptr<Connection>> open;
    {
        std::lock_guard lock(mu_);
        if (closed_) {
            return;
        }
        closed_ = true;
        open.swap(connections_);
    }
    asio::post(strand_, [self = shared_from_this()] {
        error_code ec;
        self->acceptor_.close(ec);
    });
    for (const auto& c : open) {
        c->post_close("the replication server is stopping");
    }
}

size_t ReplicationServer::open_connections() const {
    std::lock_guard lock(mu_);
    return connections_.size();
}

asio::awaitable<void> ReplicationServer::accept_loop() {
    auto self = shared_from_this();
    for (;;) {
        Strand conn_strand = runtime_.make_strand();
        error_code ec;
        tcp::socket socket = co_await acceptor_.async_accept(conn_strand, asio::redirect_error(asio::use_awaitable, ec));
        if (ec == asio::error::operation_aborted || !acceptor_.is_open()) {
            co_return;
        }
        if (ec) {
            // Out of descriptors or similar: say so, pause, keep serving.
            log_->warn("replication listener on {}: accept failed: {}", address_, ec.message());
            asio::steady_timer pause(strand_, std::chrono::milliseconds(100));
            co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ec));
            continue;
        }
        auto connection = std::make_shared<Connection>(conn_strand, std::move(socket), tls_, options_);
        {
            std::lock_guard lock(mu_);
            if (closed_) {
                connection->close("the replication server is stopping");
                co_return;
            }
            connections_.insert(connection);
        }
        if (!runtime_.spawn(conn_strand, [self, connection] { return self->serve(connection); })) {
            std::lock_guard lock(mu_);
            connections_.erase(connection);
            connection->close("the plugin is stopping");
        }
    }
}

asio::awaitable<void> ReplicationServer::serve(std::shared_ptr<Connection> connection) {
    Status handshake = co_await connection->accept_handshake(handshake_timeout_);
    if (!handshake) {
        refused_.fetch_add(1);
        log_->warn("refused replication connection from {}: {}", connection->peer_address(), handshake.message());
    } else {
        accepted_.fetch_add(1);
        log_->info("replication connection from {}{}", connection->peer_address(),
                   connection->is_tls() ? " (certificate " + connection->peer_subject() + ")"
                                        : std::string(" (plaintext)"));
        co_await handler_(connection);
    }
    connection->close("session ended");
    std::lock_guard lock(mu_);
    connections_.erase(connection);
}

}  // namespace ccdr::transport

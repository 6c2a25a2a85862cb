#include "metrics/prometheus_endpoint.hpp"

#include <ccdr_asio.hpp>

#include <chrono>

namespace refhost {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

constexpr size_t kMaxRequest = 8192;

class Connection : public std::enable_shared_from_this<Connection> {
public:
    Connection(tcp::socket socket, const PrometheusEndpoint::Body& body)
        : socket_(std::move(socket)), timer_(socket_.get_executor()), buf_(kMaxRequest), body_(body) {}

    void run() {
        auto self = shared_from_this();
        timer_.expires_after(std::chrono::seconds(5));
        timer_.async_wait([self](boost::system::error_code ec) {
            if (!ec) {
                boost::system::error_code ignored;
                self->socket_.close(ignored);
            }
        });
        asio::async_read_until(socket_, buf_, "\r\n\r\n", [self](boost::system::error_code ec, size_t) {
            if (ec) {
                self->timer_.cancel();
                return;
            }
            self->respond();
        });
    }

private:
    void respond() {
        std::istream in(&buf_);
        std::string method, target;
        in >> method >> target;
        std::string status = "200 OK";
        std::string payload;
        if (method != "GET") {
            status = "405 Method Not Allowed";
            payload = "only GET is served\n";
        } else if (target != "/metrics" && target.rfind("/metrics?", 0) != 0) {
            status = "404 Not Found";
            payload = "metrics are served at /metrics\n";
        } else {
            payload = body_();
        }
        response_ = "HTTP/1.1 " + status + "\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n" +
                    "Content-Length: " + std::to_string(payload.size()) + "\r\nConnection: close\r\n\r\n" + payload;
        auto self = shared_from_this();
        asio::async_write(socket_, asio::buffer(response_), [self](boost::system::error_code, size_t) {
            boost::system::error_code ignored;
            self->socket_.shutdown(tcp::socket::shutdown_both, ignored);
            self->socket_.close(ignored);
            self->timer_.cancel();
        });
    }

    tcp::socket socket_;
    asio::steady_timer timer_;
    asio::streambuf buf_;
    const PrometheusEndpoint::Body& body_;
    std::string response_;
};

}  // namespace

struct PrometheusEndpoint::Impl {
    asio::io_context io;
    tcp::acceptor acceptor{io};
    Body body;

    void accept() {
        acceptor.async_accept([this](boost::system::error_code ec, tcp::socket socket) {
            if (ec) {
                if (ec == asio::error::operation_aborted) {
                    return;
                }
            } else {
                std::make_shared<Connection>(std::move(socket), body)->run();
            }
            accept();
        });
    }
};

ccdr::Result<std::unique_ptr<PrometheusEndpoint>> PrometheusEndpoint::start(const std::string& host, uint16_t port,
                                                                            Body body) {
    std::unique_ptr<PrometheusEndpoint> ep(new PrometheusEndpoint());
    ep->impl_ = std::make_unique<Impl>();
    ep->impl_->body = std::move(body);
    boost::system::error_code ec;
    tcp::resolver resolver(ep->impl_->io);
    auto results = resolver.resolve(host, std::to_string(port), ec);
    if (ec || results.empty()) {
        return ccdr::Status(CCDR_IO_ERROR, "cannot resolve the Prometheus endpoint " + host + ":" +
                                               std::to_string(port) + ": " + ec.message());
    }
    tcp::endpoint endpoint = results.begin()->endpoint();
    auto& acc = ep->impl_->acceptor;
    acc.open(endpoint.protocol(), ec);
    if (!ec) {
        acc.set_option(tcp::acceptor::reuse_address(true), ec);
    }
    if (!ec) {
        acc.bind(endpoint, ec);
    }
    if (!ec) {
        acc.listen(asio::socket_base::max_listen_connections, ec);
    }
    if (ec) {
        return ccdr::Status(CCDR_IO_ERROR, "cannot listen on the Prometheus endpoint " + host + ":" +
                                               std::to_string(port) + ": " + ec.message());
    }
    auto bound = acc.local_endpoint(ec);
    ep->address_ = bound.address().to_string() + ":" + std::to_string(bound.port());
    ep->impl_->accept();
    ep->thread_ = std::thread([impl = ep->impl_.get()] { impl->io.run(); });
    return ep;
}

PrometheusEndpoint::~PrometheusEndpoint() { stop(); }

void PrometheusEndpoint::stop() {
    if (!impl_) {
        return;
    }
    asio::post(impl_->io, [impl = impl_.get()] {
        boost::system::error_code ignored;
        impl->acceptor.close(ignored);
    });
    impl_->io.stop();
    if (thread_.joinable()) {
        thread_.join();
    }
    impl_.reset();
}

}  // namespace refhost

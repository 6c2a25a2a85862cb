#include "bolt/bolt_stream.hpp"

namespace refhost::bolt {

namespace asio = boost::asio;

namespace {

constexpr uint8_t kTlsHandshakeRecord = 0x16;

}  // namespace

void BoltStream::start(std::function<void(const error_code&, const std::string&)> done) {
    if (level_ == TlsLevel::Disabled || !tls_context_) {
        asio::post(socket_.get_executor(), [done = std::move(done)] { done({}, ""); });
        return;
    }
    // Peek: the byte stays in the socket for whoever reads next.
    socket_.async_receive(
        asio::buffer(&first_, 1), tcp::socket::message_peek,
        [this, done = std::move(done)](const error_code& ec, size_t n) mutable {
            if (ec || n == 0) {
                done(ec ? ec : asio::error::eof, "client closed before its first byte");
                return;
            }
            if (first_ != kTlsHandshakeRecord) {
                refused_ = level_ == TlsLevel::Required;
                done({}, "");
                return;
            }
            stream_.emplace(socket_, *tls_context_);
            stream_->async_handshake(asio::ssl::stream_base::server,
                                     [done = std::move(done)](const error_code& hs) {
                                         done(hs, hs ? "TLS handshake failed: " + hs.message() : std::string());
                                     });
        });
}

void BoltStream::close() {
    error_code ec;
    socket_.shutdown(tcp::socket::shutdown_both, ec);
    socket_.close(ec);
}

}  // namespace refhost::bolt

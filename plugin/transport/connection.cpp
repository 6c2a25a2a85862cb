#include "transport/connection.hpp"

#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <array>
#include <cstring>

namespace ccdr::transport {
namespace {

using boost::system::error_code;
namespace ssl = asio::ssl;

std::string subject_of(X509* cert) {
    if (cert == nullptr) {
        return "";
    }
    char buf[512];
    X509_NAME_oneline(X509_get_subject_name(cert), buf, sizeof(buf));
    return buf;
}

std::string address_of(const tcp::socket& socket) {
    error_code ec;
    auto ep = socket.remote_endpoint(ec);
    if (ec) {
        return "unknown peer";
    }
    return ep.address().to_string() + ":" + std::to_string(ep.port());
}

bool is_ip_address(const std::string& host) {
    error_code ec;
    asio::ip::make_address(host, ec);
    return !ec;
}

}  // namespace

Connection::Connection(Strand strand, tcp::socket socket, std::shared_ptr<asio::ssl::context> tls,
                       ConnectionOptions options, std::string peer)
    : strand_(strand),
      socket_(std::move(socket)),
      tls_context_(std::move(tls)),
      options_(options),
      watchdog_(strand_) {
    peer_address_ = peer.empty() ? address_of(socket_) : std::move(peer);
    error_code ec;
    socket_.set_option(tcp::no_delay(true), ec);
    if (tls_context_) {
        tls_ = std::make_unique<TlsStream>(socket_, *tls_context_);
    }
}

Connection::~Connection() = default;

void Connection::start(Deadline& deadline, milliseconds timeout, const char* what) {
    deadline = {std::chrono::steady_clock::now() + timeout, timeout, what, true};
    if (deadline.at < watchdog_at_) {
        arm_watchdog(deadline.at);
    }
}

void Connection::arm_watchdog(std::chrono::steady_clock::time_point at) {
    watchdog_at_ = at;
    watchdog_.expires_at(at);  // aborts the wait it replaces: that handler does nothing
    watchdog_.async_wait([weak = weak_from_this()](const error_code& ec) {
        auto self = weak.lock();
        if (!ec && self) {
            self->on_watchdog();
        }
    });
}

void Connection::on_watchdog() {
    watchdog_at_ = std::chrono::steady_clock::time_point::max();
    if (!open_) {
        return;
    }
    const auto now = std::chrono::steady_clock::now();
    auto next = std::chrono::steady_clock::time_point::max();
    for (Deadline* deadline : {&read_deadline_, &write_deadline_}) {
        if (!deadline->pending) {
            continue;
        }
        if (deadline->at <= now) {
            timed_out_ = std::string(deadline->what) + " timed out after " +
                         std::to_string(deadline->timeout.count()) + "ms";
            close(timed_out_);
            return;
        }
        next = std::min(next, deadline->at);
    }
    if (next != std::chrono::steady_clock::time_point::max()) {
        arm_watchdog(next);
    }
}

Status Connection::failure(const error_code& ec, const std::string& what) const {
    if (!timed_out_.empty()) {
        return {CCDR_TIMEOUT, timed_out_ + " (peer " + peer_address_ + ")"};
    }
    if (!close_reason_.empty()) {
        return {CCDR_IO_ERROR, what + " with " + peer_address_ + " failed: connection closed (" + close_reason_ + ")"};
    }
    if (ec == asio::error::eof || ec == ssl::error::stream_truncated) {
        return {CCDR_IO_ERROR, what + ": " + peer_address_ + " closed the connection"};
    }
    return {CCDR_IO_ERROR, what + " with " + peer_address_ + " failed: " + ec.message()};
}

void Connection::install_verify_callback() {
    // Records the first reason a certificate is refused, with its subject, so
    // the refusal can be logged as such rather than as "handshake failed". A
    // CA without a CRL in revoked/ is not a reason to refuse: only the CAs an
    // operator published CRLs for are checked (docs/protocol.md).
    tls_->set_verify_callback([this](bool preverified, ssl::verify_context& vctx) {
        X509_STORE_CTX* ctx = vctx.native_handle();
        if (preverified) {
            return true;
        }
        const int err = X509_STORE_CTX_get_error(ctx);
        if (err == X509_V_ERR_UNABLE_TO_GET_CRL) {
            X509_STORE_CTX_set_error(ctx, X509_V_OK);
            return true;
        }
        if (verify_failure_.empty()) {
            X509* cert = X509_STORE_CTX_get_current_cert(ctx);
            verify_failure_ = std::string(X509_verify_cert_error_string(err)) + " (certificate subject " +
                              subject_of(cert) + ", depth " + std::to_string(X509_STORE_CTX_get_error_depth(ctx)) +
                              ")";
        }
        return false;
    });
}

std::string Connection::handshake_error(const error_code& ec) const {
    if (!timed_out_.empty()) {
        return timed_out_;
    }
    if (!verify_failure_.empty()) {
        return "certificate refused: " + verify_failure_;
    }
    if (ec == asio::error::eof || ec == ssl::error::stream_truncated) {
        return "peer closed the connection during the TLS handshake";
    }
    std::string text = ec.message();
    if (ec.category() == asio::error::get_ssl_category()) {
        char buf[256];
        ERR_error_string_n(static_cast<unsigned long>(ec.value()), buf, sizeof(buf));
        const char* reason = ERR_reason_error_string(static_cast<unsigned long>(ec.value()));
        text = reason != nullptr ? reason : buf;
    }
    return "TLS handshake failed: " + text;
}

void Connection::record_peer_subject() {
    if (tls_) {
        peer_subject_ = subject_of(SSL_get0_peer_certificate(tls_->native_handle()));
    }
}

asio::awaitable<Status> Connection::accept_handshake(milliseconds timeout) {
    if (!tls_) {
        co_return Status();
    }
    start(read_deadline_, timeout, "TLS handshake");
    // A TLS client starts with a handshake record (type 0x16). Anything else is
    // a plaintext peer: name what it sent rather than OpenSSL's "wrong version".
    std::array<uint8_t, 4> first{};
    error_code ec;
    size_t n = co_await socket_.async_receive(asio::buffer(first), tcp::socket::message_peek,
                                              asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
        end(read_deadline_);
        co_return Status(CCDR_IO_ERROR, failure(ec, "TLS handshake").message());
    }
    if (n > 0 && first[0] != 0x16) {
        end(read_deadline_);
        const bool ccdr = n >= 4 && std::memcmp(first.data(), "CCDR", 4) == 0;
        co_return Status(CCDR_FORBIDDEN, ccdr ? "plaintext ccdr client: this server requires TLS "
                                                "(dbms.ssl.policy.cluster.enabled=true)"
                                              : "plaintext client: it did not start a TLS handshake");
    }
    install_verify_callback();
    co_await tls_->async_handshake(ssl::stream_base::server, asio::redirect_error(asio::use_awaitable, ec));
    end(read_deadline_);
    if (ec) {
        co_return Status(CCDR_FORBIDDEN, handshake_error(ec));
    }
    record_peer_subject();
    co_return Status();
}

asio::awaitable<Status> Connection::connect_handshake(std::string expected_host, milliseconds timeout) {
    if (!tls_) {
        co_return Status();
    }
    install_verify_callback();
    SSL* ssl_handle = tls_->native_handle();
    if (!expected_host.empty()) {
        X509_VERIFY_PARAM* param = SSL_get0_param(ssl_handle);
        X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
        if (is_ip_address(expected_host)) {
            X509_VERIFY_PARAM_set1_ip_asc(param, expected_host.c_str());
        } else {
            X509_VERIFY_PARAM_set1_host(param, expected_host.c_str(), expected_host.size());
            SSL_set_tlsext_host_name(ssl_handle, expected_host.c_str());
        }
    }
    start(read_deadline_, timeout, "TLS handshake");
    error_code ec;
    co_await tls_->async_handshake(ssl::stream_base::client, asio::redirect_error(asio::use_awaitable, ec));
    end(read_deadline_);
    if (ec) {
        co_return Status(CCDR_FORBIDDEN, handshake_error(ec));
    }
    record_peer_subject();
    co_return Status();
}

asio::awaitable<Result<Frame>> Connection::read_frame(milliseconds timeout) {
    if (!open_) {
        co_return Status(CCDR_IO_ERROR, "connection with " + peer_address_ + " is closed (" + close_reason_ + ")");
    }
    // The first bytes tell a full header from a short one (protocol 6) and
    // how long it is; then the rest of the header, checked before the
    // payload's buffer is allocated; then the payload.
    std::array<uint8_t, protocol::kFrameHeaderSize> header_bytes{};
    error_code ec;
    start(read_deadline_, timeout, "reading a frame");
    auto read_exactly = [&](asio::mutable_buffer buffer) {
        return tls_ ? asio::async_read(*tls_, buffer, asio::redirect_error(asio::use_awaitable, ec))
                    : asio::async_read(socket_, buffer, asio::redirect_error(asio::use_awaitable, ec));
    };
    co_await read_exactly(asio::buffer(header_bytes.data(), protocol::kFramePrefixSize));
    if (ec) {
        end(read_deadline_);
        co_return failure(ec, "reading a frame");
    }
    auto header_size = protocol::frame_header_size(
        std::span<const uint8_t, protocol::kFramePrefixSize>(header_bytes.data(), protocol::kFramePrefixSize));
    if (!header_size) {
        end(read_deadline_);
        co_return header_size.status();
    }
    if (*header_size > protocol::kFramePrefixSize) {
        co_await read_exactly(asio::buffer(header_bytes.data() + protocol::kFramePrefixSize,
                                           *header_size - protocol::kFramePrefixSize));
        if (ec) {
            end(read_deadline_);
            co_return failure(ec, "reading a frame");
        }
    }
    auto header = protocol::decode_header(std::span<const uint8_t>(header_bytes.data(), *header_size),
                                          options_.limits);
    if (!header) {
        end(read_deadline_);
        co_return header.status();
    }
    std::vector<uint8_t> wire(header->wire_length);
    if (!wire.empty()) {
        co_await read_exactly(asio::buffer(wire));
    }
    end(read_deadline_);
    if (ec) {
        co_return failure(ec, "reading a frame");
    }
    bytes_in_.fetch_add(*header_size + wire.size(), std::memory_order_relaxed);
    Frame frame;
    frame.header = *header;
    frame.wire_bytes = *header_size + wire.size();
    auto payload = protocol::decode_payload(*header, std::move(wire), &stream_decoder_);
    if (!payload) {
        co_return Status(payload.status().code(), payload.status().message() + " (from " + peer_address_ + ")");
    }
    frame.payload = std::move(payload.value());
    co_return frame;
}

asio::awaitable<Status> Connection::write_frame(const protocol::EncodedFrame& frame) {
    if (!open_) {
        co_return Status(CCDR_IO_ERROR, "connection with " + peer_address_ + " is closed (" + close_reason_ + ")");
    }
    std::array<asio::const_buffer, 2> buffers{asio::buffer(frame.header.data(), frame.header_size),
                                              asio::buffer(frame.body)};
    error_code ec;
    start(write_deadline_, options_.io_timeout, "writing a frame");
    if (tls_) {
        tls_->next_layer().begin_frame();
        co_await asio::async_write(*tls_, buffers, asio::redirect_error(asio::use_awaitable, ec));
        if (!ec) {
            co_await tls_->next_layer().async_flush(asio::redirect_error(asio::use_awaitable, ec));
        }
    } else {
        co_await asio::async_write(socket_, buffers, asio::redirect_error(asio::use_awaitable, ec));
    }
    end(write_deadline_);
    if (ec) {
        co_return failure(ec, "writing a frame");
    }
    bytes_out_.fetch_add(frame.wire_size(), std::memory_order_relaxed);
    co_return Status();
}

asio::awaitable<Status> Connection::write_payload(protocol::MessageType type, std::vector<uint8_t> payload) {
    auto frame = protocol::encode_frame(type, std::move(payload), options_.compress, options_.limits);
    if (!frame) {
        co_return frame.status();
    }
    co_return co_await write_frame(*frame);
}

void Connection::close(const std::string& reason) {
    if (!open_) {
        return;
    }
    open_ = false;
    close_reason_ = reason;
    error_code ec;
    socket_.shutdown(tcp::socket::shutdown_both, ec);
    socket_.close(ec);
    end(read_deadline_);
    end(write_deadline_);
    watchdog_.cancel();
    auto hooks = std::move(on_close_);
    on_close_.clear();
    for (auto& hook : hooks) {
        hook();
    }
}

void Connection::post_close(const std::string& reason) {
    asio::post(strand_, [self = shared_from_this(), reason] { self->close(reason); });
}

void Connection::on_close(std::function<void()> hook) {
    if (!open_) {
        hook();
        return;
    }
    on_close_.push_back(std::move(hook));
}

}  // namespace ccdr::transport

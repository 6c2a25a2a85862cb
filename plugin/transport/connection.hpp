// plugin/transport/connection.hpp: one replication connection (TLS or, when
// allowed for development, plaintext) carrying frames. It knows frames
// (protocol/frame.hpp), never the messages inside them: what a message means,
// and that a request may be answered with REFUSED, is session/exchange.hpp's.
//
// Every member function runs on the connection's strand (the coroutines
// that use it are spawned there); only post_close() may be called from any
// thread. Every operation has a deadline: when it passes, the socket is
// closed and the operation fails with CCDR_TIMEOUT. At most one read and one
// write may be in flight at a time (the session code has one reader and one
// writer coroutine). A frame that fails any check is returned as an error
// and never as a payload.
#pragma once

#include "protocol/frame.hpp"
#include "runtime/asio.hpp"
#include "runtime/io_runtime.hpp"
#include "transport/coalescing_stream.hpp"

#include <ccdr/status.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace ccdr::transport {

namespace asio = boost::asio;
using runtime::Strand;
using tcp = asio::ip::tcp;
using std::chrono::milliseconds;

struct ConnectionOptions {
    milliseconds io_timeout{30'000};
    protocol::FrameLimits limits;
    bool compress = true;
};

struct Frame {
    protocol::FrameHeader header;
    std::vector<uint8_t> payload;  // uncompressed, verified
    size_t wire_bytes = 0;         // header + payload as received
};

class Connection : public std::enable_shared_from_this<Connection> {
public:
    // `tls` null: plaintext. `peer` names the other end in messages (the
    // socket's remote endpoint when empty).
    Connection(Strand strand, tcp::socket socket, std::shared_ptr<asio::ssl::context> tls, ConnectionOptions options,
               std::string peer = {});
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;
    ~Connection();

    // Accepting side. Refuses a peer that does not start a TLS handshake
    // (naming what it sent), then handshakes. The error says why the peer was
    // refused (certificate verification failure with the certificate's
    // subject, missing certificate, protocol version, ...).
    asio::awaitable<Status> accept_handshake(milliseconds timeout);
    // Connecting side. `expected_host` (a name or IP) is checked against the
    // peer certificate's SANs when non-empty.
    asio::awaitable<Status> connect_handshake(std::string expected_host, milliseconds timeout);

    // Reads one frame, waiting at most `timeout` for it to complete.
    asio::awaitable<Result<Frame>> read_frame(milliseconds timeout);
    asio::awaitable<Status> write_frame(const protocol::EncodedFrame& frame);
    // Frames `payload` as a `type` frame with this connection's compression
    // and limits, and writes it.
    asio::awaitable<Status> write_payload(protocol::MessageType type, std::vector<uint8_t> payload);

    // Closes the socket and cancels every pending operation and deadline;
    // runs the on_close hooks once. Idempotent.
    void close(const std::string& reason);
    // Thread-safe close: posted to the strand.
    void post_close(const std::string& reason);
    // Runs (on the strand) when the connection closes.
    void on_close(std::function<void()> hook);

    bool is_open() const { return open_; }
    bool is_tls() const { return tls_ != nullptr; }
    const std::string& peer_address() const { return peer_address_; }
    // The peer certificate's subject, "" for plaintext or no certificate.
    const std::string& peer_subject() const { return peer_subject_; }
    const std::string& close_reason() const { return close_reason_; }
    Strand strand() const { return strand_; }
    const ConnectionOptions& options() const { return options_; }
    uint64_t bytes_in() const { return bytes_in_.load(std::memory_order_relaxed); }
    uint64_t bytes_out() const { return bytes_out_.load(std::memory_order_relaxed); }

private:
    using TlsStream = asio::ssl::stream<CoalescingStream>;

    // When one pending operation must have completed; the watchdog closes
    // the socket once it passes with the operation still pending.
    struct Deadline {
        std::chrono::steady_clock::time_point at{};
        milliseconds timeout{};
        const char* what = "";
        bool pending = false;
    };
    // Starts and ends an operation's deadline. One watchdog timer serves
    // every deadline of the connection, armed for the earliest and moved only
    // when a new deadline comes before it: a timer armed and cancelled per
    // frame cost each frame two timer updates and an aborted handler's
    // wake-up, a large part of what a stream cost the upstream per commit
    // (docs/benchmarks.md, upstream cost).
    void start(Deadline& deadline, milliseconds timeout, const char* what);
    static void end(Deadline& deadline) { deadline.pending = false; }
    void arm_watchdog(std::chrono::steady_clock::time_point at);
    void on_watchdog();
    Status failure(const boost::system::error_code& ec, const std::string& what) const;
    void install_verify_callback();
    std::string handshake_error(const boost::system::error_code& ec) const;
    void record_peer_subject();

    Strand strand_;
    tcp::socket socket_;
    std::shared_ptr<asio::ssl::context> tls_context_;
    std::unique_ptr<TlsStream> tls_;
    ConnectionOptions options_;
    Deadline read_deadline_;
    Deadline write_deadline_;
    asio::steady_timer watchdog_;
    std::chrono::steady_clock::time_point watchdog_at_ = std::chrono::steady_clock::time_point::max();
    std::string timed_out_;  // what timed out, when one did
    std::string verify_failure_;
    std::string peer_address_;
    std::string peer_subject_;
    std::string close_reason_;
    bool open_ = true;
    std::vector<std::function<void()>> on_close_;
    std::atomic<uint64_t> bytes_in_{0};
    std::atomic<uint64_t> bytes_out_{0};
    // The peer's LZ4 stream (frames flagged kFlagLz4Stream): it lives as
    // long as this connection, as the sender's does.
    protocol::Lz4StreamDecoder stream_decoder_;
};

}  // namespace ccdr::transport

// plugin/transport/coalescing_stream.hpp: the layer under the TLS stream.
// OpenSSL seals at most 16 KiB per record, and Asio's TLS stream writes each
// record to the socket as soon as it is sealed: a 1 MiB batch would cost
// some 60 send calls, each waking the peer. While a frame is being written
// this layer gathers the sealed records and sends them in writes of up to
// kFlushBytes; flush() sends the rest when the frame is complete. Outside a
// frame write (the handshake, alerts) writes go straight to the socket.
// Used only on its connection's strand.
#pragma once

#include "runtime/asio.hpp"

#include <cstdint>
#include <vector>

namespace ccdr::transport {

class CoalescingStream {
public:
    using socket_type = boost::asio::ip::tcp::socket;
    using executor_type = socket_type::executor_type;
    using lowest_layer_type = socket_type::lowest_layer_type;

    static constexpr size_t kFlushBytes = 256 * 1024;

    explicit CoalescingStream(socket_type& socket) : socket_(socket) { pending_.reserve(kFlushBytes + 32 * 1024); }

    executor_type get_executor() noexcept { return socket_.get_executor(); }
    lowest_layer_type& lowest_layer() { return socket_.lowest_layer(); }
    const lowest_layer_type& lowest_layer() const { return socket_.lowest_layer(); }

    // Between begin_frame() and flush() writes are gathered.
    void begin_frame() { gathering_ = true; }

    template <typename MutableBuffers, typename Token>
    auto async_read_some(const MutableBuffers& buffers, Token&& token) {
        return socket_.async_read_some(buffers, std::forward<Token>(token));
    }

    template <typename ConstBuffers, typename Token>
    auto async_write_some(const ConstBuffers& buffers, Token&& token) {
        return boost::asio::async_initiate<Token, void(boost::system::error_code, size_t)>(
            [this](auto handler, const ConstBuffers& data) { initiate_write(std::move(handler), data); }, token,
            buffers);
    }

    // Sends what was gathered and ends the frame (completes at once when
    // nothing is pending).
    template <typename Token>
    auto async_flush(Token&& token) {
        return boost::asio::async_initiate<Token, void(boost::system::error_code)>(
            [this](auto handler) {
                gathering_ = false;
                if (pending_.empty()) {
                    auto ex = boost::asio::get_associated_executor(handler, socket_.get_executor());
                    boost::asio::post(ex, [h = std::move(handler)]() mutable { h(boost::system::error_code()); });
                    return;
                }
                boost::asio::async_write(socket_, boost::asio::buffer(pending_),
                                         [this, h = std::move(handler)](boost::system::error_code ec, size_t) mutable {
                                             pending_.clear();
                                             h(ec);
                                         });
            },
            token);
    }

private:
    template <typename Handler, typename ConstBuffers>
    void initiate_write(Handler handler, const ConstBuffers& data) {
        if (!gathering_) {
            socket_.async_write_some(data, std::move(handler));
            return;
        }
        size_t n = 0;
        for (auto it = boost::asio::buffer_sequence_begin(data); it != boost::asio::buffer_sequence_end(data);
             ++it) {
            const auto* p = static_cast<const uint8_t*>((*it).data());
            pending_.insert(pending_.end(), p, p + (*it).size());
            n += (*it).size();
        }
        if (pending_.size() < kFlushBytes) {
            // Accepted, as a socket accepts into its buffer: complete as a
            // write would, through the handler's executor.
            auto ex = boost::asio::get_associated_executor(handler, socket_.get_executor());
            boost::asio::post(ex, [h = std::move(handler), n]() mutable { h(boost::system::error_code(), n); });
            return;
        }
        boost::asio::async_write(socket_, boost::asio::buffer(pending_),
                                 [this, h = std::move(handler), n](boost::system::error_code ec, size_t) mutable {
                                     pending_.clear();
                                     h(ec, ec ? 0 : n);
                                 });
    }

    socket_type& socket_;
    std::vector<uint8_t> pending_;
    bool gathering_ = false;
};

}  // namespace ccdr::transport

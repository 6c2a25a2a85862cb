#include "transport/bolt_probe.hpp"

#include <ccdr/setting_values.hpp>

#include <array>
#include <memory>

namespace ccdr::transport {

using boost::system::error_code;

namespace {

// The Bolt magic, then four version entries (00 <range> <minor> <major>):
// 5.0 to 5.8, 4.2 to 4.4, 4.1, 3.0. Any Bolt server since Neo4j 3.0 speaks
// one of them, and one that speaks none still answers (with zeros).
constexpr std::array<unsigned char, 20> kBoltHandshake = {0x60, 0x60, 0xB0, 0x17, 0x00, 0x08, 0x08, 0x05, 0x00, 0x02,
                                                          0x04, 0x04, 0x00, 0x00, 0x01, 0x04, 0x00, 0x00, 0x00, 0x03};

struct ProbeAttempt {
    explicit ProbeAttempt(Strand strand) : resolver(strand), socket(strand), deadline(strand) {}
    tcp::resolver resolver;
    tcp::socket socket;
    asio::steady_timer deadline;
};

}  // namespace

std::string bolt_port_hint(const std::string& address) {
    // Short: SHOW DATABASE's statusMessage holds 255 bytes, with the other
    // addresses' reasons and the retry delay.
    return address + " looks like a Bolt port (it answers the Bolt handshake); `addresses` needs cluster ports "
                     "(server.cluster.listen_address)";
}

bool is_bolt_answer(const unsigned char (&answer)[4]) {
    if (answer[0] != 0 || answer[1] != 0) {
        return false;
    }
    const bool none = answer[2] == 0 && answer[3] == 0;               // no version in common
    const bool version = answer[3] >= 1 && answer[3] <= 0x10;         // 00 00 <minor> <major>
    const bool manifest = answer[3] == 0xFF && answer[2] == 0x01;     // the 5.7+ manifest
    return none || version || manifest;
}

asio::awaitable<bool> probe_bolt(Strand strand, std::string address, std::chrono::milliseconds timeout) {
    auto parsed = settings::parse_address(address);
    if (!parsed) {
        co_return false;
    }
    // The deadline closes the socket, which ends whichever step waits.
    auto attempt = std::make_shared<ProbeAttempt>(strand);
    attempt->deadline.expires_after(timeout);
    attempt->deadline.async_wait([attempt](const error_code& ec) {
        if (!ec) {
            attempt->resolver.cancel();
            error_code ignored;
            attempt->socket.close(ignored);
        }
    });
    error_code ec;
    auto endpoints = co_await attempt->resolver.async_resolve(parsed->host, std::to_string(parsed->port),
                                                              asio::redirect_error(asio::use_awaitable, ec));
    if (!ec) {
        co_await asio::async_connect(attempt->socket, endpoints, asio::redirect_error(asio::use_awaitable, ec));
    }
    if (!ec) {
        co_await asio::async_write(attempt->socket, asio::buffer(kBoltHandshake),
                                   asio::redirect_error(asio::use_awaitable, ec));
    }
    unsigned char answer[4] = {0xFF, 0xFF, 0xFF, 0xFF};
    if (!ec) {
        co_await asio::async_read(attempt->socket, asio::buffer(answer),
                                  asio::redirect_error(asio::use_awaitable, ec));
    }
    attempt->deadline.cancel();
    error_code ignored;
    attempt->socket.close(ignored);
    co_return !ec && is_bolt_answer(answer);
}

}  // namespace ccdr::transport

// The FaultProxy's delay and throttle against real sockets on 127.0.0.1: a
// small server (echo, source or sink) behind the proxy, a blocking client in
// front. Times are only bounded from below (a delay adds at least its
// latency, a throttle needs at least 0.8 of the time the limit implies);
// content is compared byte for byte.
#include "support/fault_proxy.hpp"

#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <stdexcept>
#include <thread>
#include <vector>

using namespace ccdr::test;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

std::vector<uint8_t> pattern(size_t n, uint32_t seed) {
    std::vector<uint8_t> bytes(n);
    uint32_t x = seed;
    for (auto& b : bytes) {
        x = x * 1664525u + 1013904223u;
        b = static_cast<uint8_t>(x >> 24);
    }
    return bytes;
}

bool send_all(int fd, const uint8_t* data, size_t n) {
    while (n > 0) {
        const ssize_t w = ::send(fd, data, n, MSG_NOSIGNAL);
        if (w <= 0) {
            return false;
        }
        data += w;
        n -= static_cast<size_t>(w);
    }
    return true;
}

// Reads exactly n bytes; empty when the connection ends first or nothing
// arrives for 30 s.
std::vector<uint8_t> recv_exact(int fd, size_t n) {
    std::vector<uint8_t> out(n);
    size_t got = 0;
    while (got < n) {
        const ssize_t r = ::recv(fd, out.data() + got, n - got, 0);
        if (r <= 0) {
            return {};
        }
        got += static_cast<size_t>(r);
    }
    return out;
}

int connect_to(uint16_t port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(port);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
        ::close(fd);
        throw std::runtime_error("cannot connect to 127.0.0.1:" + std::to_string(port));
    }
    timeval timeout{30, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    return fd;
}

// One file descriptor, closed when it goes out of scope.
struct Fd {
    explicit Fd(int f) : fd(f) {}
    ~Fd() { ::close(fd); }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    int fd;
};

// The server behind the proxy, one connection at a time on its own thread:
// echo sends back what it reads; source sends `bytes` then reads until the
// end; sink reads and counts.
class TargetServer {
public:
    enum class Mode { kEcho, kSource, kSink };

    explicit TargetServer(Mode mode, std::vector<uint8_t> bytes = {}) : mode_(mode), bytes_(std::move(bytes)) {
        listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
            ::listen(listen_fd_, 8) != 0) {
            throw std::runtime_error("target server: cannot listen");
        }
        socklen_t len = sizeof(addr);
        ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
        port_ = ntohs(addr.sin_port);
        thread_ = std::thread([this] { serve(); });
    }
    ~TargetServer() {
        stopping_ = true;
        ::shutdown(listen_fd_, SHUT_RDWR);
        const int current = current_.load();
        if (current >= 0) {
            ::shutdown(current, SHUT_RDWR);
        }
        thread_.join();
        ::close(listen_fd_);
    }
    TargetServer(const TargetServer&) = delete;
    TargetServer& operator=(const TargetServer&) = delete;

    uint16_t port() const { return port_; }
    uint64_t received() const { return received_.load(); }

private:
    void serve() {
        while (!stopping_) {
            const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
            if (fd < 0) {
                continue;
            }
            current_ = fd;
            if (stopping_) {
                ::shutdown(fd, SHUT_RDWR);
            }
            handle(fd);
            current_ = -1;
            ::close(fd);
        }
    }
    void handle(int fd) {
        std::vector<uint8_t> buf(16 * 1024);
        if (mode_ == Mode::kSource && !send_all(fd, bytes_.data(), bytes_.size())) {
            return;
        }
        for (;;) {
            const ssize_t r = ::recv(fd, buf.data(), buf.size(), 0);
            if (r <= 0) {
                return;
            }
            received_.fetch_add(static_cast<uint64_t>(r));
            if (mode_ == Mode::kEcho && !send_all(fd, buf.data(), static_cast<size_t>(r))) {
                return;
            }
        }
    }

    Mode mode_;
    std::vector<uint8_t> bytes_;
    int listen_fd_ = -1;
    uint16_t port_ = 0;
    std::atomic<bool> stopping_{false};
    std::atomic<int> current_{-1};
    std::atomic<uint64_t> received_{0};
    std::thread thread_;
};

double seconds_since(Clock::time_point start) {
    return std::chrono::duration<double>(Clock::now() - start).count();
}

double round_trip_seconds(int fd) {
    const uint8_t ping = 0x5a;
    const auto start = Clock::now();
    REQUIRE(send_all(fd, &ping, 1));
    REQUIRE(recv_exact(fd, 1) == std::vector<uint8_t>{ping});
    return seconds_since(start);
}

// Sends `bytes` from a second thread in `piece`-sized writes `gap` apart
// while this thread reads the echo back; returns what came back.
std::vector<uint8_t> echo_through(int fd, const std::vector<uint8_t>& bytes, size_t piece,
                                  std::chrono::microseconds gap) {
    std::thread sender([&] {
        for (size_t at = 0; at < bytes.size(); at += piece) {
            if (!send_all(fd, bytes.data() + at, std::min(piece, bytes.size() - at))) {
                return;
            }
            if (gap.count() > 0) {
                std::this_thread::sleep_for(gap);
            }
        }
    });
    auto back = recv_exact(fd, bytes.size());
    sender.join();
    return back;
}

}  // namespace

TEST_CASE("fault proxy: without faults, bytes pass both ways unchanged", "[fault_proxy]") {
    TargetServer echo(TargetServer::Mode::kEcho);
    FaultProxy proxy(echo.port());
    Fd client(connect_to(proxy.port()));
    const auto bytes = pattern(512 * 1024, 1);
    CHECK(echo_through(client.fd, bytes, 8 * 1024, 0us) == bytes);
    CHECK(proxy.delayed_chunks() == 0);
    CHECK(proxy.throttle_waits() == 0);
    CHECK(proxy.connections() == 1);
}

TEST_CASE("fault proxy: a delay adds at least its latency, per direction", "[fault_proxy]") {
    TargetServer echo(TargetServer::Mode::kEcho);
    FaultProxy proxy(echo.port());
    Fd client(connect_to(proxy.port()));

    SECTION("downstream only") {
        proxy.delay_for(60s, 120ms, 20ms, FaultProxy::Direction::kDownstream);
        for (int i = 0; i < 5; ++i) {
            CHECK(round_trip_seconds(client.fd) >= 0.100);
        }
    }
    SECTION("upstream only") {
        proxy.delay_for(60s, 120ms, 20ms, FaultProxy::Direction::kUpstream);
        for (int i = 0; i < 5; ++i) {
            CHECK(round_trip_seconds(client.fd) >= 0.100);
        }
    }
    SECTION("both directions: twice") {
        proxy.delay_for(60s, 120ms, 20ms, FaultProxy::Direction::kBoth);
        for (int i = 0; i < 5; ++i) {
            CHECK(round_trip_seconds(client.fd) >= 0.200);
        }
    }
    CHECK(proxy.delayed_chunks() >= 5);
}

TEST_CASE("fault proxy: a delay with jitter keeps byte order and content", "[fault_proxy]") {
    TargetServer echo(TargetServer::Mode::kEcho);
    FaultProxy proxy(echo.port());
    Fd client(connect_to(proxy.port()));
    // Pieces 1 ms apart with ±25 ms of jitter: chunk times overlap, so a
    // proxy that sent each chunk at its own time would reorder them.
    proxy.delay_for(60s, 30ms, 25ms, FaultProxy::Direction::kBoth);
    const auto small = pattern(300 * 200, 2);
    CHECK(echo_through(client.fd, small, 200, 1000us) == small);
    const auto delayed_small = proxy.delayed_chunks();
    CHECK(delayed_small > 0);

    const auto big = pattern(4 * 1024 * 1024, 3);
    CHECK(echo_through(client.fd, big, 64 * 1024, 0us) == big);
    CHECK(proxy.delayed_chunks() > delayed_small);
}

TEST_CASE("fault proxy: after a delay's window, chunks pass undelayed", "[fault_proxy]") {
    TargetServer echo(TargetServer::Mode::kEcho);
    FaultProxy proxy(echo.port());
    Fd client(connect_to(proxy.port()));
    proxy.delay_for(300ms, 100ms, 0ms, FaultProxy::Direction::kBoth);
    CHECK(round_trip_seconds(client.fd) >= 0.200);
    const auto delayed = proxy.delayed_chunks();
    CHECK(delayed == 2);
    std::this_thread::sleep_for(400ms);
    const auto bytes = pattern(64 * 1024, 4);
    CHECK(echo_through(client.fd, bytes, 1024, 0us) == bytes);
    CHECK(proxy.delayed_chunks() == delayed);
}

TEST_CASE("fault proxy: a throttle holds the rate near its limit and delivers every byte", "[fault_proxy]") {
    constexpr uint64_t kRate = 64 * 1024;  // B/s
    constexpr size_t kBytes = 128 * 1024;  // 2 s at the limit

    SECTION("downstream: a source behind the proxy") {
        const auto bytes = pattern(kBytes, 5);
        TargetServer source(TargetServer::Mode::kSource, bytes);
        FaultProxy proxy(source.port());
        proxy.throttle_for(60s, kRate, FaultProxy::Direction::kDownstream);
        const auto start = Clock::now();
        Fd client(connect_to(proxy.port()));
        const auto got = recv_exact(client.fd, kBytes);
        const double seconds = seconds_since(start);
        CHECK(got == bytes);
        CHECK(seconds >= 0.8 * kBytes / kRate);
        // Whether the bucket ever ran dry (throttle_waits) depends on how
        // fast the proxy's loop turns: under TSan each turn refills it
        // enough for the next small read. The rate above is the check.
        WARN("figure: " << kBytes << " bytes downstream at a " << kRate << " B/s throttle in " << seconds
                        << " s (" << kBytes / seconds << " B/s)");
    }
    SECTION("upstream: an echo behind the proxy") {
        TargetServer echo(TargetServer::Mode::kEcho);
        FaultProxy proxy(echo.port());
        // Before connecting: a read posted before the throttle could take a
        // whole buffer unthrottled.
        proxy.throttle_for(60s, kRate, FaultProxy::Direction::kUpstream);
        Fd client(connect_to(proxy.port()));
        const auto bytes = pattern(kBytes, 6);
        const auto start = Clock::now();
        const auto back = echo_through(client.fd, bytes, 16 * 1024, 0us);
        const double seconds = seconds_since(start);
        CHECK(back == bytes);
        CHECK(seconds >= 0.8 * kBytes / kRate);
    }
}

TEST_CASE("fault proxy: a throttled proxy holds the sender back instead of buffering", "[fault_proxy]") {
    constexpr uint64_t kRate = 16 * 1024;
    TargetServer sink(TargetServer::Mode::kSink);
    FaultProxy proxy(sink.port());
    // Throttled before the connection exists, so no byte passes unthrottled
    // (a slow proxy loop, as under TSan, could read a whole buffer first).
    proxy.throttle_for(60s, kRate, FaultProxy::Direction::kUpstream);
    Fd client(connect_to(proxy.port()));
    const auto start = Clock::now();
    ::fcntl(client.fd, F_SETFL, ::fcntl(client.fd, F_GETFL) | O_NONBLOCK);
    // For 1.5 s the client writes as fast as the kernel takes bytes. With
    // back-pressure it takes the socket buffers (a few MiB on loopback) and
    // what the throttle lets by; a proxy that read without limit would take
    // hundreds of MiB.
    const auto chunk = pattern(256 * 1024, 7);
    uint64_t accepted = 0;
    while (Clock::now() - start < 1500ms) {
        const ssize_t w = ::send(client.fd, chunk.data(), chunk.size(), MSG_NOSIGNAL);
        if (w > 0) {
            accepted += static_cast<uint64_t>(w);
        } else {
            pollfd p{client.fd, POLLOUT, 0};
            ::poll(&p, 1, 10);
        }
    }
    const uint64_t received = sink.received();
    const double seconds = seconds_since(start);
    CHECK(accepted < 64ull * 1024 * 1024);
    // The sink never gets more than the rate allows plus one full bucket
    // (and a little for rounding).
    CHECK(received <= kRate * seconds * 1.02 + kRate / 20 + 1024);
    CHECK(received > 0);
    WARN("figure: throttled at " << kRate << " B/s for " << seconds << " s, the sender got " << accepted
                                 << " bytes into the kernel, the sink received " << received);
}

TEST_CASE("fault proxy: a throttle's window ends and the rest goes at full speed", "[fault_proxy]") {
    TargetServer echo(TargetServer::Mode::kEcho);
    FaultProxy proxy(echo.port());
    Fd client(connect_to(proxy.port()));
    proxy.throttle_for(200ms, 1024, FaultProxy::Direction::kBoth);
    std::this_thread::sleep_for(300ms);
    const auto waits = proxy.throttle_waits();
    const auto bytes = pattern(1024 * 1024, 8);
    CHECK(echo_through(client.fd, bytes, 64 * 1024, 0us) == bytes);
    CHECK(proxy.throttle_waits() == waits);
}

TEST_CASE("fault proxy: drops, partitions and the proxy's end stop delayed and throttled connections",
          "[fault_proxy]") {
    TargetServer echo(TargetServer::Mode::kEcho);
    const auto bytes = pattern(64 * 1024, 9);  // fits the loopback socket buffers: send_all returns
    auto ends = [](int fd) {
        std::vector<uint8_t> buf(64 * 1024);
        for (;;) {
            const ssize_t r = ::recv(fd, buf.data(), buf.size(), 0);
            if (r <= 0) {
                return r == 0 || errno == ECONNRESET;
            }
        }
    };

    SECTION("kill_all while chunks wait and the bucket is empty") {
        FaultProxy proxy(echo.port());
        Fd client(connect_to(proxy.port()));
        proxy.delay_for(60s, 500ms, 0ms, FaultProxy::Direction::kBoth);
        proxy.throttle_for(60s, 8 * 1024, FaultProxy::Direction::kBoth);
        REQUIRE(send_all(client.fd, bytes.data(), bytes.size()));
        std::this_thread::sleep_for(100ms);
        proxy.kill_all();
        CHECK(ends(client.fd));
        CHECK(proxy.kills() == 1);
        // The proxy still serves new connections (their chunks delayed).
        Fd again(connect_to(proxy.port()));
        CHECK(round_trip_seconds(again.fd) >= 0.9);
    }
    SECTION("a partition while chunks wait") {
        FaultProxy proxy(echo.port());
        Fd client(connect_to(proxy.port()));
        proxy.delay_for(60s, 500ms, 100ms, FaultProxy::Direction::kDownstream);
        REQUIRE(send_all(client.fd, bytes.data(), bytes.size()));
        std::this_thread::sleep_for(100ms);
        proxy.partition_for(200ms);
        CHECK(ends(client.fd));
        CHECK(proxy.kills() == 1);
    }
    SECTION("the proxy destroyed while chunks wait and reads are throttled") {
        int fd = -1;
        {
            FaultProxy proxy(echo.port());
            fd = connect_to(proxy.port());
            proxy.delay_for(60s, 2s, 0ms, FaultProxy::Direction::kBoth);
            proxy.throttle_for(60s, 4 * 1024, FaultProxy::Direction::kBoth);
            REQUIRE(send_all(fd, bytes.data(), bytes.size()));
            std::this_thread::sleep_for(100ms);
        }
        Fd client(fd);
        CHECK(ends(client.fd));
    }
}

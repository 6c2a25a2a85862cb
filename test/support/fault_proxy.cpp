#include "support/fault_proxy.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>

namespace ccdr::test {
namespace {

constexpr size_t kFrameHeader = 40;  // protocol/frame.hpp

bool write_all(int fd, const uint8_t* data, size_t n) {
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

}  // namespace

FaultProxy::FaultProxy(uint16_t target_port) : target_port_(target_port) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 || ::listen(listen_fd_, 16) != 0) {
        throw std::runtime_error("fault proxy: cannot listen");
    }
    socklen_t len = sizeof(addr);
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    acceptor_ = std::thread([this] { accept_loop(); });
}

FaultProxy::~FaultProxy() {
    stopping_ = true;
    released_ = true;
    ::shutdown(listen_fd_, SHUT_RDWR);
    ::close(listen_fd_);
    acceptor_.join();
    kill_all();
    std::vector<std::thread> pumps;
    {
        std::lock_guard lock(mu_);
        pumps.swap(pumps_);
    }
    for (auto& t : pumps) {
        t.join();
    }
}

void FaultProxy::kill_after(uint64_t after_bytes, int times) {
    std::lock_guard lock(mu_);
    kill_after_ = after_bytes;
    kills_left_ = times;
}

void FaultProxy::stall_after(uint64_t after_bytes) {
    std::lock_guard lock(mu_);
    stall_after_ = after_bytes;
    stall_armed_ = true;
    released_ = false;
}

void FaultProxy::release() { released_ = true; }

void FaultProxy::kill_all() { kill_generation_.fetch_add(1); }

void FaultProxy::partition_for(std::chrono::milliseconds duration) {
    const auto until = std::chrono::steady_clock::now() + duration;
    partition_until_ns_.store(
        std::chrono::duration_cast<std::chrono::nanoseconds>(until.time_since_epoch()).count());
    kill_all();
}

void FaultProxy::set_frame_hook(std::function<void(std::vector<uint8_t>&)> hook) {
    std::lock_guard lock(mu_);
    hook_ = std::move(hook);
}

void FaultProxy::accept_loop() {
    for (;;) {
        const int client = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
        if (client < 0) {
            if (stopping_) {
                return;
            }
            continue;
        }
        const int64_t now_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                                   std::chrono::steady_clock::now().time_since_epoch())
                                   .count();
        if (now_ns < partition_until_ns_.load()) {
            partition_refusals_.fetch_add(1);
            ::close(client);
            continue;
        }
        const int server = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        addr.sin_port = htons(target_port_);
        if (::connect(server, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
            ::close(client);
            ::close(server);
            continue;
        }
        int one = 1;
        ::setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        ::setsockopt(server, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        connections_.fetch_add(1);
        std::lock_guard lock(mu_);
        pumps_.emplace_back([this, client, server] { pump(client, server); });
    }
}

void FaultProxy::pump(int client, int server) {
    uint64_t kill_at = 0;
    uint64_t stall_at = 0;
    bool stall = false;
    std::function<void(std::vector<uint8_t>&)> hook;
    {
        std::lock_guard lock(mu_);
        if (kills_left_ > 0) {
            kill_at = kill_after_;
            --kills_left_;
        }
        if (stall_armed_) {
            stall_at = stall_after_;
            stall = true;
            stall_armed_ = false;
        }
        hook = hook_;
    }
    const uint64_t generation = kill_generation_.load();
    uint64_t downstream = 0;
    std::vector<uint8_t> pending;  // hook mode: downstream bytes not yet a whole frame
    std::vector<uint8_t> buf(64 * 1024);
    bool alive = true;
    auto cut = [&] {
        kills_.fetch_add(1);
        alive = false;
    };
    while (alive && !stopping_) {
        if (kill_generation_.load() != generation) {
            cut();
            break;
        }
        const bool hold = stall && downstream >= stall_at && !released_.load();
        stalled_ = hold;
        pollfd fds[2] = {{client, POLLIN, 0}, {server, static_cast<short>(hold ? 0 : POLLIN), 0}};
        if (::poll(fds, 2, 20) < 0) {
            break;
        }
        if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
            const ssize_t n = ::recv(client, buf.data(), buf.size(), 0);
            if (n <= 0 || !write_all(server, buf.data(), static_cast<size_t>(n))) {
                break;
            }
        }
        if (!hold && (fds[1].revents & (POLLIN | POLLHUP | POLLERR))) {
            size_t want = buf.size();
            if (kill_at > 0) {
                want = std::min<uint64_t>(want, kill_at - downstream);
            }
            if (stall && downstream < stall_at) {
                want = std::min<uint64_t>(want, stall_at - downstream);
            }
            const ssize_t n = ::recv(server, buf.data(), want, 0);
            if (n <= 0) {
                break;
            }
            downstream += static_cast<uint64_t>(n);
            downstream_total_.fetch_add(static_cast<uint64_t>(n));
            if (hook) {
                pending.insert(pending.end(), buf.begin(), buf.begin() + n);
                for (;;) {
                    if (pending.size() < kFrameHeader) {
                        break;
                    }
                    uint32_t wire = 0;
                    std::memcpy(&wire, pending.data() + 12, 4);
                    const size_t total = kFrameHeader + wire;
                    if (pending.size() < total) {
                        break;
                    }
                    std::vector<uint8_t> frame(pending.begin(), pending.begin() + static_cast<std::ptrdiff_t>(total));
                    pending.erase(pending.begin(), pending.begin() + static_cast<std::ptrdiff_t>(total));
                    hook(frame);
                    if (!write_all(client, frame.data(), frame.size())) {
                        alive = false;
                        break;
                    }
                }
            } else if (!write_all(client, buf.data(), static_cast<size_t>(n))) {
                break;
            }
            if (kill_at > 0 && downstream >= kill_at) {
                cut();
            }
        }
    }
    stalled_ = false;
    // An abrupt end: no FIN handshake, unread data discarded.
    linger hard{1, 0};
    ::setsockopt(client, SOL_SOCKET, SO_LINGER, &hard, sizeof(hard));
    ::setsockopt(server, SOL_SOCKET, SO_LINGER, &hard, sizeof(hard));
    ::close(client);
    ::close(server);
}

}  // namespace ccdr::test

// test/support/free_port.hpp: a free TCP port on 127.0.0.1 for a test to
// listen on. The port is bound (port 0) and released, so another process can
// still take it before the test binds it; within one process it is never
// given twice, because the kernel may hand a just-released port out again
// (two calls in a row returned the same port, about once in 150 replication
// worlds, before this rule).
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <mutex>
#include <set>
#include <stdexcept>

namespace ccdr::test {

inline uint16_t free_port() {
    static std::mutex mu;
    static std::set<uint16_t> given;
    std::lock_guard lock(mu);
    for (;;) {
        const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
            if (fd >= 0) {
                ::close(fd);
            }
            throw std::runtime_error("cannot bind a free port on 127.0.0.1");
        }
        socklen_t len = sizeof addr;
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
        ::close(fd);
        const uint16_t port = ntohs(addr.sin_port);
        if (given.insert(port).second) {
            return port;
        }
    }
}

}  // namespace ccdr::test

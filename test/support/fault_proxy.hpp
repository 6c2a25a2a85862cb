// test/support/fault_proxy.hpp: a TCP proxy on 127.0.0.1 that injects
// faults into replication connections: it kills connections after a number
// of bytes sent towards the replica (mid-frame), stalls them, or — on
// plaintext connections — rewrites whole frames through a hook. Threads are
// joined and sockets closed when it is destroyed.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace ccdr::test {

class FaultProxy {
public:
    // Forwards connections to 127.0.0.1:target_port.
    explicit FaultProxy(uint16_t target_port);
    ~FaultProxy();
    FaultProxy(const FaultProxy&) = delete;
    FaultProxy& operator=(const FaultProxy&) = delete;

    uint16_t port() const { return port_; }

    // Each of the next `times` connections is cut once it has carried
    // `after_bytes` bytes downstream (upstream -> replica).
    void kill_after(uint64_t after_bytes, int times);
    // The next connection stops forwarding downstream after `after_bytes`
    // bytes until release() (or kill_all()).
    void stall_after(uint64_t after_bytes);
    void release();
    bool stalled() const { return stalled_.load(); }
    // Cuts every open connection now.
    void kill_all();
    // A network partition: cuts every open connection and refuses new ones
    // (accepted, then closed at once) for `duration`.
    void partition_for(std::chrono::milliseconds duration);
    int refused_during_partition() const { return partition_refusals_.load(); }
    // Plaintext only: every complete downstream frame passes through `hook`,
    // which may change its bytes.
    void set_frame_hook(std::function<void(std::vector<uint8_t>& frame)> hook);

    int connections() const { return connections_.load(); }
    int kills() const { return kills_.load(); }
    uint64_t downstream_bytes() const { return downstream_total_.load(); }

private:
    void accept_loop();
    void pump(int client, int server);

    uint16_t target_port_;
    uint16_t port_ = 0;
    int listen_fd_ = -1;
    std::atomic<bool> stopping_{false};
    std::thread acceptor_;

    std::mutex mu_;
    std::vector<std::thread> pumps_;
    uint64_t kill_after_ = 0;
    int kills_left_ = 0;
    uint64_t stall_after_ = 0;
    bool stall_armed_ = false;
    std::function<void(std::vector<uint8_t>&)> hook_;

    std::atomic<bool> stalled_{false};
    std::atomic<bool> released_{false};
    std::atomic<uint64_t> kill_generation_{0};
    std::atomic<int> connections_{0};
    std::atomic<int> kills_{0};
    std::atomic<uint64_t> downstream_total_{0};
    std::atomic<int64_t> partition_until_ns_{0};  // steady_clock, 0: none
    std::atomic<int> partition_refusals_{0};
};

}  // namespace ccdr::test

// test/support/fault_proxy.hpp: a TCP proxy on 127.0.0.1 that injects
// faults into replication connections: it kills connections after a number
// of bytes sent towards the replica (mid-frame), stalls them, cuts a
// partition, delays or throttles a direction for a while, or — on plaintext
// connections — rewrites whole frames through a hook. One thread runs an
// Asio io_context for every connection; it is stopped and joined, and every
// socket closed, when the proxy is destroyed.
//
// Directions: downstream is upstream -> replica (the proxy's target to the
// client that connected to it: BATCH, snapshot chunks), upstream is replica
// -> upstream (requests, ACKs).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

namespace ccdr::test {

class FaultProxy {
public:
    enum class Direction { kUpstream, kDownstream, kBoth };

    // Forwards connections to 127.0.0.1:target_port.
    explicit FaultProxy(uint16_t target_port);
    ~FaultProxy();
    FaultProxy(const FaultProxy&) = delete;
    FaultProxy& operator=(const FaultProxy&) = delete;

    uint16_t port() const;

    // Each of the next `times` connections is cut once it has carried
    // `after_bytes` bytes downstream (upstream -> replica).
    void kill_after(uint64_t after_bytes, int times);
    // The next connection stops forwarding downstream after `after_bytes`
    // bytes until release() (or kill_all()).
    void stall_after(uint64_t after_bytes);
    void release();
    bool stalled() const;
    // Cuts every open connection now.
    void kill_all();
    // A network partition: cuts every open connection and refuses new ones
    // (accepted, then closed at once) for `duration`.
    void partition_for(std::chrono::milliseconds duration);
    int refused_during_partition() const;
    // Latency, for `duration` from now, on every connection (open or new):
    // each chunk read in `direction` is forwarded no earlier than its
    // arrival + `latency` ± `jitter` (uniform), in the order it arrived.
    // Chunks read after the window pass without delay, behind the delayed
    // ones. Reading pauses while 4 MiB wait in one direction.
    void delay_for(std::chrono::milliseconds duration, std::chrono::milliseconds latency,
                   std::chrono::milliseconds jitter, Direction direction);
    // A bandwidth limit, for `duration` from now, on every connection: each
    // direction of each connection reads at most `bytes_per_second` (a token
    // bucket holding 50 ms of traffic); while it is empty the proxy does not
    // read, so the sender is held back by TCP, not buffered by the proxy.
    void throttle_for(std::chrono::milliseconds duration, uint64_t bytes_per_second, Direction direction);
    // Plaintext only: every complete downstream frame passes through `hook`,
    // which may change its bytes.
    void set_frame_hook(std::function<void(std::vector<uint8_t>& frame)> hook);

    int connections() const;
    int kills() const;
    uint64_t downstream_bytes() const;
    // Chunks that were held back by a delay, and times a throttled direction
    // waited for its token bucket to refill.
    uint64_t delayed_chunks() const;
    uint64_t throttle_waits() const;

    struct State;  // fault_proxy_state.hpp

private:
    std::unique_ptr<State> state_;
};

}  // namespace ccdr::test

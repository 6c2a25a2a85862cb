// test/support/fault_proxy_state.hpp: the inside of FaultProxy — the
// io_context and its thread, the armed faults (set by the test's thread under
// a mutex, read by the io thread), the counters, and one ProxySession per
// connection with its two lanes (one per direction).
#pragma once

#include "support/fault_proxy.hpp"

#include <ccdr_asio.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <thread>
#include <vector>

namespace ccdr::test {

using ProxyClock = std::chrono::steady_clock;
using boost::asio::ip::tcp;

// Lane indexes: the direction a lane carries.
constexpr int kUpstreamLane = 0;    // client (replica) -> target (upstream)
constexpr int kDownstreamLane = 1;  // target (upstream) -> client (replica)

// The time-bound faults of one direction, as armed by delay_for/throttle_for.
struct LaneFaults {
    ProxyClock::time_point delay_until{};
    std::chrono::milliseconds latency{0};
    std::chrono::milliseconds jitter{0};
    ProxyClock::time_point throttle_until{};
    uint64_t bytes_per_second = 0;
    uint64_t throttle_generation = 0;  // a new throttle_for starts with full buckets
};

class ProxySession;

struct FaultProxy::State {
    explicit State(uint16_t target);

    void accept();
    // Closes every open connection (io thread only); `as_kills` counts them.
    void close_all(bool as_kills);
    LaneFaults faults_of(int lane);

    uint16_t target_port;
    uint16_t port = 0;  // the proxy's, set before the io thread starts
    boost::asio::io_context io;
    boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work;
    tcp::acceptor acceptor;
    std::thread runner;
    bool stopping = false;  // io thread only

    std::mutex mu;  // guards the armed faults below
    uint64_t kill_after = 0;
    int kills_left = 0;
    uint64_t stall_after = 0;
    bool stall_armed = false;
    std::function<void(std::vector<uint8_t>&)> hook;
    LaneFaults lanes[2];

    std::atomic<bool> stalled{false};
    std::atomic<bool> released{false};
    std::atomic<int> connections{0};
    std::atomic<int> kills{0};
    std::atomic<uint64_t> downstream_total{0};
    std::atomic<int64_t> partition_until_ns{0};  // steady_clock, 0: none
    std::atomic<int> partition_refusals{0};
    std::atomic<uint64_t> delayed_chunks{0};
    std::atomic<uint64_t> throttle_waits{0};

    // io thread only
    std::mt19937 jitter_rng{20261127};
    std::set<std::shared_ptr<ProxySession>> sessions;
};

// One proxied connection. Each lane reads from one socket into a FIFO of
// chunks stamped with the time they may leave, and writes them to the other
// socket in order: reading and writing run independently, so a delay is
// latency, not a bandwidth limit. Every handler holds the session alive and
// returns at once once it is closed.
class ProxySession : public std::enable_shared_from_this<ProxySession> {
public:
    ProxySession(FaultProxy::State& proxy, tcp::socket client);

    void connect();
    // Ends the connection abruptly (RST, unread and queued data discarded).
    void close(bool killed);
    // release(): a lane held by stall_after reads again.
    void release_stall();

private:
    struct Chunk {
        ProxyClock::time_point due;
        std::vector<uint8_t> bytes;
    };
    struct Lane {
        Lane(boost::asio::io_context& io, tcp::socket& from, tcp::socket& to, int index);
        tcp::socket& from;
        tcp::socket& to;
        int index;
        std::vector<uint8_t> buffer;
        std::deque<Chunk> queue;
        size_t queued_bytes = 0;
        bool reading = false;  // a read, or a wait for tokens, is in flight
        bool writing = false;  // a write, or a wait for the front chunk's time
        bool ended = false;    // nothing more is read: close once flushed
        bool kill_when_flushed = false;
        boost::asio::steady_timer due_timer;
        boost::asio::steady_timer token_timer;
        double tokens = 0;
        ProxyClock::time_point refilled{};
        uint64_t throttle_generation = 0;
    };

    void start();
    void read(Lane& lane);
    void on_read(Lane& lane, size_t n);
    void enqueue(Lane& lane, const uint8_t* data, size_t n);
    void write(Lane& lane);
    // How many bytes the lane may read now under a throttle (SIZE_MAX: no
    // throttle); 0 means it waits, and the timer is set.
    size_t throttle_allowance(Lane& lane);
    bool stall_holds() const;

    FaultProxy::State& proxy_;
    tcp::socket client_;
    tcp::socket server_;
    Lane up_;
    Lane down_;
    bool closed_ = false;
    bool connected_ = false;
    uint64_t downstream_ = 0;
    uint64_t kill_at_ = 0;
    uint64_t stall_at_ = 0;
    bool stall_ = false;
    bool stall_parked_ = false;
    std::function<void(std::vector<uint8_t>&)> hook_;
    std::vector<uint8_t> pending_;  // hook mode: downstream bytes not yet a whole frame
};

}  // namespace ccdr::test

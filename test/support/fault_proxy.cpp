#include "support/fault_proxy.hpp"

#include "support/fault_proxy_state.hpp"

#include <stdexcept>

namespace ccdr::test {
namespace {

int64_t steady_now_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(ProxyClock::now().time_since_epoch()).count();
}

std::vector<int> lanes_of(FaultProxy::Direction direction) {
    switch (direction) {
        case FaultProxy::Direction::kUpstream:
            return {kUpstreamLane};
        case FaultProxy::Direction::kDownstream:
            return {kDownstreamLane};
        case FaultProxy::Direction::kBoth:
            break;
    }
    return {kUpstreamLane, kDownstreamLane};
}

}  // namespace

FaultProxy::State::State(uint16_t target)
    : target_port(target), work(boost::asio::make_work_guard(io)), acceptor(io) {}

void FaultProxy::State::accept() {
    acceptor.async_accept([this](boost::system::error_code ec, tcp::socket client) {
        if (stopping) {
            return;
        }
        if (!ec) {
            if (steady_now_ns() < partition_until_ns.load()) {
                partition_refusals.fetch_add(1);
                boost::system::error_code ignored;
                client.close(ignored);
            } else {
                auto session = std::make_shared<ProxySession>(*this, std::move(client));
                sessions.insert(session);
                session->connect();
            }
        }
        accept();
    });
}

void FaultProxy::State::close_all(bool as_kills) {
    const auto open = sessions;  // close() removes from `sessions`
    for (const auto& session : open) {
        session->close(as_kills);
    }
}

LaneFaults FaultProxy::State::faults_of(int lane) {
    std::lock_guard lock(mu);
    return lanes[lane];
}

FaultProxy::FaultProxy(uint16_t target_port) : state_(std::make_unique<State>(target_port)) {
    boost::system::error_code ec;
    const tcp::endpoint loopback(boost::asio::ip::address_v4::loopback(), 0);
    state_->acceptor.open(loopback.protocol(), ec);
    if (!ec) {
        state_->acceptor.bind(loopback, ec);
    }
    if (!ec) {
        state_->acceptor.listen(16, ec);
    }
    if (ec) {
        throw std::runtime_error("fault proxy: cannot listen on 127.0.0.1: " + ec.message());
    }
    state_->port = state_->acceptor.local_endpoint().port();
    state_->accept();
    state_->runner = std::thread([s = state_.get()] { s->io.run(); });
}

FaultProxy::~FaultProxy() {
    // Everything is closed on the io thread; the pending handlers then end
    // (each sees its session closed) and run() returns for lack of work.
    boost::asio::post(state_->io, [s = state_.get()] {
        s->stopping = true;
        s->released = true;
        boost::system::error_code ignored;
        s->acceptor.close(ignored);
        s->close_all(false);
    });
    state_->work.reset();
    state_->runner.join();
}

uint16_t FaultProxy::port() const { return state_->port; }

void FaultProxy::kill_after(uint64_t after_bytes, int times) {
    std::lock_guard lock(state_->mu);
    state_->kill_after = after_bytes;
    state_->kills_left = times;
}

void FaultProxy::stall_after(uint64_t after_bytes) {
    std::lock_guard lock(state_->mu);
    state_->stall_after = after_bytes;
    state_->stall_armed = true;
    state_->released = false;
}

void FaultProxy::release() {
    state_->released = true;
    boost::asio::post(state_->io, [s = state_.get()] {
        const auto open = s->sessions;
        for (const auto& session : open) {
            session->release_stall();
        }
    });
}

bool FaultProxy::stalled() const { return state_->stalled.load(); }

void FaultProxy::kill_all() {
    boost::asio::post(state_->io, [s = state_.get()] { s->close_all(true); });
}

void FaultProxy::partition_for(std::chrono::milliseconds duration) {
    const auto until = ProxyClock::now() + duration;
    state_->partition_until_ns.store(
        std::chrono::duration_cast<std::chrono::nanoseconds>(until.time_since_epoch()).count());
    kill_all();
}

int FaultProxy::refused_during_partition() const { return state_->partition_refusals.load(); }

void FaultProxy::delay_for(std::chrono::milliseconds duration, std::chrono::milliseconds latency,
                           std::chrono::milliseconds jitter, Direction direction) {
    const auto until = ProxyClock::now() + duration;
    std::lock_guard lock(state_->mu);
    for (int lane : lanes_of(direction)) {
        state_->lanes[lane].delay_until = until;
        state_->lanes[lane].latency = latency;
        state_->lanes[lane].jitter = jitter;
    }
}

void FaultProxy::throttle_for(std::chrono::milliseconds duration, uint64_t bytes_per_second, Direction direction) {
    if (bytes_per_second == 0) {
        throw std::invalid_argument("fault proxy: a throttle needs at least 1 byte/s (a stall is stall_after)");
    }
    const auto until = ProxyClock::now() + duration;
    std::lock_guard lock(state_->mu);
    for (int lane : lanes_of(direction)) {
        state_->lanes[lane].throttle_until = until;
        state_->lanes[lane].bytes_per_second = bytes_per_second;
        ++state_->lanes[lane].throttle_generation;
    }
}

void FaultProxy::set_frame_hook(std::function<void(std::vector<uint8_t>&)> hook) {
    std::lock_guard lock(state_->mu);
    state_->hook = std::move(hook);
}

int FaultProxy::connections() const { return state_->connections.load(); }
int FaultProxy::kills() const { return state_->kills.load(); }
uint64_t FaultProxy::downstream_bytes() const { return state_->downstream_total.load(); }
uint64_t FaultProxy::delayed_chunks() const { return state_->delayed_chunks.load(); }
uint64_t FaultProxy::throttle_waits() const { return state_->throttle_waits.load(); }

}  // namespace ccdr::test

#include "support/fault_proxy_state.hpp"

#include <algorithm>
#include <cstdint>
#include <cstring>

namespace ccdr::test {
namespace {

constexpr size_t kFrameHeader = 40;  // protocol/frame.hpp
constexpr size_t kShortFramePrefix = 15;  // protocol/short_frame.hpp: the shortest header

// The size of the frame starting `bytes` (header and payload), or 0 when
// `bytes` does not hold enough of its header to say. A full frame has its
// wire length at offset 12; a short one (first byte's top bit set: protocol
// 6) has two LEB128 varints after its first byte, the second the wire
// length, then 12 bytes of checksums.
size_t frame_size(const std::vector<uint8_t>& bytes) {
    if (bytes.empty()) {
        return 0;
    }
    if ((bytes[0] & 0x80) == 0) {
        if (bytes.size() < kFrameHeader) {
            return 0;
        }
        uint32_t wire = 0;
        std::memcpy(&wire, bytes.data() + 12, 4);
        return kFrameHeader + wire;
    }
    if (bytes.size() < kShortFramePrefix) {
        return 0;
    }
    size_t at = 1;
    uint64_t value = 0;
    for (int varint = 0; varint < 2; ++varint) {
        value = 0;
        for (int shift = 0; at < bytes.size(); shift += 7) {
            const uint8_t b = bytes[at++];
            value |= static_cast<uint64_t>(b & 0x7f) << shift;
            if ((b & 0x80) == 0) {
                break;
            }
        }
    }
    return at + 12 + value;
}
constexpr size_t kReadSize = 64 * 1024;
// Bounds what a delayed direction holds: past it, reading waits for writes.
constexpr size_t kMaxQueuedBytes = 4 * 1024 * 1024;
// A throttle's bucket holds this much traffic: the largest burst it lets by.
constexpr double kBucketSeconds = 0.05;

}  // namespace

ProxySession::Lane::Lane(boost::asio::io_context& io, tcp::socket& from_socket, tcp::socket& to_socket,
                         int lane_index)
    : from(from_socket),
      to(to_socket),
      index(lane_index),
      buffer(kReadSize),
      due_timer(io),
      token_timer(io) {}

ProxySession::ProxySession(FaultProxy::State& proxy, tcp::socket client)
    : proxy_(proxy),
      client_(std::move(client)),
      server_(proxy.io),
      up_(proxy.io, client_, server_, kUpstreamLane),
      down_(proxy.io, server_, client_, kDownstreamLane) {}

void ProxySession::connect() {
    const tcp::endpoint target(boost::asio::ip::address_v4::loopback(), proxy_.target_port);
    server_.async_connect(target, [self = shared_from_this()](boost::system::error_code ec) {
        if (self->closed_) {
            return;
        }
        if (ec) {
            self->close(false);
            return;
        }
        self->start();
    });
}

void ProxySession::start() {
    connected_ = true;
    boost::system::error_code ignored;
    client_.set_option(tcp::no_delay(true), ignored);
    server_.set_option(tcp::no_delay(true), ignored);
    proxy_.connections.fetch_add(1);
    {
        std::lock_guard lock(proxy_.mu);
        if (proxy_.kills_left > 0) {
            kill_at_ = proxy_.kill_after;
            --proxy_.kills_left;
        }
        if (proxy_.stall_armed) {
            stall_at_ = proxy_.stall_after;
            stall_ = true;
            proxy_.stall_armed = false;
        }
        hook_ = proxy_.hook;
    }
    read(up_);
    read(down_);
}

void ProxySession::close(bool killed) {
    if (closed_) {
        return;
    }
    closed_ = true;
    if (killed && connected_) {
        proxy_.kills.fetch_add(1);
    }
    if (stall_parked_) {
        stall_parked_ = false;
        proxy_.stalled = false;
    }
    // Pending reads, writes and waits complete with operation_aborted and
    // return at the closed_ check; the queued chunks live as long as the
    // session, so an aborted write never points at freed bytes.
    for (Lane* lane : {&up_, &down_}) {
        lane->due_timer.cancel();
        lane->token_timer.cancel();
    }
    for (tcp::socket* socket : {&client_, &server_}) {
        boost::system::error_code ignored;
        if (socket->is_open()) {
            socket->set_option(boost::asio::socket_base::linger(true, 0), ignored);  // RST, as a crash would
            socket->close(ignored);
        }
    }
    proxy_.sessions.erase(shared_from_this());
}

void ProxySession::release_stall() {
    stall_ = false;
    if (closed_ || !stall_parked_) {
        return;
    }
    stall_parked_ = false;
    proxy_.stalled = false;
    read(down_);
}

bool ProxySession::stall_holds() const { return stall_ && downstream_ >= stall_at_; }

void ProxySession::read(Lane& lane) {
    if (closed_ || !connected_ || lane.reading || lane.ended) {
        return;
    }
    if (&lane == &down_) {
        if (stall_ && proxy_.released.load()) {
            stall_ = false;
        }
        if (stall_holds()) {
            stall_parked_ = true;  // release_stall() reads again
            proxy_.stalled = true;
            return;
        }
    }
    if (lane.queued_bytes >= kMaxQueuedBytes) {
        return;  // write() reads again as the queue drains
    }
    size_t want = lane.buffer.size();
    if (&lane == &down_) {
        if (kill_at_ > 0) {
            want = std::min<uint64_t>(want, kill_at_ - downstream_);
        }
        if (stall_ && downstream_ < stall_at_) {
            want = std::min<uint64_t>(want, stall_at_ - downstream_);
        }
    }
    const size_t allowance = throttle_allowance(lane);
    if (allowance == 0) {
        return;  // the token timer reads again
    }
    want = std::min(want, allowance);
    lane.reading = true;
    lane.from.async_read_some(boost::asio::buffer(lane.buffer.data(), want),
                              [self = shared_from_this(), &lane](boost::system::error_code ec, size_t n) {
                                  lane.reading = false;
                                  if (self->closed_) {
                                      return;
                                  }
                                  if (ec) {
                                      lane.ended = true;  // EOF or error: what was read still goes out
                                      self->write(lane);
                                      return;
                                  }
                                  self->on_read(lane, n);
                              });
}

size_t ProxySession::throttle_allowance(Lane& lane) {
    const LaneFaults faults = proxy_.faults_of(lane.index);
    const auto now = ProxyClock::now();
    if (faults.bytes_per_second == 0 || now >= faults.throttle_until) {
        return SIZE_MAX;
    }
    const double rate = static_cast<double>(faults.bytes_per_second);
    const double capacity = std::max(1.0, rate * kBucketSeconds);
    if (lane.throttle_generation != faults.throttle_generation) {
        lane.throttle_generation = faults.throttle_generation;
        lane.tokens = capacity;
    } else {
        const double elapsed = std::chrono::duration<double>(now - lane.refilled).count();
        lane.tokens = std::min(capacity, lane.tokens + rate * elapsed);
    }
    lane.refilled = now;
    if (lane.tokens >= 1.0) {
        return static_cast<size_t>(lane.tokens);
    }
    // Empty: wait for a millisecond's worth (at least a byte, at most the
    // bucket), so that a slow rate does not wake the proxy per byte.
    const double wanted = std::min(capacity, std::max(1.0, rate / 1000.0));
    const std::chrono::duration<double> wait((wanted - lane.tokens) / rate);
    proxy_.throttle_waits.fetch_add(1);
    lane.reading = true;
    lane.token_timer.expires_after(std::chrono::duration_cast<std::chrono::nanoseconds>(wait));
    lane.token_timer.async_wait([self = shared_from_this(), &lane](boost::system::error_code) {
        lane.reading = false;
        if (self->closed_) {
            return;
        }
        self->read(lane);
    });
    return 0;
}

void ProxySession::on_read(Lane& lane, size_t n) {
    lane.tokens = std::max(0.0, lane.tokens - static_cast<double>(n));
    if (&lane == &down_) {
        downstream_ += n;
        proxy_.downstream_total.fetch_add(n);
        if (hook_) {
            pending_.insert(pending_.end(), lane.buffer.begin(), lane.buffer.begin() + static_cast<std::ptrdiff_t>(n));
            for (;;) {
                const size_t total = frame_size(pending_);
                if (total == 0 || pending_.size() < total) {
                    break;
                }
                std::vector<uint8_t> frame(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(total));
                pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(total));
                hook_(frame);
                enqueue(lane, frame.data(), frame.size());
            }
        } else {
            enqueue(lane, lane.buffer.data(), n);
        }
        if (kill_at_ > 0 && downstream_ >= kill_at_) {
            lane.ended = true;  // cut once what was read before the mark is out
            lane.kill_when_flushed = true;
        }
    } else {
        enqueue(lane, lane.buffer.data(), n);
    }
    write(lane);
    read(lane);
}

void ProxySession::enqueue(Lane& lane, const uint8_t* data, size_t n) {
    if (n == 0) {
        return;
    }
    const auto now = ProxyClock::now();
    auto due = now;
    const LaneFaults faults = proxy_.faults_of(lane.index);
    if (now < faults.delay_until) {
        auto latency = std::chrono::duration_cast<std::chrono::microseconds>(faults.latency);
        if (faults.jitter.count() > 0) {
            const int64_t jitter_us = std::chrono::duration_cast<std::chrono::microseconds>(faults.jitter).count();
            std::uniform_int_distribution<int64_t> spread(-jitter_us, jitter_us);
            latency += std::chrono::microseconds(spread(proxy_.jitter_rng));
        }
        due = now + std::max(latency, std::chrono::microseconds(0));
        proxy_.delayed_chunks.fetch_add(1);
    }
    lane.queue.push_back({due, std::vector<uint8_t>(data, data + n)});
    lane.queued_bytes += n;
}

void ProxySession::write(Lane& lane) {
    if (closed_ || lane.writing) {
        return;
    }
    if (lane.queue.empty()) {
        if (lane.ended) {
            close(lane.kill_when_flushed);
        }
        return;
    }
    Chunk& front = lane.queue.front();
    lane.writing = true;
    if (front.due > ProxyClock::now()) {
        // Chunks behind the front wait with it: order is kept, so a chunk
        // may leave later than its own time, never earlier.
        lane.due_timer.expires_at(front.due);
        lane.due_timer.async_wait([self = shared_from_this(), &lane](boost::system::error_code) {
            lane.writing = false;
            if (self->closed_) {
                return;
            }
            self->write(lane);
        });
        return;
    }
    boost::asio::async_write(lane.to, boost::asio::buffer(front.bytes),
                             [self = shared_from_this(), &lane](boost::system::error_code ec, size_t) {
                                 lane.writing = false;
                                 if (self->closed_) {
                                     return;
                                 }
                                 if (ec) {
                                     self->close(false);
                                     return;
                                 }
                                 lane.queued_bytes -= lane.queue.front().bytes.size();
                                 lane.queue.pop_front();
                                 self->write(lane);
                                 self->read(lane);
                             });
}

}  // namespace ccdr::test

// plugin/replica/ack_spacing.hpp: when a replica's session sends its next
// ACK.
//
// Why spaced: an ACK per applied batch cost the upstream a read, a wake-up
// and a context switch per commit and stream, most of what a stream cost it
// at a few hundred commits a second (docs/benchmarks.md, upstream cost). So
// an ACK goes at most once per spacing, except:
// - the first after a quiet spell goes at once, so the upstream's pacer
//   still measures the round trip of a lone batch;
// - one goes at once when a quarter of the window arrived since the last,
//   so a full-speed catch-up never waits for the spacing to free the window;
// - a heartbeat's request is answered at once (the caller's ack_wanted).
// What an ACK reports is unchanged: the last applied tx, never more.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>

namespace ccdr::plugin {

class AckSpacing {
public:
    using Clock = std::chrono::steady_clock;
    static constexpr std::chrono::milliseconds kSpacing{20};

    // `heartbeat`: the interval the upstream's heartbeats come at (the
    // spacing is at most a quarter of it); `window_bytes`: the window of
    // unacknowledged bytes.
    AckSpacing(std::chrono::milliseconds heartbeat, uint64_t window_bytes, uint64_t wire_bytes_now)
        : spacing_(std::min(kSpacing, heartbeat / 4)), bytes_limit_(window_bytes / 4), wire_at_last_(wire_bytes_now) {}

    // With `applied` transactions applied, `acked` acknowledged and
    // `wire_bytes` received so far: nullopt when an ACK is due now,
    // otherwise how long to wait at most before asking again (the whole
    // `idle` wait when there is nothing new to acknowledge).
    std::optional<std::chrono::milliseconds> wait_before_ack(Clock::time_point now, uint64_t applied, uint64_t acked,
                                                             uint64_t wire_bytes, std::chrono::milliseconds idle) const {
        if (applied <= acked) {
            return idle;
        }
        const auto since = now - last_sent_;
        if (since >= spacing_ || wire_bytes - wire_at_last_ >= bytes_limit_) {
            return std::nullopt;
        }
        return std::chrono::ceil<std::chrono::milliseconds>(spacing_ - since);
    }

    // An ACK went at `now`, with `wire_bytes` received by then.
    void sent(Clock::time_point now, uint64_t wire_bytes) {
        last_sent_ = now;
        wire_at_last_ = wire_bytes;
    }

    std::chrono::milliseconds spacing() const { return spacing_; }

private:
    std::chrono::milliseconds spacing_;
    uint64_t bytes_limit_;
    Clock::time_point last_sent_{};
    uint64_t wire_at_last_;
};

}  // namespace ccdr::plugin

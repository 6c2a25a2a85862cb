// plugin/upstream/batch_pacer.hpp: how long a stream holds a batch that is not
// full before sending it, so that a long, lossy link carries fewer, larger
// frames.
//
// Why: one TCP stream carries every batch of a subscription in order. On a
// link with loss, each lost segment blocks everything behind it for about a
// round trip (until the retransmission arrives). At 500 commits a second sent
// one batch each, a 1 % loss blocks the stream every ~150 ms for ~80 ms on a
// cross-region link, and the replica's lag is mostly that waiting. Spacing the
// sends by a fraction of the round trip cuts the segments (and the losses)
// several times while adding at most that fraction to a commit's lag.
//
// The round trip is measured from batch sent to its ACK (which the replica
// sends once the batch is applied, so a sample also counts the apply): the
// minimum over the last two windows of kRttWindow follows a changing link and
// ignores the samples inflated by a busy applier. Below kLanRtt nothing is
// held: on a LAN one segment costs far less than any wait would.
#pragma once

#include <algorithm>
#include <chrono>

namespace ccdr::plugin {

class BatchPacer {
public:
    using Clock = std::chrono::steady_clock;
    using Duration = std::chrono::microseconds;

    static constexpr Duration kLanRtt{std::chrono::milliseconds(2)};
    static constexpr Duration kMaxHold{std::chrono::milliseconds(25)};
    static constexpr int kRttDivisor = 8;  // hold at most an eighth of the round trip
    static constexpr std::chrono::seconds kRttWindow{10};

    // A batch sent at `sent_at` was acknowledged at `now`.
    void on_ack(Clock::time_point sent_at, Clock::time_point now) {
        const auto sample = std::chrono::duration_cast<Duration>(now - sent_at);
        if (!have_window_ || now - window_start_ >= kRttWindow) {
            previous_min_ = have_window_ ? current_min_ : sample;
            current_min_ = sample;
            window_start_ = now;
            have_window_ = true;
            return;
        }
        current_min_ = std::min(current_min_, sample);
    }

    // A batch went out at `now`; `full` when it reached the batch size limit
    // (a backlog: the next one is sent at once).
    void on_sent(Clock::time_point now, bool full) {
        last_sent_ = now;
        last_full_ = full;
        have_sent_ = true;
    }

    // The smallest round trip seen in the last one to two windows; zero
    // before the first ACK.
    Duration min_rtt() const { return have_window_ ? std::min(previous_min_, current_min_) : Duration::zero(); }

    // How long to wait at `now` before reading the next batch: the spacing
    // (min_rtt / kRttDivisor, at most kMaxHold) not yet elapsed since the last
    // send; zero after a full batch, on a LAN, or before any measurement.
    Duration hold(Clock::time_point now) const {
        const Duration rtt = min_rtt();
        if (!have_sent_ || last_full_ || rtt < kLanRtt) {
            return Duration::zero();
        }
        const Duration spacing = std::min(rtt / kRttDivisor, kMaxHold);
        const auto since = std::chrono::duration_cast<Duration>(now - last_sent_);
        return since >= spacing ? Duration::zero() : spacing - since;
    }

private:
    Duration current_min_{};
    Duration previous_min_{};
    Clock::time_point window_start_{};
    bool have_window_ = false;
    Clock::time_point last_sent_{};
    bool last_full_ = false;
    bool have_sent_ = false;
};

}  // namespace ccdr::plugin

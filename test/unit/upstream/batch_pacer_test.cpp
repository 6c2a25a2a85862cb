// The pacer's spacing of small batches: a fraction of the measured round
// trip, nothing on a LAN or after a full batch, and a minimum that follows the
// link as it changes.
#include "upstream/batch_pacer.hpp"

#include <catch2/catch.hpp>

using ccdr::plugin::BatchPacer;
using namespace std::chrono_literals;
using Clock = BatchPacer::Clock;
using Us = BatchPacer::Duration;

namespace {

// Feeds one round trip of `rtt` ending at `now`.
void ack_after(BatchPacer& pacer, Clock::time_point now, Clock::duration rtt) { pacer.on_ack(now - rtt, now); }

}  // namespace

TEST_CASE("pacer: nothing is held before a round trip is measured", "[upstream][pacer]") {
    BatchPacer pacer;
    const auto t0 = Clock::now();
    CHECK(pacer.hold(t0) == Us::zero());
    pacer.on_sent(t0, false);
    CHECK(pacer.hold(t0) == Us::zero());
    CHECK(pacer.min_rtt() == Us::zero());
}

TEST_CASE("pacer: on a long link a small batch waits an eighth of the round trip since the last send",
          "[upstream][pacer]") {
    BatchPacer pacer;
    const auto t0 = Clock::now();
    ack_after(pacer, t0, 80ms);
    CHECK(pacer.min_rtt() == Us(80ms));
    pacer.on_sent(t0, false);
    CHECK(pacer.hold(t0) == Us(10ms));
    CHECK(pacer.hold(t0 + 4ms) == Us(6ms));
    CHECK(pacer.hold(t0 + 10ms) == Us::zero());
    CHECK(pacer.hold(t0 + 1s) == Us::zero());
}

TEST_CASE("pacer: a full batch (a backlog) is followed at once", "[upstream][pacer]") {
    BatchPacer pacer;
    const auto t0 = Clock::now();
    ack_after(pacer, t0, 80ms);
    pacer.on_sent(t0, true);
    CHECK(pacer.hold(t0) == Us::zero());
    pacer.on_sent(t0 + 1ms, false);
    CHECK(pacer.hold(t0 + 1ms) == Us(10ms));
}

TEST_CASE("pacer: the hold right after a small batch, by round trip: none on a LAN, capped at 25 ms",
          "[upstream][pacer]") {
    struct Row {
        Us rtt;
        Us hold;
    };
    const Row rows[] = {
        {1900us, Us::zero()},  // under 2 ms: a LAN
        {2ms, 250us},
        {16ms, 2ms},
        {200ms, 25ms},
        {600ms, 25ms},  // the cap
    };
    for (const Row& row : rows) {
        BatchPacer pacer;
        const auto t0 = Clock::now();
        ack_after(pacer, t0, row.rtt);
        pacer.on_sent(t0, false);
        INFO("round trip " << row.rtt.count() << " us");
        CHECK(pacer.hold(t0) == row.hold);
    }
}

TEST_CASE("pacer: the round trip is the minimum of the samples, it follows the link within two windows",
          "[upstream][pacer]") {
    BatchPacer pacer;
    const auto t0 = Clock::now();
    ack_after(pacer, t0, 80ms);
    ack_after(pacer, t0 + 1s, 300ms);  // an applier busy with a large batch
    CHECK(pacer.min_rtt() == Us(80ms));
    ack_after(pacer, t0 + 2s, 60ms);
    CHECK(pacer.min_rtt() == Us(60ms));

    // The link becomes slower: the old minimum counts until its window is
    // the previous one and then ends.
    ack_after(pacer, t0 + 11s, 160ms);  // second window starts
    CHECK(pacer.min_rtt() == Us(60ms));
    ack_after(pacer, t0 + 21s, 160ms);  // third window: the first is forgotten
    CHECK(pacer.min_rtt() == Us(160ms));
    pacer.on_sent(t0 + 21s, false);
    CHECK(pacer.hold(t0 + 21s) == Us(20ms));
}

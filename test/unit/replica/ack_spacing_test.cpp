// When a replica's session sends its next ACK (replica/ack_spacing.hpp): at
// once after a quiet spell, then at most once per spacing, at once when a
// quarter of the window arrived since the last, and never when nothing new
// was applied.
#include "replica/ack_spacing.hpp"

#include <catch2/catch.hpp>

using namespace ccdr::plugin;
using namespace std::chrono_literals;

TEST_CASE("ack spacing: the first ACK goes at once, the next waits for the rest of the spacing") {
    const auto t0 = AckSpacing::Clock::now();
    AckSpacing spacing(1000ms, 16u << 20, 0);
    REQUIRE(spacing.spacing() == 20ms);
    CHECK_FALSE(spacing.wait_before_ack(t0, 5, 0, 1000, 1000ms).has_value());
    spacing.sent(t0, 1000);
    // Two more batches applied 3 ms later: due 17 ms later, not now.
    const auto wait = spacing.wait_before_ack(t0 + 3ms, 7, 5, 1400, 1000ms);
    REQUIRE(wait.has_value());
    CHECK(*wait == 17ms);
    // At the end of the spacing it is due.
    CHECK_FALSE(spacing.wait_before_ack(t0 + 20ms, 7, 5, 1400, 1000ms).has_value());
}

TEST_CASE("ack spacing: nothing new applied waits the whole idle interval") {
    const auto t0 = AckSpacing::Clock::now();
    AckSpacing spacing(1000ms, 16u << 20, 0);
    spacing.sent(t0, 0);
    const auto wait = spacing.wait_before_ack(t0 + 500ms, 9, 9, 0, 1000ms);
    REQUIRE(wait.has_value());
    CHECK(*wait == 1000ms);
}

TEST_CASE("ack spacing: a quarter of the window received since the last ACK makes one due at once") {
    const auto t0 = AckSpacing::Clock::now();
    AckSpacing spacing(1000ms, 16u << 20, 100);
    spacing.sent(t0, 100);
    CHECK(spacing.wait_before_ack(t0 + 1ms, 50, 10, 100 + (4u << 20) - 1, 1000ms).has_value());
    CHECK_FALSE(spacing.wait_before_ack(t0 + 1ms, 50, 10, 100 + (4u << 20), 1000ms).has_value());
}

TEST_CASE("ack spacing: a short heartbeat interval shortens the spacing to a quarter of it") {
    AckSpacing spacing(40ms, 16u << 20, 0);
    CHECK(spacing.spacing() == 10ms);
}

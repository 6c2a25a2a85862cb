// What the replica says back during a stream (upstream/ack_reader.hpp): an
// ACK frees the window of the batches it covers, gives the pacer its round
// trip and records the replica's position; an ACK beyond what was sent, or
// another frame, ends the stream. The reader itself runs against a scripted
// replica on 127.0.0.1.
#include "session/exchange.hpp"
#include "support/plugin_loopback.hpp"
#include "upstream/ack_reader.hpp"

#include <catch2/catch.hpp>

#include <functional>

using ccdr::plugin::ReplicaLink;
using ccdr::plugin::SnapshotWindow;
using ccdr::plugin::SubscriptionWindow;
using ccdr::plugin::UpstreamStats;
using ccdr::test::MemoryHost;
using ccdr::test::PluginLoopback;
using Catch::Matchers::Contains;
using Clock = std::chrono::steady_clock;
namespace asio = boost::asio;
namespace protocol = ccdr::protocol;
namespace session = ccdr::session;
using namespace std::chrono_literals;

namespace {

double connected_replicas(const UpstreamStats& stats) {
    double n = -1;
    stats.collect([&](std::string_view name, ccdr_metric_type, double v) {
        if (name == "database.foo.ccdr.upstream.connected_replicas") {
            n = v;
        }
    });
    return n;
}

using Reader = std::function<asio::awaitable<void>(std::shared_ptr<ccdr::transport::Connection>,
                                                    std::shared_ptr<ccdr::runtime::AsyncSignal>)>;

// Runs `read` on a connection to the scripted replica of `loop`; the reason
// the connection was closed with.
std::string read_from(PluginLoopback& loop, Reader read) {
    auto strand = loop.runtime().make_strand();
    return loop.run<std::string>(strand, [&]() -> asio::awaitable<std::string> {
        auto connection = co_await loop.connect(strand);
        if (!connection) {
            co_return "connect failed: " + connection.status().message();
        }
        co_await read(*connection, std::make_shared<ccdr::runtime::AsyncSignal>(strand));
        co_return (*connection)->close_reason();
    });
}

}  // namespace

TEST_CASE("ack window: an ACK frees the batches it covers and times the newest of them", "[upstream][ack]") {
    UpstreamStats stats;
    std::shared_ptr<ReplicaLink> link;
    {
        SubscriptionWindow window;
        window.stats = &stats;
        window.link = link = stats.connect("foo", "cluster-b.b1.foo-replica");
        CHECK(connected_replicas(stats) == 1);
        const auto t0 = Clock::now();
        window.on_sent(10, 100, t0, false);
        window.on_sent(20, 200, t0 + 1ms, false);
        window.on_sent(30, 300, t0 + 2ms, true);
        CHECK(window.unacked_bytes == 600);
        CHECK(window.sent_last_tx == 30);
        CHECK(link->sent_tx == 30);

        // Tx 15 is applied: only the first batch is wholly covered.
        CHECK_FALSE(window.on_ack(15, t0 + 40ms));
        CHECK(window.unacked_bytes == 500);
        CHECK(window.inflight.size() == 2);
        CHECK(link->acked_tx == 15);
        CHECK(window.pacer.min_rtt() == 40ms);

        // Everything: the round trip is taken from batch 30 (sent at t0+2ms).
        CHECK_FALSE(window.on_ack(30, t0 + 50ms));
        CHECK(window.unacked_bytes == 0);
        CHECK(window.inflight.empty());
        CHECK(link->acked_tx == 30);
        CHECK(window.pacer.min_rtt() == 40ms);  // the minimum of 40 and 48
        CHECK(link->round_trip_us == 40'000);

        // An ACK of what was never sent is a protocol error and changes nothing.
        auto beyond = window.on_ack(31, t0 + 60ms);
        REQUIRE(beyond);
        CHECK(*beyond == "protocol error: ACK of tx 31 beyond the last sent tx 30");
        CHECK(link->acked_tx == 30);

        // An older ACK (reordered by nothing, but harmless) does not move the position back.
        CHECK_FALSE(window.on_ack(12, t0 + 70ms));
        CHECK(link->acked_tx == 30);
    }
    // The stream is over: the replica is no longer counted.
    CHECK(connected_replicas(stats) == 0);
}

TEST_CASE("ack reader: ACKs move the window, another frame ends the stream as a protocol error", "[upstream][ack]") {
    MemoryHost host("a1", {});
    // The replica: ACK 10, then a HEARTBEAT where only ACKs belong.
    PluginLoopback loop(host, [](std::shared_ptr<ccdr::transport::Connection> c) -> asio::awaitable<void> {
        protocol::Ack ack{10, std::nullopt};
        co_await session::send(*c, ack);
        protocol::Heartbeat beat{{10, 0, 0}};
        co_await session::send(*c, beat);
        co_await c->read_frame(5s);  // until the upstream side hangs up
    });
    UpstreamStats stats;
    auto window = std::make_shared<SubscriptionWindow>();
    window->stats = &stats;
    window->link = stats.connect("foo", "b.b1.r");
    window->on_sent(10, 1000, Clock::now(), false);
    auto reason = read_from(loop, [&](auto connection, auto signal) {
        return ccdr::plugin::read_acks(connection, window, signal, 5s);
    });
    CHECK(reason == "protocol error: HEARTBEAT during a subscription (expected ACK)");
    CHECK(window->reader_done);
    CHECK(window->unacked_bytes == 0);
    CHECK(window->link->acked_tx == 10);
}

TEST_CASE("snapshot ack reader: SNAPSHOT_ACKs move the copy's window, never past what was sent",
          "[upstream][ack]") {
    MemoryHost host("a1", {});
    PluginLoopback loop(host, [](std::shared_ptr<ccdr::transport::Connection> c) -> asio::awaitable<void> {
        protocol::SnapshotAck ok{7, 4096};
        co_await session::send(*c, ok);
        protocol::SnapshotAck beyond{7, 1 << 20};
        co_await session::send(*c, beyond);
        co_await c->read_frame(5s);
    });
    auto window = std::make_shared<SnapshotWindow>();
    window->sent_offset = 8192;
    auto reason = read_from(loop, [&](auto connection, auto signal) {
        return ccdr::plugin::read_snapshot_acks(connection, window, signal, 5s);
    });
    CHECK(reason == "protocol error during a store copy");
    CHECK(window->acked_offset == 4096);
    CHECK(window->reader_done);
}

TEST_CASE("send_batch: a batch is in the window before its write completes, so an ACK read first is not beyond it",
          "[upstream][ack]") {
    MemoryHost host("a1", {});
    // Declared before the loop: the reader coroutine may still run on the
    // loop's threads after the test's checks, until the loop stops them.
    UpstreamStats stats;
    auto window = std::make_shared<SubscriptionWindow>();
    window->stats = &stats;
    window->link = stats.connect("foo", "b.b1.r");
    // The replica ACKs tx 5 at once, then waits before it reads the batch:
    // the ACK reaches the upstream's reader while the batch's write is still
    // pending (32 MiB fill the socket buffers), the order a replica that
    // applies and ACKs before the upstream's strand resumes after the write
    // produces.
    PluginLoopback loop(host, [](std::shared_ptr<ccdr::transport::Connection> c) -> asio::awaitable<void> {
        protocol::Ack ack{5, std::nullopt};
        co_await session::send(*c, ack);
        asio::steady_timer wait(c->strand(), 300ms);
        co_await wait.async_wait(asio::use_awaitable);
        co_await c->read_frame(5s);  // the batch
        co_await c->read_frame(5s);  // until the upstream side hangs up
    });
    auto frame = protocol::encode_frame(protocol::MessageType::kBatch, std::vector<uint8_t>(32u << 20, 7), false,
                                        protocol::FrameLimits{});
    REQUIRE(frame);
    auto strand = loop.runtime().make_strand();
    const std::string outcome = loop.run<std::string>(strand, [&]() -> asio::awaitable<std::string> {
        auto connection = co_await loop.connect(strand);
        if (!connection) {
            co_return "connect failed: " + connection.status().message();
        }
        auto c = *connection;
        auto signal = std::make_shared<ccdr::runtime::AsyncSignal>(strand);
        loop.runtime().spawn(strand, [c, window, signal] { return ccdr::plugin::read_acks(c, window, signal, 5s); });
        const ccdr::Status sent = co_await ccdr::plugin::send_batch(*c, *window, *frame, 5, true, 0);
        const std::string out = sent ? "sent" : "not sent: " + c->close_reason();
        c->close("test over");
        co_return out;
    });
    CHECK(outcome == "sent");
    CHECK(window->link->acked_tx == 5);
    CHECK(window->sent_last_tx == 5);
    CHECK(window->unacked_bytes == 0);
}

TEST_CASE("snapshot ack reader: the replica's side ending closes the connection, so a sender at a full window ends",
          "[upstream][ack]") {
    MemoryHost host("a1", {});
    // The replica acknowledges 4 KiB and goes away (its server killed, say).
    PluginLoopback loop(host, [](std::shared_ptr<ccdr::transport::Connection> c) -> asio::awaitable<void> {
        protocol::SnapshotAck ok{7, 4096};
        co_await session::send(*c, ok);
    });
    auto window = std::make_shared<SnapshotWindow>();
    window->sent_offset = 16 << 20;
    auto reason = read_from(loop, [&](auto connection, auto signal) {
        return ccdr::plugin::read_snapshot_acks(connection, window, signal, 5s);
    });
    CHECK(reason == "the replica's side of the store copy ended");
    CHECK(window->acked_offset == 4096);
    CHECK(window->reader_done);
}

TEST_CASE("ack window: a puller's hold_tx (protocol 8) sets where its hold starts, each ACK anew",
          "[upstream][ack][log_hold]") {
    UpstreamStats stats;
    SubscriptionWindow window;
    window.stats = &stats;
    window.link = stats.connect("foo", "cluster-b.b1.foo-replica", {"cluster-b", "b1", "foo-replica", "", 5, {}});
    const auto t0 = Clock::now();
    window.on_sent(30, 100, t0, false);
    CHECK_FALSE(window.on_ack(30, t0 + 1ms, 12));
    auto live = stats.live_acks("foo");
    REQUIRE(live.size() == 1);
    CHECK(live[0].acked_tx == 30);
    CHECK(live[0].hold_position() == 12);
    // The next ACK without it: the followers caught up, held at the ACK.
    CHECK_FALSE(window.on_ack(30, t0 + 2ms));
    live = stats.live_acks("foo");
    REQUIRE(live.size() == 1);
    CHECK(live[0].hold_position() == 30);
}

// The replica member's puller (replica/puller.hpp) against an upstream
// scripted on 127.0.0.1: HELLO, DATABASE_INFO, SUBSCRIBE from the host's
// last applied tx + 1, verified batches applied and ACKed, heartbeats
// answered; another lineage, a broken hash chain and a replica ahead of its
// upstream are fatal, a refusal is retried.
#include "replica/puller.hpp"
#include "unit/replica/replica_fixture.hpp"

#include <catch2/catch.hpp>

#include <atomic>

using namespace ccdr;
using namespace ccdr::plugin;
using namespace ccdr::test;
using transport::Connection;
using namespace std::chrono_literals;
using Catch::Matchers::Contains;

namespace {

// An upstream with txs 1..last: answers SUBSCRIBE, sends the txs from the
// asked one in batches of 10 (chained from `seed_store_id`), then a
// HEARTBEAT, and records the ACKs until the replica hangs up.
struct ScriptedUpstream {
    std::atomic<uint64_t> last{25};
    std::string store_id = kStoreId;
    std::string seed_store_id = kStoreId;
    std::atomic<uint64_t> subscribed_from{0};
    std::atomic<uint64_t> acked{0};
    std::atomic<int> heartbeat_acks{0};

    asio::awaitable<void> serve(std::shared_ptr<Connection> c) {
        const uint64_t last = this->last;
        if (!co_await greet(*c, upstream_info(last, store_id))) {
            co_return;
        }
        auto subscribe = co_await session::receive<protocol::Subscribe>(*c, 5s);
        if (!subscribe || !subscribe->message) {
            co_return;
        }
        const uint64_t from = subscribe->message->from_tx;
        subscribed_from = from;
        protocol::Subscribed subscribed{from, {last, ccdr::test::tx_time(last), 0}};
        co_await session::send(*c, subscribed);
        const uint64_t seed = protocol::chain_seed(seed_store_id, 1, from);
        uint64_t chain_value = seed;  // the chain goes on across batches
        for (uint64_t first = from; first <= last; first += 10) {
            const uint64_t end = std::min(last, first + 9);
            auto payload = batch_payload(chain_value, first, end);
            auto decoded = protocol::decode_batch(payload);
            chain_value = decoded->chains.back();
            co_await c->write_payload(protocol::MessageType::kBatch, std::move(payload));
        }
        // Wait for the ACK of everything, then ask for one more with a heartbeat.
        while (acked < last) {
            auto ack = co_await session::receive<protocol::Ack>(*c, 5s);
            if (!ack || !ack->message) {
                co_return;
            }
            acked = ack->message->last_applied_tx;
        }
        protocol::Heartbeat beat{{last, ccdr::test::tx_time(last), 0}};
        co_await session::send(*c, beat);
        auto again = co_await session::receive<protocol::Ack>(*c, 5s);
        if (again && again->message && again->message->last_applied_tx == last) {
            ++heartbeat_acks;
        }
        // Hang up: the session ends with what it applied.
    }
};

// A puller with its applier and store copy, against `upstream`.
struct PullerWorld {
    ReplicaWorld w;
    Applier applier;
    DelaySpool delay_spool;
    DelayedApplier delayed;
    StoreCopy store_copy;
    Puller puller;

    explicit PullerWorld(ccdr::test::PluginLoopback::Script upstream)
        : w(std::move(upstream)),
          applier(w.loop.context().host, kReplica, w.member->stats, 1 << 20, ccdr::test::quiet_log(),
                  ccdr::plugin::applier_events(*w.member)),
          delay_spool(w.loop.context().delay_spool_root(), kReplica),
          delayed(w.loop.context().host, kReplica, delay_spool, w.member->stats, ccdr::test::quiet_log(),
                  ccdr::plugin::applier_events(*w.member)),
          store_copy(*w.member),
          puller(w.member, w.dialer, applier, delay_spool, delayed, store_copy) {
        applier.start();
        delayed.start();
    }
    explicit PullerWorld(ScriptedUpstream& upstream) : PullerWorld([&upstream](auto c) { return upstream.serve(c); }) {}
    ~PullerWorld() {
        applier.stop();
        delayed.stop();
    }

    PullResult attempt() {
        PullSource source;
        source.address = w.loop.address();
        return w.loop.run<PullResult>(w.member->strand, [&]() -> asio::awaitable<PullResult> {
            co_return co_await puller.attempt(source, w.setup());
        });
    }
};

}  // namespace

TEST_CASE("puller: subscribes from the last applied tx, applies verified batches, ACKs them and heartbeats",
          "[replica][puller]") {
    ScriptedUpstream upstream;
    PullerWorld p(upstream);
    PullResult result = p.attempt();
    CHECK(result.outcome == PullOutcome::kProgress);
    CHECK(upstream.subscribed_from == 1);
    CHECK(p.w.applied() == 25);
    CHECK(upstream.acked == 25);
    CHECK(upstream.heartbeat_acks == 1);
    CHECK(p.w.member->stats.batches == 3);
    CHECK(p.w.member->stats.upstream_last_tx == 25);
    CHECK(p.w.member->stats.lag_tx() == 0);
    CHECK_FALSE(p.w.member->stats.connected);
    CHECK(p.w.member->connection.address().empty());
    const auto view = p.w.member->state.view();
    CHECK(view.state == CCDR_REPLICA_STREAMING);
    CHECK(view.message == "pulling from " + p.w.loop.address());

    // The next session starts after what the host applied.
    upstream.last = 30;
    PullResult again = p.attempt();
    CHECK(again.outcome == PullOutcome::kProgress);
    CHECK(upstream.subscribed_from == 26);
    CHECK(p.w.applied() == 30);
}

TEST_CASE("puller: an upstream of another lineage is fatal, before anything is asked or applied",
          "[replica][puller]") {
    ScriptedUpstream upstream;
    upstream.store_id = "0ther0ther";
    PullerWorld p(upstream);
    PullResult result = p.attempt();
    CHECK(result.outcome == PullOutcome::kFatal);
    CHECK(result.reason == "lineage mismatch: this replica has store id " + std::string(kStoreId) +
                               " and epoch 1, 'foo' on " + p.w.loop.address() + " has store id 0ther0ther and epoch 1");
    CHECK(upstream.subscribed_from == 0);
    CHECK(p.w.applied() == 0);
}

TEST_CASE("puller: a batch that breaks the hash chain is fatal and never applied", "[replica][puller]") {
    ScriptedUpstream upstream;
    upstream.seed_store_id = "0ther0ther";  // the chain of another lineage
    PullerWorld p(upstream);
    PullResult result = p.attempt();
    CHECK(result.outcome == PullOutcome::kFatal);
    CHECK_THAT(result.reason, Contains("hash chain mismatch at tx 1") && Contains("from " + p.w.loop.address()));
    CHECK(p.w.applied() == 0);
}

TEST_CASE("puller: a refused HELLO is retried, a replica ahead of its upstream is fatal", "[replica][puller]") {
    SECTION("HELLO refused") {
        PullerWorld p([](std::shared_ptr<Connection> c) -> asio::awaitable<void> {
            co_await session::receive<protocol::Hello>(*c, 5s);
            protocol::Refused refused{protocol::RefusalCode::kProtocolVersion, "no common protocol version"};
            co_await session::send(*c, refused);
            co_await c->read_frame(5s);
        });
        PullResult result = p.attempt();
        CHECK(result.outcome == PullOutcome::kRetry);
        CHECK(result.reason == p.w.loop.address() + " refused: no common protocol version");
    }
    SECTION("ahead of the upstream") {
        PullerWorld p([](std::shared_ptr<Connection> c) -> asio::awaitable<void> {
            if (!co_await greet(*c, upstream_info(0))) {
                co_return;
            }
            co_await session::receive<protocol::Subscribe>(*c, 5s);
            protocol::Refused refused{protocol::RefusalCode::kAheadOfUpstream, "the replica has transactions"};
            co_await session::send(*c, refused);
            co_await c->read_frame(5s);
        });
        PullResult result = p.attempt();
        CHECK(result.outcome == PullOutcome::kFatal);
        CHECK(result.reason == p.w.loop.address() + " refused: the replica has transactions");
    }
}

TEST_CASE("puller: plugin versions in HELLO_OK: another minor is named, another major is fatal, a 0.1 upstream "
          "is explained",
          "[replica][puller][versions]") {
    // The upstream's HELLO_OK says `version`; the replica (0.2.0) compares.
    auto upstream_saying = [](std::string version) {
        return [version](std::shared_ptr<Connection> c) -> asio::awaitable<void> {
            auto hello = co_await session::receive<protocol::Hello>(*c, 5s);
            if (!hello || !hello->message || hello->message->plugin_version != kLoopbackPluginVersion) {
                co_return;  // the replica must say its own version
            }
            protocol::HelloOk ok{2, "cluster-a", "a1", version};
            co_await session::send(*c, ok);
            co_await c->read_frame(5s);
        };
    };
    SECTION("another major version: fatal, naming both") {
        PullerWorld p(upstream_saying("1.0.0"));
        PullResult result = p.attempt();
        CHECK(result.outcome == PullOutcome::kFatal);
        CHECK(result.reason == p.w.loop.address() +
                                   " refused: ccdr plugin versions differ: replica cluster runs 0.2.0, upstream "
                                   "cluster runs 1.0.0; both clusters must run the same major version");
    }
    SECTION("the upstream refuses with code 12: fatal") {
        PullerWorld p([](std::shared_ptr<Connection> c) -> asio::awaitable<void> {
            co_await session::receive<protocol::Hello>(*c, 5s);
            protocol::Refused refused{protocol::RefusalCode::kPluginVersion, "ccdr plugin versions differ: x"};
            co_await session::send(*c, refused);
            co_await c->read_frame(5s);
        });
        PullResult result = p.attempt();
        CHECK(result.outcome == PullOutcome::kFatal);
        CHECK(result.reason == p.w.loop.address() + " refused: ccdr plugin versions differ: x");
    }
    SECTION("an upstream of protocol 1 hangs up on HELLO: the reason says what that means") {
        PullerWorld p([](std::shared_ptr<Connection> c) -> asio::awaitable<void> {
            // What a 0.1 upstream does: its decoder refuses the trailing
            // plugin_version (layout_test shows it), and it closes without
            // an answer.
            co_await c->read_frame(5s);
            c->close("malformed HELLO");
        });
        PullResult result = p.attempt();
        CHECK(result.outcome == PullOutcome::kRetry);
        CHECK(result.reason == "reading a frame: " + p.w.loop.address() +
                                   " closed the connection after HELLO (an upstream running a ccdr plugin older than "
                                   "0.2 (protocol 1) cannot read this server's HELLO and closes the connection; this "
                                   "server runs 0.2.0)");
    }
}

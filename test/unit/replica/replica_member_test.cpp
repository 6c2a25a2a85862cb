// A replica member's state machine (replica/replica_member.hpp) against the
// in-memory host and an upstream scripted on 127.0.0.1: it streams and stops
// cleanly; it fails, with the reason, when it cannot replicate at all or its
// link is broken; it stops when its database is no longer a replica; it
// retries, backing off, while no upstream answers.
#include "replica/replica_member.hpp"
#include "support/free_port.hpp"
#include "unit/replica/replica_fixture.hpp"

#include <catch2/catch.hpp>

using namespace ccdr;
using namespace ccdr::plugin;
using namespace ccdr::test;
using transport::Connection;
using namespace std::chrono_literals;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;

namespace {

// An upstream with txs 1..10 that streams them and then stays connected,
// idle: a heartbeat 50 ms after each ACK (so the replica sees it has caught
// up), until the replica hangs up.
asio::awaitable<void> streaming_upstream(std::shared_ptr<Connection> c) {
    if (!co_await greet(*c, upstream_info(10))) {
        co_return;
    }
    auto subscribe = co_await session::receive<protocol::Subscribe>(*c, 5s);
    if (!subscribe || !subscribe->message || subscribe->message->from_tx != 1) {
        co_return;
    }
    protocol::Subscribed subscribed{1, {10, ccdr::test::tx_time(10), 0}};
    co_await session::send(*c, subscribed);
    co_await c->write_payload(protocol::MessageType::kBatch,
                              ccdr::test::batch_payload(protocol::chain_seed(kStoreId, 1, 1), 1, 10));
    asio::steady_timer pause(c->strand());
    for (;;) {
        auto ack = co_await session::receive<protocol::Ack>(*c, 5s);
        if (!ack || !ack->message) {
            co_return;  // the member stopped
        }
        pause.expires_after(50ms);
        boost::system::error_code ignored;
        co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
        protocol::Heartbeat beat{{10, ccdr::test::tx_time(10), 0}};
        if (!co_await session::send(*c, beat)) {
            co_return;
        }
    }
}

// A started member, stopped when the test leaves its scope, pass or fail
// (its coroutine keeps it alive until it is stopped).
class StartedMember {
public:
    explicit StartedMember(const UpstreamDialer& dialer) : member_(std::make_shared<ReplicaMember>(dialer, kReplica)) {
        member_->start();
    }
    StartedMember(const StartedMember&) = delete;
    StartedMember& operator=(const StartedMember&) = delete;
    ~StartedMember() { member_->stop(); }
    ReplicaMember* operator->() const { return member_.get(); }

private:
    std::shared_ptr<ReplicaMember> member_;
};

}  // namespace

TEST_CASE("member: streams from its upstream, then stops cleanly", "[replica][member]") {
    ReplicaWorld w(streaming_upstream);
    StartedMember member(w.dialer);
    const bool streaming = eventually([&] { return member->status().state == CCDR_REPLICA_STREAMING; });
    INFO("state " << member->status().state << ": " << member->status().message);
    REQUIRE(streaming);
    REQUIRE(eventually([&] { return w.applied() == 10; }));
    auto status = member->status();
    CHECK(status.message == "pulling from " + w.loop.address());
    CHECK(status.upstream_address == w.loop.address());
    CHECK(status.connected);
    CHECK(status.last_applied_tx == 10);
    CHECK(status.lag_tx == 0);
    ccdr_database_status shown{};
    member->describe(shown);
    CHECK(shown.state == CCDR_REPLICA_STREAMING);
    CHECK(shown.has_lag == 1);
    CHECK(std::string(shown.message) == "pulling from " + w.loop.address());

    member->stop();
    status = member->status();
    CHECK(status.state == CCDR_REPLICA_STOPPED);
    CHECK(status.message == "stopped");
    CHECK_FALSE(status.connected);
    CHECK(status.upstream_address.empty());
}

TEST_CASE("member: without TLS (and no plaintext allowed) it fails at once, saying why", "[replica][member]") {
    ReplicaWorld w(streaming_upstream);
    ccdr::transport::TransportSecurity off;
    off.disabled_reason = ccdr::transport::kTlsRequiredReason;
    UpstreamDialer dialer(w.loop.context(), off);
    StartedMember member(dialer);
    REQUIRE(eventually([&] { return member->status().state == CCDR_REPLICA_FAILED; }));
    CHECK_THAT(member->status().message, StartsWith("failed: replication requires TLS"));
    member->stop();
    CHECK(member->status().state == CCDR_REPLICA_FAILED);  // stop does not hide a failure
    CHECK(w.applied() == 0);
}

TEST_CASE("member: a replica whose link is missing fails, a database that is no longer a replica stops",
          "[replica][member]") {
    SECTION("no replicaConfig") {
        ReplicaWorld w(streaming_upstream, false);
        REQUIRE(w.host.create_database({kReplica, CCDR_KIND_REPLICA, 1, 0, kStoreId, 1, {}}));
        StartedMember member(w.dialer);
        REQUIRE(eventually([&] { return member->status().state == CCDR_REPLICA_FAILED; }));
        CHECK_THAT(member->status().message, StartsWith("failed: the database option replicaConfig is not set"));
        member->stop();
    }
    SECTION("promoted") {
        ReplicaWorld w(streaming_upstream, false);
        REQUIRE(w.host.create_database({kReplica, CCDR_KIND_STANDARD, 1, 0, kStoreId, 2, {}}));
        StartedMember member(w.dialer);
        REQUIRE(eventually([&] { return member->status().state == CCDR_REPLICA_STOPPED; }));
        CHECK(member->status().message == "promoted: the database is no longer a replica");
        member->stop();
        CHECK(member->status().message == "stopped");
    }
}

TEST_CASE("member: while no upstream answers it retries, backing off, and says why", "[replica][member]") {
    ReplicaWorld w(streaming_upstream, false);
    const std::string dead = "127.0.0.1:" + std::to_string(ccdr::test::free_port());
    REQUIRE(w.host.create_database({kReplica, CCDR_KIND_REPLICA, 1, 0, kStoreId, 1,
                                    ValueMap{{"replicaConfig", ReplicaWorld::replica_config(dead)}}}));
    StartedMember member(w.dialer);
    REQUIRE(eventually([&] { return member->status().state == CCDR_REPLICA_DISCONNECTED; }));
    CHECK_THAT(member->status().message,
               StartsWith("disconnected: cannot connect to " + dead) && Contains("; retrying in "));
    // The back-off (20 ms doubling to 100 ms here) brings more attempts.
    std::map<std::string, double> metrics;
    REQUIRE(eventually([&] {
        member->collect_metrics([&](std::string_view name, ccdr_metric_type, double v) {
            metrics[std::string(name)] = v;
        });
        return metrics["database.foo-replica.ccdr.replica.reconnects"] >= 3;
    }));
    CHECK(metrics["database.foo-replica.ccdr.replica.state"] == static_cast<double>(CCDR_REPLICA_DISCONNECTED));
    CHECK(metrics["database.foo-replica.ccdr.replica.connected"] == 0);
    member->stop();
    CHECK(member->status().state == CCDR_REPLICA_STOPPED);
}

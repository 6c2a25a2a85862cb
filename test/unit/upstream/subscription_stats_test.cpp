// What an upstream server says of its subscriptions (upstream_stats.hpp,
// for internal.dbms.showReplicaSubscriptions): each live link with its
// identity, acknowledged tx, lag in tx and seconds, bytes sent, and the
// store copies served to that replica member, counted across connections.
#include "upstream/ack_reader.hpp"
#include "upstream/upstream_stats.hpp"

#include <catch2/catch.hpp>

using ccdr::ServerInfo;
using ccdr::plugin::CommitPosition;
using ccdr::plugin::LinkIdentity;
using ccdr::plugin::subscription_lag;
using ccdr::plugin::SubscriptionWindow;
using ccdr::plugin::UpstreamStats;
using Clock = std::chrono::steady_clock;

namespace {

ServerInfo serving() {
    ServerInfo s;
    s.server_id = "a1";
    s.cluster_id = "cluster-a";
    s.cluster_address = "127.0.0.1:7001";
    return s;
}

LinkIdentity identity(std::string server, std::string replica_db, std::shared_ptr<CommitPosition> position) {
    return LinkIdentity{"cluster-b", std::move(server), std::move(replica_db), "127.0.0.1:40001", 1000,
                        std::move(position)};
}

}  // namespace

TEST_CASE("subscription lag: 0 when caught up, else from the oldest unacknowledged commit", "[upstream][subscriptions]") {
    CHECK(subscription_lag(10, 5000, 10, 0, 9000).tx == 0);
    CHECK(subscription_lag(10, 5000, 10, 0, 9000).seconds == 0.0);
    // Sent but not acknowledged: the oldest batch's first commit.
    auto sent = subscription_lag(12, 5000, 10, 4000, 9000);
    CHECK(sent.tx == 2);
    CHECK(sent.seconds == Approx(5.0));
    // Not sent yet: the last commit, a lower bound.
    auto unsent = subscription_lag(12, 5000, 10, 0, 9000);
    CHECK(unsent.seconds == Approx(4.0));
    // A clock that went back gives 0 s, never a negative lag.
    CHECK(subscription_lag(12, 5000, 10, 0, 4000).seconds == 0.0);
    // A replica ahead of the position read (a race): no lag.
    CHECK(subscription_lag(9, 5000, 10, 0, 9000).tx == 0);
}

TEST_CASE("subscriptions: identity, position, lag, bytes and store copies of each live link",
          "[upstream][subscriptions]") {
    UpstreamStats stats;
    auto position = std::make_shared<CommitPosition>();
    position->advance(30, 5000);

    SubscriptionWindow window;
    window.stats = &stats;
    window.link = stats.connect("foo", "cluster-b.b1.rep", identity("b1", "rep", position));
    window.link->acked_tx = 20;
    window.sent_last_tx = 20;
    const auto t0 = Clock::now();
    window.on_sent(25, 1000, t0, false, 4000);
    window.on_sent(30, 500, t0, false, 4500);

    auto other = stats.connect("bar", "cluster-b.b2.rep-bar", identity("b2", "rep-bar", nullptr));
    stats.add_store_copy("foo", "cluster-b", "b1", "rep");
    stats.add_store_copy("foo", "cluster-b", "b1", "rep");
    stats.add_store_copy("foo", "cluster-b", "b2", "rep");  // another member: not b1's

    auto rows = stats.subscriptions("", serving(), 10'000);
    REQUIRE(rows.size() == 2);
    const auto& bar = rows[0];
    const auto& foo = rows[1];
    CHECK(bar.upstream_database == "bar");
    CHECK(bar.store_copies_served == 0);
    CHECK(foo.upstream_database == "foo");
    CHECK(foo.upstream_server_id == "a1");
    CHECK(foo.upstream_address == "127.0.0.1:7001");
    CHECK(foo.replica_cluster_id == "cluster-b");
    CHECK(foo.replica_server_id == "b1");
    CHECK(foo.replica_database == "rep");
    CHECK(foo.remote_address == "127.0.0.1:40001");
    CHECK(foo.connected_since_ms == 1000);
    CHECK(foo.acknowledged_tx == 20);
    CHECK(foo.upstream_last_tx == 30);
    CHECK(foo.lag_tx == 10);
    CHECK(foo.lag_seconds == Approx(6.0));  // tx 21 (first of the oldest batch) committed at 4000
    CHECK(foo.bytes_sent == 1500);
    CHECK(foo.store_copies_served == 2);

    // The first batch acknowledged: the lag starts at the second.
    REQUIRE_FALSE(window.on_ack(25, t0 + std::chrono::milliseconds(5)));
    rows = stats.subscriptions("foo", serving(), 10'000);
    REQUIRE(rows.size() == 1);
    CHECK(rows[0].acknowledged_tx == 25);
    CHECK(rows[0].lag_tx == 5);
    CHECK(rows[0].lag_seconds == Approx(5.5));
    // Everything acknowledged: caught up.
    REQUIRE_FALSE(window.on_ack(30, t0 + std::chrono::milliseconds(6)));
    rows = stats.subscriptions("foo", serving(), 10'000);
    CHECK(rows[0].lag_tx == 0);
    CHECK(rows[0].lag_seconds == 0.0);
    CHECK(rows[0].bytes_sent == 1500);

    // A link that ended is gone; its store copies stay counted for the member.
    stats.disconnect(other);
    CHECK(stats.subscriptions("bar", serving(), 10'000).empty());
    CHECK(stats.subscriptions("baz", serving(), 10'000).empty());
    auto again = stats.connect("foo", "cluster-b.b1.rep", identity("b1", "rep", position));
    rows = stats.subscriptions("foo", serving(), 10'000);
    REQUIRE(rows.size() == 2);
    CHECK(rows[0].store_copies_served == 2);
    CHECK(rows[1].store_copies_served == 2);
    stats.disconnect(again);
}

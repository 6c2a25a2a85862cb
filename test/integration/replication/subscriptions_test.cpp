// internal.dbms.showReplicaSubscriptions between two MemoryHosts over mutual
// TLS: the upstream lists the replica member subscribed to it, with its
// identity, acknowledged tx, lag and bytes as the stream moves; a store copy
// served to it is counted; a server of the upstream's cluster that cannot
// answer is a row of its own. The plugin's hook and the host function go
// through the real ABI (MemoryHost's cluster_subscriptions calls the
// instance's list_subscriptions).
#include "support/replication_world.hpp"

#include <catch2/catch.hpp>

#include <chrono>

using namespace ccdr;
using namespace ccdr::test;

namespace {

const char* kShow = "internal.dbms.showReplicaSubscriptions";

// Column indexes of the procedure's rows.
enum Column : size_t {
    kUpstreamDatabase, kUpstreamServerId, kUpstreamAddress, kReplicaClusterId, kReplicaServerId, kReplicaDatabase,
    kRemoteAddress, kConnectedSince, kAcknowledgedTx, kUpstreamLastTx, kLagTx, kLagSeconds, kBytesSent,
    kStoreCopiesServed, kCatchUpWindowSeconds, kError, kColumns
};

int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// The rows once `done(rows)` holds (or the last rows seen).
template <class Done>
std::vector<ValueList> rows_when(MemoryHost& host, ValueList args, Done done) {
    std::vector<ValueList> rows;
    eventually([&] {
        auto r = host.call_procedure(kShow, args);
        REQUIRE(r);
        rows = std::move(r.value());
        return done(rows);
    });
    return rows;
}

}  // namespace

TEST_CASE("the upstream lists its subscribed replica member with position, lag and bytes", "[subscriptions]") {
    const int64_t started = now_ms();
    ReplicationWorld w;
    w.create_replica();
    w.commit(1, 100, 300);
    REQUIRE(w.replica->wait_for_tx("foo-replica", 100, 60'000));

    auto rows = rows_when(*w.upstream, {}, [](const auto& r) {
        return r.size() == 1 && r[0][kAcknowledgedTx] == Value(int64_t{100});
    });
    REQUIRE(rows.size() == 1);
    const ValueList& row = rows[0];
    REQUIRE(row.size() == kColumns);
    CHECK(row[kUpstreamDatabase] == Value("foo"));
    CHECK(row[kUpstreamServerId] == Value("upstream"));
    CHECK(row[kUpstreamAddress] == Value(w.upstream_address()));
    CHECK(row[kReplicaClusterId] == Value("memory-cluster-replica"));
    CHECK(row[kReplicaServerId] == Value("replica"));
    CHECK(row[kReplicaDatabase] == Value("foo-replica"));
    CHECK_THAT(row[kRemoteAddress].as_string(), Catch::StartsWith("127.0.0.1:"));
    CHECK(row[kConnectedSince].as_int() >= started);
    CHECK(row[kConnectedSince].as_int() <= now_ms());
    CHECK(row[kUpstreamLastTx] == Value(int64_t{100}));
    CHECK(row[kLagTx] == Value(int64_t{0}));
    CHECK(row[kLagSeconds] == Value(0.0));
    CHECK(row[kBytesSent].as_int() > 100 * 300 / 4);  // compressed, but sent
    CHECK(row[kStoreCopiesServed] == Value(int64_t{0}));
    CHECK(row[kCatchUpWindowSeconds].is_null());  // this host never asked log_hold: nothing held
    CHECK(row[kError].is_null());
    // The replica's own metric of what it received agrees it is the same stream.
    CHECK(metrics_of(*w.upstream)["database.foo.ccdr.upstream.connected_replicas"] == 1);

    SECTION("more commits: acknowledged follows, bytes grow, same connection") {
        w.commit(101, 100, 300);
        REQUIRE(w.replica->wait_for_tx("foo-replica", 200, 60'000));
        auto after = rows_when(*w.upstream, {}, [](const auto& r) {
            return r.size() == 1 && r[0][kAcknowledgedTx] == Value(int64_t{200});
        });
        REQUIRE(after.size() == 1);
        CHECK(after[0][kUpstreamLastTx] == Value(int64_t{200}));
        CHECK(after[0][kLagTx] == Value(int64_t{0}));
        CHECK(after[0][kBytesSent].as_int() > row[kBytesSent].as_int());
        CHECK(after[0][kConnectedSince] == row[kConnectedSince]);
    }
    SECTION("one database: its rows; another or a missing one: none") {
        auto foo = w.upstream->call_procedure(kShow, {Value("FOO")});
        REQUIRE(foo);
        CHECK(foo->size() == 1);
        auto other = w.upstream->call_procedure(kShow, {Value("bar")});
        REQUIRE(other);
        CHECK(other->empty());
        // The replica's cluster serves no subscription.
        auto replica_side = w.replica->call_procedure(kShow, {});
        REQUIRE(replica_side);
        CHECK(replica_side->empty());
    }
    SECTION("a server of the cluster that cannot answer is a row saying so") {
        w.upstream->set_unanswering_servers({{"upstream-2", "server upstream-2 is unreachable"}});
        auto with_gap = w.upstream->call_procedure(kShow, {});
        REQUIRE(with_gap);
        REQUIRE(with_gap->size() == 2);
        CHECK((*with_gap)[0][kReplicaDatabase] == Value("foo-replica"));
        CHECK((*with_gap)[1][kUpstreamServerId] == Value("upstream-2"));
        CHECK((*with_gap)[1][kReplicaDatabase].is_null());
        CHECK((*with_gap)[1][kError] ==
              Value("server upstream-2 could not list its subscriptions: server upstream-2 is unreachable"));
    }
    SECTION("the replica gone: its row is gone") {
        w.replica.reset();
        rows_when(*w.upstream, {}, [](const auto& r) { return r.empty(); });
        auto none = w.upstream->call_procedure(kShow, {});
        REQUIRE(none);
        CHECK(none->empty());
    }
}

TEST_CASE("a store copy served to a replica member is counted in its row", "[subscriptions][store-copy]") {
    ReplicationWorld w;
    const uint64_t n = 300;
    w.commit(1, n, 200);
    w.upstream->prune_log("foo", n + 1);  // the replica will need tx 1: gone
    w.create_replica();
    REQUIRE(w.replica->wait_for_tx("foo-replica", n, 60'000));
    w.commit(n + 1, 10, 200);
    REQUIRE(w.replica->wait_for_tx("foo-replica", n + 10, 60'000));
    auto rows = rows_when(*w.upstream, {Value("foo")}, [&](const auto& r) {
        return r.size() == 1 && r[0][kAcknowledgedTx] == Value(static_cast<int64_t>(n + 10));
    });
    REQUIRE(rows.size() == 1);
    CHECK(rows[0][kStoreCopiesServed] == Value(int64_t{1}));
    CHECK(rows[0][kLagTx] == Value(int64_t{0}));
}

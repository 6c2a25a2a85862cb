// internal.dbms.showReplicaSubscriptions (procedures/subscriptions_procedure.hpp):
// the rows built from what the host gathered (order, a server that could not
// answer), the argument checks, and an older host's refusal, against the
// in-memory host with no plugin instance attached.
#include "procedures/subscriptions_procedure.hpp"
#include "support/memory_host.hpp"

#include <ccdr/host_adapter.hpp>

#include <catch2/catch.hpp>

#include <cstddef>

using ccdr::ClusterSubscriptions;
using ccdr::ServerFailure;
using ccdr::SubscriptionInfo;
using ccdr::Value;
using ccdr::ValueList;
using ccdr::plugin::subscription_row_values;
using ccdr::plugin::subscription_rows;
using ccdr::plugin::SubscriptionsProcedure;
using ccdr::test::MemoryHost;
using Catch::Matchers::Contains;

namespace {

SubscriptionInfo sub(std::string db, std::string server, std::string replica_server, std::string replica_db) {
    SubscriptionInfo s;
    s.upstream_database = std::move(db);
    s.upstream_server_id = std::move(server);
    s.upstream_address = "127.0.0.1:7001";
    s.replica_cluster_id = "cluster-b";
    s.replica_server_id = std::move(replica_server);
    s.replica_database = std::move(replica_db);
    s.remote_address = "127.0.0.1:40000";
    s.connected_since_ms = 1'700'000'000'000;
    s.acknowledged_tx = 40;
    s.upstream_last_tx = 42;
    s.lag_tx = 2;
    s.lag_seconds = 1.5;
    s.bytes_sent = 9000;
    s.store_copies_served = 1;
    return s;
}

const char* kName = "internal.dbms.showReplicaSubscriptions";

struct Fixture {
    MemoryHost host{"a1", {}};
    ccdr_host_api vtable = *ccdr::host_api();
    std::unique_ptr<SubscriptionsProcedure> procedure;

    // `struct_size`: the host vtable's size as the procedure sees it.
    explicit Fixture(size_t struct_size = sizeof(ccdr_host_api), uint16_t minor = CCDR_ABI_VERSION_MINOR) {
        vtable.hdr.struct_size = static_cast<uint32_t>(struct_size);
        vtable.hdr.minor = minor;
        procedure = std::make_unique<SubscriptionsProcedure>(ccdr::HostHandle(&vtable, host.ctx()));
        REQUIRE(procedure->register_with_host());
    }
};

}  // namespace

TEST_CASE("subscription rows: ordered subscriptions, then one row per server that could not answer",
          "[procedures][subscriptions]") {
    ClusterSubscriptions gathered;
    gathered.subscriptions = {sub("foo", "a2", "b1", "rep-b"), sub("bar", "a1", "b2", "rep-x"),
                              sub("foo", "a1", "b2", "rep-a"), sub("foo", "a1", "b1", "rep-a")};
    gathered.failures = {ServerFailure{"a3", CCDR_DATABASE_UNAVAILABLE, "server a3 is down"},
                         ServerFailure{"a0", CCDR_UNSUPPORTED, ""}};
    const auto rows = subscription_rows(gathered);
    REQUIRE(rows.size() == 6);
    auto key = [](const ccdr::plugin::SubscriptionRow& r) {
        return r.subscription ? r.subscription->upstream_database + "/" + r.subscription->upstream_server_id + "/" +
                                    r.subscription->replica_server_id + "/" + r.subscription->replica_database
                              : "failed " + r.server_id;
    };
    CHECK(key(rows[0]) == "bar/a1/b2/rep-x");
    CHECK(key(rows[1]) == "foo/a1/b1/rep-a");
    CHECK(key(rows[2]) == "foo/a1/b2/rep-a");
    CHECK(key(rows[3]) == "foo/a2/b1/rep-b");
    CHECK(key(rows[4]) == "failed a0");
    CHECK(key(rows[5]) == "failed a3");

    const auto values = subscription_row_values(rows[1]);
    CHECK(values[0] == Value("foo"));
    CHECK(values[1] == Value("a1"));
    CHECK(values[2] == Value("127.0.0.1:7001"));
    CHECK(values[3] == Value("cluster-b"));
    CHECK(values[4] == Value("b1"));
    CHECK(values[5] == Value("rep-a"));
    CHECK(values[6] == Value("127.0.0.1:40000"));
    CHECK(values[7] == Value(int64_t{1'700'000'000'000}));
    CHECK(values[8] == Value(int64_t{40}));
    CHECK(values[9] == Value(int64_t{42}));
    CHECK(values[10] == Value(int64_t{2}));
    CHECK(values[11] == Value(1.5));
    CHECK(values[12] == Value(int64_t{9000}));
    CHECK(values[13] == Value(int64_t{1}));
    CHECK(values[14].is_null());  // no log held for it
    CHECK(values[15].is_null());

    // A failed server: its id and why, every other column NULL.
    const auto failed = subscription_row_values(rows[5]);
    CHECK(failed[1] == Value("a3"));
    CHECK(failed[15] == Value("server a3 could not list its subscriptions: server a3 is down"));
    for (size_t i : {0, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14}) {
        CHECK(failed[i].is_null());
    }
    // No message: the status's Neo4j code says what happened.
    CHECK_THAT(subscription_row_values(rows[4])[15].as_string(),
               Contains("server a0 could not list its subscriptions: status ") &&
                   Contains("(Neo.ClientError.Request.Invalid)"));
}

TEST_CASE("showReplicaSubscriptions: a server of the cluster that cannot answer is a row, not a gap",
          "[procedures][subscriptions]") {
    Fixture f;
    f.host.set_unanswering_servers({{"a2", "server a2 is unreachable"}});
    auto rows = f.host.call_procedure(kName, {});
    REQUIRE(rows);
    // No plugin instance on a1 either: both servers are named.
    REQUIRE(rows->size() == 2);
    CHECK((*rows)[0][1] == Value("a1"));
    CHECK_THAT((*rows)[0][15].as_string(), Contains("no plugin is attached to a1"));
    CHECK((*rows)[1][1] == Value("a2"));
    CHECK((*rows)[1][15] == Value("server a2 could not list its subscriptions: server a2 is unreachable"));
}

TEST_CASE("showReplicaSubscriptions refuses bad arguments with the reason", "[procedures][subscriptions]") {
    Fixture f;
    auto number = f.host.call_procedure(kName, ValueList{int64_t{42}});
    REQUIRE_FALSE(number);
    CHECK(number.status().code() == CCDR_PROCEDURE_CALL_FAILED);
    CHECK_THAT(number.status().message(), Contains("Type mismatch for argument 'databaseName'"));
    auto two = f.host.call_procedure(kName, ValueList{"foo", "bar"});
    REQUIRE_FALSE(two);
    CHECK(two.status().code() == CCDR_PROCEDURE_CALL_FAILED);
    CHECK_THAT(two.status().message(), Contains("got 2"));
    auto bad = f.host.call_procedure(kName, ValueList{"bad name!"});
    REQUIRE_FALSE(bad);
    CHECK(bad.status().code() == CCDR_PROCEDURE_CALL_FAILED);
    CHECK_THAT(bad.status().message(), Contains("bad name!"));
    // Not an admin: refused by the host.
    auto user = f.host.call_procedure(kName, {}, false);
    REQUIRE_FALSE(user);
    // NULL is every database, like no argument.
    f.host.set_unanswering_servers({{"a2", "down"}});
    auto null_arg = f.host.call_procedure(kName, ValueList{Value()});
    REQUIRE(null_arg);
    CHECK(null_arg->size() == 2);
}

TEST_CASE("showReplicaSubscriptions in a host without cluster_subscriptions: unsupported, naming the versions",
          "[procedures][subscriptions]") {
    Fixture f(offsetof(ccdr_host_api, content_fingerprint) + sizeof(void*), 1);
    auto r = f.host.call_procedure(kName, {});
    REQUIRE_FALSE(r);
    CHECK(r.status().code() == CCDR_UNSUPPORTED);
    CHECK(r.status().message() ==
          "cannot show the replica subscriptions: the host provides ccdr ABI 1.1; listing the replica subscriptions "
          "of the cluster needs 1.2 with cluster_subscriptions");

    Fixture g(offsetof(ccdr_host_api, list_users) + sizeof(void*), 2);
    auto r2 = g.host.call_procedure(kName, {});
    REQUIRE_FALSE(r2);
    CHECK(r2.status().code() == CCDR_UNSUPPORTED);
    CHECK_THAT(r2.status().message(), Contains("the host provides ccdr ABI 1.2 without cluster_subscriptions"));
}

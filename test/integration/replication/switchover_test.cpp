// internal.dbms.switchoverReplicaDatabase between two MemoryHosts over mutual
// TLS, through the real ABI: the upstream is fenced, the replica catches up
// and is promoted, the upstream becomes its replica and pulls what the new
// writer commits. And each way it can fail: the upstream refuses the fence
// (ccdr.upstream.remote_fencing=false), the promotion fails (undone: the
// upstream is writable again), the demotion fails (the upstream stays
// fenced and the row says how to finish), a member that is not online.
#include "support/replication_world.hpp"

#include <catch2/catch.hpp>

using namespace ccdr;
using namespace ccdr::test;
using Catch::Matchers::Contains;

namespace {

const char* kSwitchover = "internal.dbms.switchoverReplicaDatabase";

// Column indexes of the procedure's row.
enum Column : size_t {
    kDatabase, kEpoch, kSwitchedAtTx, kUpstreamDatabase, kUpstreamAddress, kUpstreamIsReplica, kWritesRefusedMs,
    kMessage, kColumns
};

void caught_up(ReplicationWorld& w, uint64_t n) {
    w.create_replica();
    w.commit(1, n, 200);
    REQUIRE(w.replica->wait_for_tx("foo-replica", n, 60'000));
}

}  // namespace

TEST_CASE("switchover: the replica becomes the writer and the upstream its replica, at the next tx", "[switchover]") {
    ReplicationWorld w;
    caught_up(w, 40);
    auto rows = w.replica->call_procedure(kSwitchover, {Value("foo-replica"), Value(ValueMap{{"timeout", Value("10s")}})});
    REQUIRE(rows);
    REQUIRE(rows->size() == 1);
    const ValueList& row = (*rows)[0];
    REQUIRE(row.size() == kColumns);
    CHECK(row[kDatabase] == Value("foo-replica"));
    CHECK(row[kEpoch] == Value(int64_t{2}));
    CHECK(row[kSwitchedAtTx] == Value(int64_t{40}));
    CHECK(row[kUpstreamIsReplica] == Value(true));

    auto promoted = w.replica->member("foo-replica");
    REQUIRE(promoted);
    CHECK(promoted->kind == CCDR_KIND_STANDARD);
    CHECK(promoted->epoch == 2);
    auto demoted = w.upstream->member("foo");
    REQUIRE(demoted);
    CHECK(demoted->kind == CCDR_KIND_REPLICA);
    CHECK(demoted->epoch == 2);
    CHECK_FALSE(demoted->read_only);  // the fence is lifted: a replica is read-only anyway
    CHECK(w.upstream->replicas_made() == 1);

    // The new writer commits; the former upstream pulls it from tx 41, no copy.
    for (uint64_t i = 41; i <= 45; ++i) {
        auto id = w.replica->commit("foo-replica", payload_for(i, 100));
        REQUIRE(id);
        CHECK(*id == i);
    }
    REQUIRE(w.upstream->wait_for_tx("foo", 45, 60'000));
    CHECK(w.upstream->member("foo")->content.size() == 45);
}

TEST_CASE("switchover refused by the upstream (remote fencing off): nothing changes", "[switchover]") {
    ReplicationWorld w(WorldOptions{true, {{"ccdr.upstream.remote_fencing", "false"}}, {}});
    caught_up(w, 5);
    auto r = w.replica->call_procedure(kSwitchover, {Value("foo-replica")});
    REQUIRE_FALSE(r);
    CHECK_THAT(r.status().message(), Contains("step 1 (fence the upstream 'foo'"));
    CHECK_THAT(r.status().message(), Contains("ccdr.upstream.remote_fencing=false"));
    CHECK(w.replica->member("foo-replica")->kind == CCDR_KIND_REPLICA);
    CHECK(w.upstream->member("foo")->kind == CCDR_KIND_STANDARD);
    CHECK_FALSE(w.upstream->member("foo")->read_only);
    REQUIRE(w.upstream->commit("foo", payload_for(6, 100)));
}

TEST_CASE("switchover whose promotion fails is undone: the upstream is writable again", "[switchover]") {
    ReplicationWorld w;
    caught_up(w, 5);
    w.replica->fail_next_promotion();
    auto r = w.replica->call_procedure(kSwitchover, {Value("foo-replica")});
    REQUIRE_FALSE(r);
    CHECK_THAT(r.status().message(), Contains("step 3 (promote 'foo-replica')"));
    CHECK_THAT(r.status().message(), Contains("writable again"));
    CHECK(w.replica->member("foo-replica")->kind == CCDR_KIND_REPLICA);
    CHECK_FALSE(w.upstream->member("foo")->read_only);
    auto id = w.upstream->commit("foo", payload_for(6, 100));
    REQUIRE(id);
    REQUIRE(w.replica->wait_for_tx("foo-replica", 6, 60'000));
}

TEST_CASE("switchover whose demotion fails: the writer has moved, the upstream stays fenced", "[switchover]") {
    ReplicationWorld w;
    caught_up(w, 5);
    w.upstream->fail_next_make_replica();
    auto rows = w.replica->call_procedure(kSwitchover, {Value("foo-replica")});
    REQUIRE(rows);
    const ValueList& row = (*rows)[0];
    CHECK(row[kUpstreamIsReplica] == Value(false));
    CHECK_THAT(row[kMessage].as_string(), Contains("stays read-only"));
    CHECK_THAT(row[kMessage].as_string(), Contains("internal.dbms.reattachAsReplica"));
    CHECK(w.replica->member("foo-replica")->kind == CCDR_KIND_STANDARD);
    auto up = w.upstream->member("foo");
    CHECK(up->kind == CCDR_KIND_STANDARD);
    CHECK(up->read_only);  // never two writable copies
    CHECK_FALSE(w.upstream->commit("foo", payload_for(6, 100)));
}

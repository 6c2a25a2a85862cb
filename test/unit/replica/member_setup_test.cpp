// What a replica member reads before connecting (replica/member_setup.hpp),
// and what it shows (replica/member_state.hpp): the setup of a replica, of a
// promoted database and of a broken link; a state machine's FAILED that no
// later report hides.
#include "replica/member_setup.hpp"
#include "replica/member_state.hpp"
#include "unit/replica/replica_fixture.hpp"

#include <catch2/catch.hpp>

using namespace ccdr;
using namespace ccdr::plugin;
using namespace ccdr::test;
using transport::Connection;
using namespace std::chrono_literals;
using Catch::Matchers::Contains;

TEST_CASE("member setup: a replica's lineage and upstream link", "[replica][setup]") {
    MemoryHost host("b1", {});
    const Value link(ValueMap{{"remote", Value("foo")},
                              {"addresses", Value(ValueList{Value("10.0.0.1:6000"), Value("10.0.0.2:6000")})}});
    REQUIRE(host.create_database({kReplica, CCDR_KIND_REPLICA, 1, 0, kStoreId, 4, ValueMap{{"replicaConfig", link}}}));
    auto setup = load_member_setup(handle_of(host), kReplica);
    REQUIRE(setup);
    CHECK(setup->kind == CCDR_KIND_REPLICA);
    CHECK(setup->store_id == kStoreId);
    CHECK(setup->epoch == 4);
    CHECK(setup->config.remote == "foo");
    CHECK(setup->config.addresses == std::vector<std::string>{"10.0.0.1:6000", "10.0.0.2:6000"});
}

TEST_CASE("member setup: a standard database, a missing one, a replica without a usable link", "[replica][setup]") {
    MemoryHost host("b1", {});
    REQUIRE(host.create_database({"promoted", CCDR_KIND_STANDARD, 1, 0, kStoreId, 2, {}}));
    auto promoted = load_member_setup(handle_of(host), "promoted");
    REQUIRE(promoted);
    CHECK(promoted->kind == CCDR_KIND_STANDARD);
    CHECK(promoted->config.addresses.empty());

    auto missing = load_member_setup(handle_of(host), "nope");
    REQUIRE_FALSE(missing);
    CHECK(missing.status().code() == CCDR_DATABASE_NOT_FOUND);

    REQUIRE(host.create_database({"unlinked", CCDR_KIND_REPLICA, 1, 0, kStoreId, 1, {}}));
    auto unlinked = load_member_setup(handle_of(host), "unlinked");
    REQUIRE_FALSE(unlinked);
    CHECK(unlinked.status().code() == CCDR_INVALID_ARGUMENT);
    CHECK_THAT(unlinked.status().message(), Contains("replicaConfig is not set"));

    REQUIRE(host.create_database({"broken", CCDR_KIND_REPLICA, 1, 0, kStoreId, 1,
                                  ValueMap{{"replicaConfig", Value(ValueMap{{"remote", Value("foo")},
                                                                            {"addresses", Value("x")}})}}}));
    auto broken = load_member_setup(handle_of(host), "broken");
    REQUIRE_FALSE(broken);
    CHECK_THAT(broken.status().message(), Contains("'addresses' must be a non-empty list"));
}

TEST_CASE("member state: FAILED stays until an operator acts, CREATING says what it tries", "[replica][state]") {
    MemberState state;
    CHECK(state.view().state == CCDR_REPLICA_CREATING);
    state.note_while_creating("connecting to 10.0.0.1:6000");
    CHECK(state.view().message == "connecting to 10.0.0.1:6000");
    state.set(CCDR_REPLICA_CATCHING_UP, "pulling from 10.0.0.1:6000");
    state.note_while_creating("connecting to 10.0.0.2:6000");
    CHECK(state.view().message == "pulling from 10.0.0.1:6000");

    state.set(CCDR_REPLICA_FAILED, "failed: lineage mismatch");
    state.set(CCDR_REPLICA_STREAMING, "pulling from 10.0.0.1:6000");
    state.stopped();
    CHECK(state.view().state == CCDR_REPLICA_FAILED);
    CHECK(state.view().message == "failed: lineage mismatch");

    MemberState fine;
    fine.set(CCDR_REPLICA_STREAMING, "pulling");
    fine.stopped();
    CHECK(fine.view().state == CCDR_REPLICA_STOPPED);
    CHECK(fine.view().message == "stopped");
}

TEST_CASE("pull connection: no connection, no address, closing nothing is harmless", "[replica][state]") {
    PullConnection connection;
    CHECK(connection.address().empty());
    connection.close("stopping");
    connection.post_close("stopping");
    connection.clear();
    CHECK(connection.address().empty());
}

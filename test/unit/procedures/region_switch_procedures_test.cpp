// internal.dbms.switchoverReplicaDatabase and internal.dbms.reattachAsReplica
// against the in-memory host, up to where they would reach the other
// cluster (the whole walk runs in e2e/replica_switchover.test.js and
// e2e/replica_reattach.test.js): argument checks and refusals that change
// nothing. And find_shared_point, the search for the last transaction two
// histories share.
#include "procedures/reattach_procedure.hpp"
#include "procedures/switchover_procedure.hpp"
#include "support/memory_host.hpp"

#include <ccdr/host_adapter.hpp>

#include <catch2/catch.hpp>

#include <spdlog/sinks/null_sink.h>

using ccdr::DatabaseSpec;
using ccdr::Result;
using ccdr::Status;
using ccdr::Value;
using ccdr::ValueList;
using ccdr::ValueMap;
using ccdr::plugin::find_shared_point;
using ccdr::plugin::HashRange;
using ccdr::plugin::ReattachProcedure;
using ccdr::plugin::SwitchoverProcedure;
using ccdr::plugin::UpstreamSession;
using ccdr::test::MemoryHost;
using Catch::Matchers::Contains;

namespace {

// Hashes of a history: tx k of the shared prefix hashes to k, a side's own
// transactions after `diverge` to k + offset.
ccdr::plugin::HashSource history(uint64_t diverge, uint64_t offset, uint64_t oldest = 1) {
    return [=](uint64_t from, uint64_t to) -> Result<HashRange> {
        HashRange r;
        r.from = std::max(from, oldest);
        for (uint64_t k = r.from; k <= to; ++k) {
            r.hashes.push_back(k <= diverge ? k : k + offset);
        }
        return r;
    };
}

std::shared_ptr<spdlog::logger> quiet() {
    return std::make_shared<spdlog::logger>("test", std::make_shared<spdlog::sinks::null_sink_mt>());
}

struct Fixture {
    MemoryHost host{"b1", {}};
    int sessions_opened = 0;
    SwitchoverProcedure switchover{ccdr::HostHandle(ccdr::host_api(), host.ctx()), "cluster-b",
                                   std::chrono::milliseconds(1000),
                                   [this](const std::vector<std::string>&) -> Result<std::unique_ptr<UpstreamSession>> {
                                       ++sessions_opened;
                                       return Status(CCDR_IO_ERROR, "no upstream address answered: 10.9.9.9:7000: "
                                                                    "connection refused");
                                   },
                                   quiet()};
    ReattachProcedure reattach{ccdr::HostHandle(ccdr::host_api(), host.ctx()), "/nonexistent",
                               std::chrono::milliseconds(1000),
                               [this](const std::vector<std::string>&) -> Result<std::unique_ptr<UpstreamSession>> {
                                   ++sessions_opened;
                                   return Status(CCDR_IO_ERROR, "connection refused");
                               },
                               quiet()};

    void create(const std::string& name, ccdr_database_kind kind) {
        DatabaseSpec spec;
        spec.name = name;
        spec.kind = kind;
        spec.store_id = "store-1";
        spec.epoch = 1;
        if (kind == CCDR_KIND_REPLICA) {
            spec.options = ValueMap{{"replicaConfig", Value(ValueMap{{"remote", Value("foo")},
                                                                     {"addresses", Value(ValueList{Value("10.9.9.9:7000")})}})}};
        }
        REQUIRE(host.create_database(spec));
    }
};

ValueMap link() {
    return ValueMap{{"remote", Value("foo-replica")}, {"addresses", Value(ValueList{Value("10.9.9.9:7000")})}};
}

}  // namespace

TEST_CASE("find_shared_point: the last transaction both histories share", "[reattach]") {
    // A committed 1..120 (diverging after 100); B has 1..100 of A and 101..150 of its own.
    auto found = find_shared_point(120, 1, 150, 1, history(100, 1000), history(100, 2000));
    REQUIRE(found);
    REQUIRE(found->tx);
    CHECK(*found->tx == 100);
    // Nothing lost: A stopped exactly where B was promoted.
    found = find_shared_point(100, 1, 150, 1, history(100, 1000), history(100, 2000));
    REQUIRE(found->tx);
    CHECK(*found->tx == 100);
    // A divergence further back than one HISTORY window (4096 hashes).
    found = find_shared_point(9000, 1, 9000, 1, history(10, 1), history(10, 2));
    REQUIRE(found->tx);
    CHECK(*found->tx == 10);
    // Sharing nothing: they differ from transaction 1.
    found = find_shared_point(50, 1, 50, 1, history(0, 1), history(0, 2));
    REQUIRE(found);
    CHECK_FALSE(found->tx);
    CHECK_THAT(found->reason, Contains("share no transaction"));
    // The logs were pruned past the divergence.
    found = find_shared_point(500, 300, 500, 200, history(100, 1, 300), history(100, 2, 200));
    CHECK_FALSE(found->tx);
    CHECK_THAT(found->reason, Contains("pruned too far back"));
    // An error of either side is the answer.
    auto failing = [](uint64_t, uint64_t) -> Result<HashRange> { return Status(CCDR_IO_ERROR, "gone"); };
    CHECK_FALSE(find_shared_point(10, 1, 10, 1, history(5, 1), failing));
}

TEST_CASE("switchoverReplicaDatabase: bad calls and refusals change nothing", "[switchover]") {
    Fixture f;
    f.create("foo-replica", CCDR_KIND_REPLICA);
    f.create("bar", CCDR_KIND_STANDARD);
    auto kind_of = [&](const char* name) { return f.host.database_info(name)->kind; };

    CHECK_THAT(f.switchover.call({}).status().message(), Contains("expected 1 or 2 arguments"));
    CHECK_THAT(f.switchover.call({Value(42)}).status().message(), Contains("must be a STRING"));
    CHECK_THAT(f.switchover.call({Value("nope")}).status().message(), Contains("does not exist"));
    CHECK_THAT(f.switchover.call({Value("bar")}).status().message(), Contains("not a replica"));
    CHECK_THAT(f.switchover.call({Value("foo-replica"), Value(ValueMap{{"timeout", Value("forever")}})})
                   .status()
                   .message(),
               Contains("timeout must be a duration"));
    CHECK_THAT(f.switchover.call({Value("foo-replica"), Value(ValueMap{{"wait", Value("1s")}})}).status().message(),
               Contains("unknown option 'wait'"));
    CHECK(f.sessions_opened == 0);
    // A member that is not online cannot catch up: refused before the upstream is asked.
    f.host.set_online("foo-replica", false);
    auto offline = f.switchover.call({Value("foo-replica")});
    REQUIRE_FALSE(offline);
    CHECK_THAT(offline.status().message(), Contains("the member on server b1 is offline"));
    CHECK_THAT(offline.status().message(), Contains("Nothing was changed"));
    CHECK(f.sessions_opened == 0);
    f.host.set_online("foo-replica", true);
    // The upstream does not answer: step 1, nothing changed.
    auto r = f.switchover.call({Value("foo-replica"), Value(ValueMap{{"timeout", Value("5s")}})});
    REQUIRE_FALSE(r);
    CHECK(r.status().code() == CCDR_PROCEDURE_CALL_FAILED);
    CHECK_THAT(r.status().message(), Contains("step 1 (fence the upstream 'foo')"));
    CHECK_THAT(r.status().message(), Contains("Nothing was changed"));
    CHECK(f.sessions_opened == 1);
    CHECK(kind_of("foo-replica") == CCDR_KIND_REPLICA);
    CHECK(kind_of("bar") == CCDR_KIND_STANDARD);
}

TEST_CASE("reattachAsReplica: bad calls and refusals change nothing", "[reattach]") {
    Fixture f;
    f.create("foo", CCDR_KIND_STANDARD);
    f.create("foo-replica", CCDR_KIND_REPLICA);
    CHECK_THAT(f.reattach.call({Value("foo")}).status().message(), Contains("expected 2 arguments"));
    CHECK_THAT(f.reattach.call({Value("foo"), Value(ValueMap{{"remote", Value("x")}})}).status().message(),
               Contains("addresses"));
    CHECK_THAT(f.reattach.call({Value("nope"), Value(link())}).status().message(), Contains("does not exist"));
    CHECK_THAT(f.reattach.call({Value("foo-replica"), Value(link())}).status().message(),
               Contains("replica already"));
    CHECK(f.sessions_opened == 0);
    auto r = f.reattach.call({Value("foo"), Value(link())});
    REQUIRE_FALSE(r);
    CHECK_THAT(r.status().message(), Contains("cannot reach the promoted database 'foo-replica'"));
    CHECK_THAT(r.status().message(), Contains("Nothing was changed"));
    CHECK(f.host.database_info("foo")->kind == CCDR_KIND_STANDARD);
}

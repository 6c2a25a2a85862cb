// The internal.dbms procedures against the in-memory host, with a scripted
// upstream probe: every bad call is refused with its reason and creates or
// changes nothing; good calls create and promote.
#include "procedures/replica_procedures.hpp"
#include "support/memory_host.hpp"

#include <ccdr/host_adapter.hpp>

#include <catch2/catch.hpp>
#include <spdlog/sinks/null_sink.h>

using ccdr::Value;
using ccdr::ValueList;
using ccdr::plugin::RemoteDatabase;
using ccdr::plugin::UpstreamLink;
using ccdr::test::MemoryHost;

namespace {

struct Fixture {
    // This server's cluster address is none of the upstream addresses below.
    MemoryHost host{"b1", {{"server.cluster.listen_address", "127.0.0.1:5999"}}};
    int probes = 0;
    ccdr::Result<RemoteDatabase> answer = RemoteDatabase{"127.0.0.1:6000", true, CCDR_KIND_STANDARD, "abc123", 3, 42};
    std::unique_ptr<ccdr::plugin::ReplicaProcedures> procs;

    // `api`: the host vtable the procedures get (a test passes one cut to
    // an older minor's size).
    explicit Fixture(const ccdr_host_api* api = ccdr::host_api()) {
        auto log = std::make_shared<spdlog::logger>("test", std::make_shared<spdlog::sinks::null_sink_mt>());
        procs = std::make_unique<ccdr::plugin::ReplicaProcedures>(
            ccdr::HostHandle(api, host.ctx()),
            [this](const UpstreamLink&) {
                ++probes;
                return answer;
            },
            log);
        REQUIRE(procs->register_all());
    }

    ccdr::Result<std::vector<ValueList>> call(const std::string& name, ValueList args, bool admin = true) {
        return host.call_procedure(name, std::move(args), admin);
    }
};

Value link(Value remote = "foo", Value addresses = Value::list({"127.0.0.1:6000", "127.0.0.1:6001"})) {
    return Value::map({{"remote", std::move(remote)}, {"addresses", std::move(addresses)}});
}

const char* kCreate = "internal.dbms.createReplicaDatabase";
const char* kPromote = "internal.dbms.promoteReplicaDatabase";
const char* kPromoteTopology = "internal.dbms.promoteReplicaDatabaseWithTopology";

}  // namespace

TEST_CASE("createReplicaDatabase creates a replica with the upstream's lineage and link", "[procedures]") {
    Fixture f;
    auto r = f.call(kCreate, ValueList{"Foo-Replica", int64_t{1}, int64_t{0}, link()});
    REQUIRE(r);
    CHECK(r->empty());
    auto m = f.host.member("foo-replica");  // names are stored in lower case
    REQUIRE(m);
    CHECK(m->kind == CCDR_KIND_REPLICA);
    CHECK(m->store_id == "abc123");
    CHECK(m->epoch == 3);
    auto opt = f.host.get_database_option("foo-replica", "replicaConfig");
    REQUIRE(opt);
    CHECK(*opt == link());
    CHECK(f.probes == 1);
}

TEST_CASE("bad createReplicaDatabase calls are refused with their reason and create nothing", "[procedures]") {
    struct Case {
        const char* what;
        ValueList args;
        const char* reason;
    };
    const std::vector<Case> cases = {
        {"too few arguments", {"r1x", int64_t{1}, int64_t{0}}, "required number of arguments"},
        {"too many arguments", {"r1x", int64_t{1}, int64_t{0}, link(), int64_t{1}}, "got 5"},
        {"name not a string", {int64_t{7}, int64_t{1}, int64_t{0}, link()}, "expected STRING"},
        {"name null", {Value(), int64_t{1}, int64_t{0}, link()}, "databaseName must be a STRING"},
        {"name too short", {"ab", int64_t{1}, int64_t{0}, link()}, "3 to 63 characters"},
        {"name too long", {std::string(64, 'a'), int64_t{1}, int64_t{0}, link()}, "3 to 63 characters"},
        {"name starts with a digit", {"1abc", int64_t{1}, int64_t{0}, link()}, "must start with an ASCII letter"},
        {"name with underscore", {"foo_bar", int64_t{1}, int64_t{0}, link()}, "'_' is not allowed"},
        {"name ends with dash", {"foo-", int64_t{1}, int64_t{0}, link()}, "must not end"},
        {"name system", {"system", int64_t{1}, int64_t{0}, link()}, "reserved"},
        {"negative primaries", {"rep", int64_t{-1}, int64_t{0}, link()}, "numPrimaries must not be negative"},
        {"negative secondaries", {"rep", int64_t{1}, int64_t{-2}, link()}, "numSecondaries must not be negative"},
        {"zero in total", {"rep", int64_t{0}, int64_t{0}, link()}, "zero members in total"},
        {"no primary", {"rep", int64_t{0}, int64_t{2}, link()}, "at least one primary"},
        {"too many primaries", {"rep", int64_t{12}, int64_t{0}, link()}, "exceeds the maximum of 11"},
        {"fractional count", {"rep", 1.5, int64_t{0}, link()}, "expected INTEGER"},
        {"null count", {"rep", Value(), int64_t{0}, link()}, "numPrimaries must be an INTEGER"},
        {"options not a map", {"rep", int64_t{1}, int64_t{0}, "foo"}, "expected MAP"},
        {"remote missing", {"rep", int64_t{1}, int64_t{0}, Value::map({{"addresses", Value::list({"h:1"})}})},
         "'remote' is missing"},
        {"addresses missing", {"rep", int64_t{1}, int64_t{0}, Value::map({{"remote", "foo"}})}, "'addresses' is missing"},
        {"remote not a string", {"rep", int64_t{1}, int64_t{0}, link(int64_t{5})}, "'remote' must be a non-empty STRING"},
        {"remote is system", {"rep", int64_t{1}, int64_t{0}, link("system")}, "system database cannot be replicated"},
        {"addresses empty", {"rep", int64_t{1}, int64_t{0}, link("foo", Value::list({}))}, "non-empty LIST<STRING>"},
        {"address without port", {"rep", int64_t{1}, int64_t{0}, link("foo", Value::list({"server01"}))},
         "not host:port"},
        {"address with bad port", {"rep", int64_t{1}, int64_t{0}, link("foo", Value::list({"h:70000"}))}, "not host:port"},
        {"address not a string", {"rep", int64_t{1}, int64_t{0}, link("foo", Value::list({int64_t{6000}}))},
         "only STRINGs"},
        {"duplicate address", {"rep", int64_t{1}, int64_t{0}, link("foo", Value::list({"h:1", "h:1"}))}, "listed twice"},
        {"unknown option", {"rep", int64_t{1}, int64_t{0}, Value::map({{"remote", "foo"}, {"addresses", Value::list({"h:1"})}, {"pull", true}})},
         "unknown key 'pull'"},
    };
    for (const auto& c : cases) {
        Fixture f;
        auto r = f.call(kCreate, c.args);
        INFO(c.what << ": " << (r ? std::string("(succeeded)") : r.status().message()));
        REQUIRE_FALSE(r);
        CHECK(r.status().code() == CCDR_PROCEDURE_CALL_FAILED);
        CHECK_THAT(r.status().message(), Catch::Contains(c.reason));
        CHECK(f.probes == 0);  // refused before contacting anyone
        CHECK_FALSE(f.host.member("rep"));
    }
}

TEST_CASE("createReplicaDatabase refuses what the upstream or this cluster cannot do, creating nothing", "[procedures]") {
    SECTION("upstream unreachable") {
        Fixture f;
        f.answer = ccdr::Status(CCDR_IO_ERROR, "127.0.0.1:6000: connection refused; 127.0.0.1:6001: connection refused");
        auto r = f.call(kCreate, ValueList{"rep", int64_t{1}, int64_t{0}, link()});
        REQUIRE_FALSE(r);
        CHECK_THAT(r.status().message(), Catch::Contains("cannot contact the upstream cluster") &&
                                             Catch::Contains("127.0.0.1:6001: connection refused"));
        CHECK_FALSE(f.host.member("rep"));
    }
    SECTION("remote does not exist") {
        Fixture f;
        f.answer = ccdr::Status(CCDR_DATABASE_NOT_FOUND, "127.0.0.1:6000 has no database 'foo'");
        auto r = f.call(kCreate, ValueList{"rep", int64_t{1}, int64_t{0}, link()});
        REQUIRE_FALSE(r);
        CHECK_THAT(r.status().message(), Catch::Contains("upstream database 'foo' does not exist"));
        CHECK_FALSE(f.host.member("rep"));
    }
    SECTION("remote offline") {
        Fixture f;
        f.answer = RemoteDatabase{"127.0.0.1:6000", false, CCDR_KIND_STANDARD, "s", 1, 0};
        auto r = f.call(kCreate, ValueList{"rep", int64_t{1}, int64_t{0}, link()});
        REQUIRE_FALSE(r);
        CHECK_THAT(r.status().message(), Catch::Contains("is not online"));
        CHECK_FALSE(f.host.member("rep"));
    }
    SECTION("remote is itself a replica") {
        Fixture f;
        f.answer = RemoteDatabase{"127.0.0.1:6000", true, CCDR_KIND_REPLICA, "s", 1, 0};
        auto r = f.call(kCreate, ValueList{"rep", int64_t{1}, int64_t{0}, link()});
        REQUIRE_FALSE(r);
        CHECK_THAT(r.status().message(), Catch::Contains("is a replica"));
        CHECK_FALSE(f.host.member("rep"));
    }
    SECTION("name taken") {
        Fixture f;
        REQUIRE(f.host.create_database({"rep", CCDR_KIND_STANDARD, 1, 0, "", 0, {}}));
        auto r = f.call(kCreate, ValueList{"rep", int64_t{1}, int64_t{0}, link()});
        REQUIRE_FALSE(r);
        CHECK_THAT(r.status().message(), Catch::Contains("already exists"));
        CHECK(f.host.member("rep")->kind == CCDR_KIND_STANDARD);
        CHECK(f.probes == 0);
    }
    SECTION("more members than the servers allow") {
        Fixture f;
        auto r = f.call(kCreate, ValueList{"rep", int64_t{3}, int64_t{2}, link()});
        REQUIRE_FALSE(r);
        CHECK_THAT(r.status().message(), Catch::Contains("cannot create 'rep'") && Catch::Contains("1 server"));
        CHECK_FALSE(f.host.member("rep"));
    }
    SECTION("a reader may not call it") {
        Fixture f;
        auto r = f.call(kCreate, ValueList{"rep", int64_t{1}, int64_t{0}, link()}, /*admin=*/false);
        REQUIRE_FALSE(r);
        CHECK(r.status().code() == CCDR_FORBIDDEN);
        CHECK_FALSE(f.host.member("rep"));
    }
}

TEST_CASE("promotion makes a replica standard with a new epoch and forgets its upstream", "[procedures]") {
    Fixture f;
    REQUIRE(f.call(kCreate, ValueList{"rep", int64_t{1}, int64_t{0}, link()}));
    auto r = f.call(kPromote, ValueList{"rep"});
    REQUIRE(r);
    auto m = f.host.member("rep");
    CHECK(m->kind == CCDR_KIND_STANDARD);
    CHECK(m->epoch == 4);
    CHECK(f.host.get_database_option("rep", "replicaConfig")->is_null());

    SECTION("promotion is one-way: a second promotion is refused") {
        auto again = f.call(kPromote, ValueList{"rep"});
        REQUIRE_FALSE(again);
        CHECK(again.status().code() == CCDR_PROCEDURE_CALL_FAILED);
        CHECK_THAT(again.status().message(), Catch::Contains("standard database, not a replica"));
        CHECK(f.host.member("rep")->epoch == 4);
    }
}

TEST_CASE("bad promotions are refused and change nothing", "[procedures]") {
    Fixture f;
    REQUIRE(f.call(kCreate, ValueList{"rep", int64_t{1}, int64_t{0}, link()}));
    auto missing = f.call(kPromote, ValueList{"nope"});
    REQUIRE_FALSE(missing);
    CHECK_THAT(missing.status().message(), Catch::Contains("'nope' does not exist"));

    auto bad_type = f.call(kPromote, ValueList{int64_t{1}});
    REQUIRE_FALSE(bad_type);
    CHECK(bad_type.status().code() == CCDR_PROCEDURE_CALL_FAILED);

    auto bad_topology = f.call(kPromoteTopology, ValueList{"rep", int64_t{0}, int64_t{0}});
    REQUIRE_FALSE(bad_topology);
    CHECK_THAT(bad_topology.status().message(), Catch::Contains("zero members"));

    auto too_big = f.call(kPromoteTopology, ValueList{"rep", int64_t{3}, int64_t{4}});
    REQUIRE_FALSE(too_big);
    CHECK_THAT(too_big.status().message(), Catch::Contains("cannot use topology 3 primaries, 4 secondaries"));
    CHECK(f.host.member("rep")->kind == CCDR_KIND_REPLICA);
    CHECK(f.host.member("rep")->epoch == 3);

    auto ok = f.call(kPromoteTopology, ValueList{"rep", int64_t{1}, int64_t{0}});
    REQUIRE(ok);
    CHECK(f.host.member("rep")->kind == CCDR_KIND_STANDARD);
}

// The host vtable of ABI 1.1: no promote_with_topology.
const ccdr_host_api* host_api_1_1() {
    static const ccdr_host_api api = [] {
        ccdr_host_api a = *ccdr::host_api();
        a.hdr.struct_size = static_cast<uint32_t>(offsetof(ccdr_host_api, list_users));
        a.hdr.minor = 1;
        return a;
    }();
    return &api;
}

TEST_CASE("promoteReplicaDatabaseWithTopology: a promotion that fails leaves the old topology", "[procedures]") {
    auto topology_of = [](Fixture& f) {
        auto info = f.host.database_info("rep");
        REQUIRE(info);
        return std::make_pair(info->primaries, info->secondaries);
    };
    SECTION("an ABI 1.2 host promotes and resizes in one call") {
        Fixture f;
        f.host.set_seats(5);
        REQUIRE(f.call(kCreate, ValueList{"rep", int64_t{3}, int64_t{2}, link()}));
        f.host.fail_next_promotion();
        auto failed = f.call(kPromoteTopology, ValueList{"rep", int64_t{2}, int64_t{1}});
        REQUIRE_FALSE(failed);
        CHECK(failed.status().code() == CCDR_PROCEDURE_CALL_FAILED);
        CHECK_THAT(failed.status().message(), Catch::Contains("cannot use topology 2 primaries, 1 secondaries") &&
                                                  Catch::Contains("injected failure") &&
                                                  Catch::Contains("still a replica with its old topology"));
        CHECK(f.host.member("rep")->kind == CCDR_KIND_REPLICA);
        CHECK(topology_of(f) == std::make_pair(3u, 2u));
        CHECK(f.host.topology_changes() == 0);

        REQUIRE(f.call(kPromoteTopology, ValueList{"rep", int64_t{2}, int64_t{1}}));
        CHECK(f.host.member("rep")->kind == CCDR_KIND_STANDARD);
        CHECK(f.host.member("rep")->epoch == 4);
        CHECK(topology_of(f) == std::make_pair(2u, 1u));
        CHECK(f.host.topology_changes() == 1);
    }
    for (bool old_vtable : {true, false}) {
        DYNAMIC_SECTION((old_vtable ? "an ABI 1.1 host" : "a 1.2 host without the one-step call")
                        << ": resize, promote, and the old topology set back when the promotion fails") {
            Fixture f(old_vtable ? host_api_1_1() : ccdr::host_api());
            f.host.set_seats(5, false);
            REQUIRE(f.call(kCreate, ValueList{"rep", int64_t{3}, int64_t{2}, link()}));
            f.host.fail_next_promotion();
            auto failed = f.call(kPromoteTopology, ValueList{"rep", int64_t{2}, int64_t{1}});
            REQUIRE_FALSE(failed);
            CHECK_THAT(failed.status().message(),
                       Catch::Contains("injected failure") &&
                           Catch::Contains("still a replica and the topology was set back to 3 primaries, 2 secondaries"));
            CHECK(f.host.member("rep")->kind == CCDR_KIND_REPLICA);
            CHECK(topology_of(f) == std::make_pair(3u, 2u));
            CHECK(f.host.topology_changes() == 2);  // resized, then set back

            REQUIRE(f.call(kPromoteTopology, ValueList{"rep", int64_t{2}, int64_t{1}}));
            CHECK(f.host.member("rep")->kind == CCDR_KIND_STANDARD);
            CHECK(topology_of(f) == std::make_pair(2u, 1u));
        }
    }
}

TEST_CASE("createReplicaDatabase again: the same arguments succeed without change, others name the difference",
          "[procedures]") {
    Fixture f;
    REQUIRE(f.call(kCreate, ValueList{"rep", int64_t{1}, int64_t{0}, link()}));
    REQUIRE(f.probes == 1);
    SECTION("the same arguments: success, no second probe, nothing changed") {
        auto again = f.call(kCreate, ValueList{"REP", int64_t{1}, int64_t{0}, link()});
        REQUIRE(again);
        CHECK(again->empty());
        CHECK(f.probes == 1);
        CHECK(*f.host.get_database_option("rep", "replicaConfig") == link());
    }
    SECTION("other counts, remote and addresses: every difference named, nothing changed") {
        auto other = f.call(kCreate, ValueList{"rep", int64_t{1}, int64_t{2}, link("bar", Value::list({"127.0.0.1:6001"}))});
        REQUIRE_FALSE(other);
        const std::string m = other.status().message();
        CHECK_THAT(m, Catch::Contains("replica 'rep' already exists with other arguments"));
        CHECK_THAT(m, Catch::Contains("remote is 'foo', not 'bar'"));
        CHECK_THAT(m, Catch::Contains("addresses are [127.0.0.1:6000, 127.0.0.1:6001], not [127.0.0.1:6001]"));
        CHECK_THAT(m, Catch::Contains("numSecondaries is 0, not 2"));
        CHECK_THAT(m, !Catch::Contains("numPrimaries"));
        CHECK(f.probes == 1);
        CHECK(*f.host.get_database_option("rep", "replicaConfig") == link());
    }
}

TEST_CASE("createReplicaDatabase refuses an address of this cluster before contacting it", "[procedures]") {
    Fixture f;
    auto self = ccdr::HostHandle(ccdr::host_api(), f.host.ctx()).server_info();
    REQUIRE(self);
    REQUIRE_FALSE(self->cluster_address.empty());
    auto r = f.call(kCreate, ValueList{"rep", int64_t{1}, int64_t{0},
                                       link("foo", Value::list({"127.0.0.1:6000", Value(self->cluster_address)}))});
    REQUIRE_FALSE(r);
    CHECK_THAT(r.status().message(), Catch::Contains("address " + self->cluster_address + " is server b1 of this "
                                                     "cluster: a replica's upstream is a database of another cluster"));
    CHECK(f.probes == 0);
    CHECK_FALSE(f.host.member("rep"));
}

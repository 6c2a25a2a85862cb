// internal.dbms.compareSecurity between two MemoryHosts over mutual TLS: the
// users of the replica's host and of the upstream's host side by side, the
// differences metric (from the procedure and from the periodic check),
// refusals of bad calls, and hosts of ABI 1.1 (no list_users) reported as
// CCDR_UNSUPPORTED on either side.
#include "support/replication_world.hpp"

#include <catch2/catch.hpp>

using namespace ccdr;
using namespace ccdr::test;
using namespace std::chrono_literals;

namespace {

// Columns: user, presentHere, presentThere, rolesHere, rolesThere, verdict.
Result<std::vector<ValueList>> compare(MemoryHost& host, const std::string& name, bool admin = true) {
    return host.call_procedure("internal.dbms.compareSecurity", {Value(name)}, admin);
}

ValueList strings(std::initializer_list<const char*> items) {
    ValueList out;
    for (const char* s : items) {
        out.emplace_back(s);
    }
    return out;
}

const ccdr_host_api* host_api_1_1() {
    static const ccdr_host_api api = [] {
        ccdr_host_api a = *host_api();
        a.hdr.struct_size = static_cast<uint32_t>(offsetof(ccdr_host_api, list_users));
        a.hdr.minor = 1;
        a.list_users = nullptr;
        return a;
    }();
    return &api;
}

}  // namespace

TEST_CASE("compareSecurity reports a missing user and a role difference, then nothing once fixed", "[security]") {
    ReplicationWorld w;
    w.create_replica();
    w.upstream->set_users({{"app", {"PUBLIC", "editor"}}, {"etl", {"PUBLIC", "publisher"}}, {"neo4j", {"PUBLIC", "admin"}}});
    w.replica->set_users({{"app", {"PUBLIC", "reader"}}, {"neo4j", {"PUBLIC", "admin"}}});

    auto rows = compare(*w.replica, "foo-replica");
    REQUIRE(rows);
    REQUIRE(rows->size() == 3);
    CHECK(rows->at(0) == ValueList{Value("app"), Value(true), Value(true), Value(strings({"PUBLIC", "reader"})),
                                   Value(strings({"PUBLIC", "editor"})), Value("roles differ")});
    CHECK(rows->at(1) == ValueList{Value("etl"), Value(false), Value(true), Value(),
                                   Value(strings({"PUBLIC", "publisher"})), Value("missing here")});
    CHECK(rows->at(2)[5] == Value("same"));
    auto metrics = metrics_of(*w.replica);
    CHECK(metrics["database.foo-replica.ccdr.security.differences"] == 2);
    CHECK(metrics["database.foo-replica.ccdr.security.checks"] == 1);
    CHECK(metrics["database.foo-replica.ccdr.security.check_failures"] == 0);
    CHECK(w.replica->log_contains("2 of 3 users differ from the upstream's cluster: app (roles differ), etl (missing here)"));
    CHECK(w.upstream->log_contains("users of this cluster and their roles (compareSecurity for 'foo')"));

    w.replica->set_users({{"app", {"editor", "PUBLIC"}}, {"etl", {"PUBLIC", "publisher"}}, {"neo4j", {"PUBLIC", "admin"}}});
    auto fixed = compare(*w.replica, "FOO-REPLICA");  // names are case-insensitive
    REQUIRE(fixed);
    for (const auto& row : *fixed) {
        CHECK(row[5] == Value("same"));
    }
    CHECK(metrics_of(*w.replica)["database.foo-replica.ccdr.security.differences"] == 0);
}

TEST_CASE("the periodic check keeps the differences metric current", "[security]") {
    ReplicationWorld w(WorldOptions{true, {}, {{"ccdr.security.compare_interval", "1s"}}});
    w.upstream->set_users({{"app", {"PUBLIC", "reader"}}});
    w.replica->set_users({});
    w.create_replica();
    REQUIRE(eventually([&] { return metrics_of(*w.replica)["database.foo-replica.ccdr.security.differences"] == 1; },
                       30s));
    w.replica->set_users({{"app", {"PUBLIC", "reader"}}});
    REQUIRE(eventually([&] {
        auto m = metrics_of(*w.replica);
        return m.count("database.foo-replica.ccdr.security.differences") == 1 &&
               m["database.foo-replica.ccdr.security.differences"] == 0;
    }, 30s));
    CHECK(metrics_of(*w.replica)["database.foo-replica.ccdr.security.checks"] >= 2);
    // Dropped: the metric goes away at the next round.
    REQUIRE(w.replica->drop_database("foo-replica"));
    REQUIRE(eventually([&] { return metrics_of(*w.replica).count("database.foo-replica.ccdr.security.differences") == 0; },
                       30s));
}

TEST_CASE("compareSecurity refuses bad calls and the upstream refuses what it would not replicate", "[security]") {
    ReplicationWorld w(WorldOptions{true, {{"ccdr.upstream.allowed_databases", "other"}}, {}});
    w.create_replica();
    REQUIRE(w.replica->create_database({"plain", CCDR_KIND_STANDARD, 1, 0, "", 0, {}}));
    struct Case {
        const char* what;
        ValueList args;
        const char* message;
    };
    const std::vector<Case> cases = {
        {"unknown database", {Value("nope")}, "database 'nope' does not exist"},
        {"standard database", {Value("plain")}, "is a standard database, not a replica"},
        {"system", {Value("system")}, ""},
        {"bad name", {Value("a b/c")}, ""},
        {"upstream not allowed", {Value("foo-replica")}, "is not in ccdr.upstream.allowed_databases"},
    };
    for (const auto& c : cases) {
        INFO(c.what);
        auto r = w.replica->call_procedure("internal.dbms.compareSecurity", c.args);
        REQUIRE_FALSE(r);
        CHECK(r.status().code() == CCDR_PROCEDURE_CALL_FAILED);
        CHECK_THAT(r.status().message(), Catch::Contains(c.message));
    }
    auto forbidden = compare(*w.replica, "foo-replica", false);
    REQUIRE_FALSE(forbidden);
    CHECK(forbidden.status().code() == CCDR_FORBIDDEN);
    auto metrics = metrics_of(*w.replica);
    CHECK(metrics.count("database.foo-replica.ccdr.security.differences") == 0);
    CHECK(metrics["database.foo-replica.ccdr.security.check_failures"] == 1);
}

TEST_CASE("a host of ABI 1.1 cannot list users: CCDR_UNSUPPORTED, nothing called", "[security][abi]") {
    SECTION("on the replica's side") {
        ReplicationWorld w;
        w.replica->detach();
        REQUIRE(w.replica->attach(w.api(), host_api_1_1()));
        w.create_replica();
        auto r = compare(*w.replica, "foo-replica");
        REQUIRE_FALSE(r);
        CHECK(r.status().code() == CCDR_UNSUPPORTED);
        CHECK_THAT(r.status().message(), Catch::Contains("ABI 1.1") && Catch::Contains("needs 1.2"));
    }
    SECTION("on the upstream's side") {
        ReplicationWorld w;
        w.upstream->detach();
        REQUIRE(w.upstream->attach(w.api(), host_api_1_1()));
        w.create_replica();
        auto r = compare(*w.replica, "foo-replica");
        REQUIRE_FALSE(r);
        CHECK(r.status().code() == CCDR_PROCEDURE_CALL_FAILED);
        CHECK_THAT(r.status().message(), Catch::Contains("cannot list the users of server upstream") &&
                                             Catch::Contains("needs 1.2"));
    }
}

// internal.dbms.verifyReplicaDatabase between two MemoryHosts over mutual
// TLS: a match after replication, a mismatch after the replica's content was
// damaged (counted and logged), refusals of bad calls, and hosts of ABI 1.0
// (no content_fingerprint) reported as CCDR_UNSUPPORTED.
#include "support/replication_world.hpp"

#include <catch2/catch.hpp>

using namespace ccdr;
using namespace ccdr::test;
using namespace std::chrono_literals;

namespace {

// Columns: txId, upstreamFingerprint, replicaFingerprint, match, serverId, address, message.
Result<std::vector<ValueList>> verify(MemoryHost& host, const std::string& name, bool admin = true) {
    return host.call_procedure("internal.dbms.verifyReplicaDatabase", {Value(name)}, admin);
}

// The vtable of a host built against ABI 1.0: the same functions, cut
// before content_fingerprint.
const ccdr_host_api* host_api_1_0() {
    static const ccdr_host_api api = [] {
        ccdr_host_api a = *host_api();
        a.hdr.struct_size = static_cast<uint32_t>(offsetof(ccdr_host_api, content_fingerprint));
        a.hdr.minor = 0;
        a.content_fingerprint = nullptr;
        return a;
    }();
    return &api;
}

}  // namespace

TEST_CASE("a replica that caught up matches its upstream at the same tx", "[verify]") {
    ReplicationWorld w;
    w.create_replica();
    w.commit(1, 200, 300);
    REQUIRE(w.replica->wait_for_tx("foo-replica", 200, 60'000));

    auto rows = verify(*w.replica, "foo-replica");
    REQUIRE(rows);
    REQUIRE(rows->size() == 1);
    const ValueList& row = rows->front();
    REQUIRE(row.size() == 7);
    CHECK(row[0] == Value(int64_t{200}));
    CHECK(row[1].is_string());
    CHECK(row[1] == row[2]);
    CHECK(row[3] == Value(true));
    CHECK(row[4] == Value("replica"));
    CHECK_THAT(row[6].as_string(), Catch::Contains(w.upstream_address()));
    auto metrics = metrics_of(*w.replica);
    CHECK(metrics["database.foo-replica.ccdr.verify.runs"] == 1);
    CHECK(metrics["database.foo-replica.ccdr.verify.mismatches"] == 0);
    CHECK(metrics["database.foo-replica.ccdr.verify.last_match"] == 1);

    SECTION("and again after more transactions, at the new tx") {
        w.commit(201, 50, 300);
        REQUIRE(w.replica->wait_for_tx("foo-replica", 250, 60'000));
        auto again = verify(*w.replica, "FOO-REPLICA");  // names are case-insensitive
        REQUIRE(again);
        CHECK(again->front()[0] == Value(int64_t{250}));
        CHECK(again->front()[3] == Value(true));
        CHECK(again->front()[1] != row[1]);
    }
}

TEST_CASE("a damaged replica is reported as a mismatch, counted and logged", "[verify]") {
    ReplicationWorld w;
    w.create_replica();
    w.commit(1, 100, 200);
    REQUIRE(w.replica->wait_for_tx("foo-replica", 100, 60'000));
    w.replica->tamper_content("foo-replica");

    auto rows = verify(*w.replica, "foo-replica");
    REQUIRE(rows);
    REQUIRE(rows->size() == 1);
    CHECK(rows->front()[0] == Value(int64_t{100}));
    CHECK(rows->front()[3] == Value(false));
    CHECK(rows->front()[1] != rows->front()[2]);
    auto metrics = metrics_of(*w.replica);
    CHECK(metrics["database.foo-replica.ccdr.verify.mismatches"] == 1);
    CHECK(metrics["database.foo-replica.ccdr.verify.last_match"] == 0);
    CHECK(w.replica->log_contains("MISMATCH on replica at tx 100"));
    // Verification changes nothing.
    CHECK(w.replica->member("foo-replica")->last_tx == 100);
    CHECK(w.upstream->member("foo")->last_tx == 100);
}

TEST_CASE("a replica still catching up is compared once it reaches the upstream's tx", "[verify]") {
    ReplicationWorld w;
    w.commit(1, 3'000, 1'000);
    w.create_replica();  // 3 MB to pull: the call starts while the member is behind
    auto rows = verify(*w.replica, "foo-replica");
    REQUIRE(rows);
    CHECK(rows->front()[0] == Value(int64_t{3'000}));
    CHECK(rows->front()[3] == Value(true));
}

TEST_CASE("verifyReplicaDatabase refuses bad calls and changes nothing", "[verify]") {
    ReplicationWorld w;
    w.create_replica();
    w.commit(1, 10, 100);
    REQUIRE(w.replica->wait_for_tx("foo-replica", 10, 60'000));
    REQUIRE(w.replica->create_database({"plain", CCDR_KIND_STANDARD, 1, 0, "", 0, {}}));

    struct Case {
        const char* what;
        ValueList args;
        ccdr_status code;
        const char* message;
    };
    const std::vector<Case> cases = {
        {"unknown database", {Value("nope")}, CCDR_PROCEDURE_CALL_FAILED, "database 'nope' does not exist"},
        {"standard database", {Value("plain")}, CCDR_PROCEDURE_CALL_FAILED, "not a replica"},
        {"system database", {Value("system")}, CCDR_PROCEDURE_CALL_FAILED, ""},
        {"empty name", {Value("")}, CCDR_PROCEDURE_CALL_FAILED, ""},
        {"name of bad characters", {Value("a b/c")}, CCDR_PROCEDURE_CALL_FAILED, ""},
        {"null name", {Value()}, CCDR_PROCEDURE_CALL_FAILED, ""},
    };
    for (const auto& c : cases) {
        INFO(c.what);
        auto r = w.replica->call_procedure("internal.dbms.verifyReplicaDatabase", c.args);
        REQUIRE_FALSE(r);
        CHECK(r.status().code() == c.code);
        CHECK_THAT(r.status().message(), Catch::Contains(c.message));
    }
    SECTION("a non-admin is refused") {
        auto r = verify(*w.replica, "foo-replica", false);
        REQUIRE_FALSE(r);
        CHECK(r.status().code() == CCDR_FORBIDDEN);
    }
    CHECK(metrics_of(*w.replica).count("database.foo-replica.ccdr.verify.runs") == 0);
}

TEST_CASE("a host of ABI 1.0 has no fingerprints: CCDR_UNSUPPORTED, nothing called", "[verify][abi]") {
    SECTION("on the replica's side") {
        ReplicationWorld w;
        w.replica->detach();
        REQUIRE(w.replica->attach(w.api(), host_api_1_0()));
        w.create_replica();
        w.commit(1, 10, 100);
        REQUIRE(w.replica->wait_for_tx("foo-replica", 10, 60'000));
        auto r = verify(*w.replica, "foo-replica");
        REQUIRE_FALSE(r);
        CHECK(r.status().code() == CCDR_UNSUPPORTED);
        CHECK_THAT(r.status().message(), Catch::Contains("ABI 1.0") && Catch::Contains("need 1.1"));
    }
    SECTION("on the upstream's side") {
        ReplicationWorld w;
        w.upstream->detach();
        REQUIRE(w.upstream->attach(w.api(), host_api_1_0()));
        w.create_replica();
        w.commit(1, 10, 100);
        REQUIRE(w.replica->wait_for_tx("foo-replica", 10, 60'000));
        auto r = verify(*w.replica, "foo-replica");
        REQUIRE_FALSE(r);
        CHECK(r.status().code() == CCDR_PROCEDURE_CALL_FAILED);
        CHECK_THAT(r.status().message(), Catch::Contains("cannot fingerprint 'foo'") &&
                                             Catch::Contains("content fingerprints need 1.1"));
    }
}

TEST_CASE("the upstream refuses a fingerprint request of another lineage", "[verify]") {
    ReplicationWorld w;
    w.commit(1, 10, 100);
    w.create_replica({}, "0123456789abcdef0123456789abcdef");
    auto r = verify(*w.replica, "foo-replica");
    REQUIRE_FALSE(r);
    CHECK_THAT(r.status().message(), Catch::Contains("lineage mismatch"));
}

TEST_CASE("an unreachable upstream fails the call, naming the address and the reason", "[verify]") {
    ReplicationWorld w;
    const std::string nowhere = "127.0.0.1:" + std::to_string(free_port());
    w.create_replica({nowhere});
    auto r = verify(*w.replica, "foo-replica");
    REQUIRE_FALSE(r);
    CHECK(r.status().code() == CCDR_PROCEDURE_CALL_FAILED);
    CHECK_THAT(r.status().message(), Catch::Contains("cannot contact the upstream cluster") && Catch::Contains(nowhere));
}

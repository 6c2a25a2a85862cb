// The upstream's checks (upstream/upstream_checks.hpp), against the
// in-memory host: which databases may be replicated, what DATABASE_INFO
// says, the lineage a request must have, where a subscription may start,
// and the fingerprint a FINGERPRINT_REQUEST gets.
#include "support/memory_host.hpp"
#include "upstream/upstream_checks.hpp"

#include <ccdr/host_adapter.hpp>

#include <catch2/catch.hpp>

using ccdr::HostHandle;
using ccdr::plugin::SubscribeStart;
using ccdr::plugin::UpstreamChecks;
using ccdr::protocol::DatabaseInfoReply;
using ccdr::protocol::RefusalCode;
using ccdr::test::MemoryHost;
using Catch::Matchers::Contains;

namespace {

HostHandle handle(MemoryHost& host) { return HostHandle(ccdr::host_api(), host.ctx()); }

// `foo` with `n` committed transactions.
void make_foo(MemoryHost& host, int n) {
    REQUIRE(host.create_database({"foo", CCDR_KIND_STANDARD, 1, 0, "", 0, {}}));
    for (int i = 0; i < n; ++i) {
        REQUIRE(host.commit("foo", {uint8_t(i), 1, 2, 3}));
    }
}

}  // namespace

TEST_CASE("checks: system is never replicated, others as ccdr.upstream.allowed_databases says", "[upstream][checks]") {
    MemoryHost host("a1", {});
    UpstreamChecks every(handle(host), "a1", {"*"});
    CHECK_THAT(every.refusal_for("system"), Contains("never replicated"));
    CHECK(every.refusal_for("foo").empty());

    UpstreamChecks listed(handle(host), "a1", {"foo", "bar"});
    CHECK(listed.refusal_for("foo").empty());
    CHECK(listed.refusal_for("bar").empty());
    CHECK(listed.refusal_for("baz") == "database 'baz' is not in ccdr.upstream.allowed_databases of server a1");
    CHECK_THAT(listed.refusal_for("system"), Contains("never replicated"));
}

TEST_CASE("checks: DATABASE_INFO describes a served database, and gives nothing away of a refused one",
          "[upstream][checks]") {
    MemoryHost host("a1", {});
    make_foo(host, 3);
    const std::string store_id = host.member("foo")->store_id;

    UpstreamChecks every(handle(host), "a1", {"*"});
    DatabaseInfoReply foo = every.describe("foo");
    CHECK(foo.name == "foo");
    CHECK(foo.exists);
    CHECK(foo.online);
    CHECK(foo.kind == CCDR_KIND_STANDARD);
    CHECK(foo.store_id == store_id);
    CHECK(foo.epoch == 1);
    CHECK(foo.last_tx == 3);
    CHECK(foo.oldest_retained_tx == 1);
    CHECK(foo.refusal.empty());

    DatabaseInfoReply missing = every.describe("nope");
    CHECK_FALSE(missing.exists);
    CHECK_FALSE(missing.online);

    UpstreamChecks listed(handle(host), "a1", {"bar"});
    DatabaseInfoReply refused = listed.describe("foo");
    CHECK(refused.exists);
    CHECK_THAT(refused.refusal, Contains("not in ccdr.upstream.allowed_databases"));
    CHECK(refused.store_id.empty());
    CHECK(refused.epoch == 0);
    CHECK(refused.last_tx == 0);
}

TEST_CASE("checks: a request must be for the database's current lineage, online", "[upstream][checks]") {
    MemoryHost host("a1", {});
    make_foo(host, 1);
    UpstreamChecks checks(handle(host), "a1", {"*"});
    const DatabaseInfoReply foo = checks.describe("foo");

    CHECK_FALSE(checks.check_lineage(foo, foo.store_id, foo.epoch));

    auto other = checks.check_lineage(foo, "0123abcd", foo.epoch);
    REQUIRE(other);
    CHECK(other->code == RefusalCode::kLineageMismatch);
    CHECK_THAT(other->reason, Contains("the replica has store id 0123abcd and epoch 1") &&
                                  Contains("the upstream has store id " + foo.store_id + " and epoch 1"));
    auto older = checks.check_lineage(foo, foo.store_id, foo.epoch + 1);
    REQUIRE(older);
    CHECK(older->code == RefusalCode::kLineageMismatch);

    auto missing = checks.check_lineage(checks.describe("nope"), foo.store_id, 1);
    REQUIRE(missing);
    CHECK(missing->code == RefusalCode::kDatabaseNotFound);
    CHECK(missing->reason == "database 'nope' does not exist on server a1");

    DatabaseInfoReply offline = foo;
    offline.online = false;
    auto stopped = checks.check_lineage(offline, foo.store_id, foo.epoch);
    REQUIRE(stopped);
    CHECK(stopped->code == RefusalCode::kDatabaseOffline);
    CHECK(stopped->reason == "database 'foo' is not online on server a1");

    auto system = checks.check_lineage(checks.describe("system"), "", 0);
    REQUIRE(system);
    CHECK(system->code == RefusalCode::kNotAllowed);
}

TEST_CASE("checks: a subscription starts inside the retained log, at its end, or not at all", "[upstream][checks]") {
    MemoryHost host("a1", {});
    UpstreamChecks checks(handle(host), "a1", {"*"});
    DatabaseInfoReply info;
    info.name = "foo";
    info.last_tx = 10;
    info.oldest_retained_tx = 5;

    CHECK(checks.subscribe_start(info, 5).kind == SubscribeStart::Kind::kSubscribe);
    CHECK(checks.subscribe_start(info, 8).kind == SubscribeStart::Kind::kSubscribe);
    CHECK(checks.subscribe_start(info, 11).kind == SubscribeStart::Kind::kSubscribe);  // the next commit
    CHECK(checks.subscribe_start(info, 4).kind == SubscribeStart::Kind::kLogPruned);
    CHECK(checks.subscribe_start(info, 1).kind == SubscribeStart::Kind::kLogPruned);

    const SubscribeStart ahead = checks.subscribe_start(info, 12);
    REQUIRE(ahead.kind == SubscribeStart::Kind::kRefused);
    REQUIRE(ahead.refusal);
    CHECK(ahead.refusal->code == RefusalCode::kAheadOfUpstream);
    CHECK(ahead.refusal->reason ==
          "the replica of 'foo' asks for transactions from 12 but the last committed tx here is 10: the replica has "
          "transactions this upstream does not");
}

TEST_CASE("checks: FINGERPRINT_REQUEST gets the host's fingerprint, for the lineage only", "[upstream][checks]") {
    MemoryHost host("a1", {});
    make_foo(host, 4);
    UpstreamChecks checks(handle(host), "a1", {"*"});
    const DatabaseInfoReply foo = checks.describe("foo");

    auto answer = checks.fingerprint({"foo", foo.store_id, foo.epoch});
    REQUIRE_FALSE(answer.refusal);
    auto expected = host.content_fingerprint("foo", "");
    REQUIRE(expected);
    CHECK(answer.reply.name == "foo");
    CHECK(answer.reply.tx_id == 4);
    CHECK(answer.reply.algorithm == expected->algorithm);
    CHECK(answer.reply.fingerprint == expected->fingerprint);

    auto other = checks.fingerprint({"foo", "0123abcd", foo.epoch});
    REQUIRE(other.refusal);
    CHECK(other.refusal->code == RefusalCode::kLineageMismatch);
}

TEST_CASE("checks: RUNNING_FINGERPRINT_REQUEST of a host without running fingerprints is refused as unsupported",
          "[upstream][checks]") {
    // MemoryHost keeps HostServer's default running_fingerprint: unsupported.
    MemoryHost host("a1", {});
    make_foo(host, 3);
    UpstreamChecks checks(handle(host), "a1", {"*"});
    const DatabaseInfoReply foo = checks.describe("foo");

    auto answer = checks.running_fingerprint({"foo", foo.store_id, foo.epoch, 2});
    REQUIRE(answer.refusal);
    CHECK(answer.refusal->code == RefusalCode::kUnsupported);
    CHECK_THAT(answer.refusal->reason, Contains(ccdr::protocol::kRunningFingerprintUnsupported));

    auto no_tx = checks.running_fingerprint({"foo", foo.store_id, foo.epoch, 0});
    REQUIRE(no_tx.refusal);
    CHECK(no_tx.refusal->code == RefusalCode::kBadRequest);

    auto other = checks.running_fingerprint({"foo", "0123abcd", foo.epoch, 2});
    REQUIRE(other.refusal);
    CHECK(other.refusal->code == RefusalCode::kLineageMismatch);
}

// ABI 1.2 set_database_access and make_replica through the C vtable
// (HostHandle -> host_api() thunks -> MemoryHost), the in-memory host the
// plugin's unit tests use: the fence and its last tx, the undone sink, the
// test hooks that make each fail, and a host of 1.1 answering UNSUPPORTED.
#include "support/memory_host.hpp"

#include <ccdr/host_adapter.hpp>
#include <ccdr/host_handle.hpp>

#include <catch2/catch.hpp>

#include <cstddef>

using ccdr::HostHandle;
using ccdr::Value;
using ccdr::test::MemoryHost;

namespace {

void standard_with_txs(MemoryHost& host, const std::string& name, int n) {
    ccdr::DatabaseSpec spec;
    spec.name = name;
    spec.kind = CCDR_KIND_STANDARD;
    REQUIRE(host.create_database(spec).is_ok());
    for (int i = 1; i <= n; ++i) {
        REQUIRE(host.commit(name, {static_cast<uint8_t>(i), 0xab}).is_ok());
    }
}

}  // namespace

TEST_CASE("MemoryHost set_database_access through the vtable: fence, reason, last tx, refusals",
          "[abi][memory_host][switchover]") {
    MemoryHost host("s1", {});
    standard_with_txs(host, "foo", 4);
    HostHandle h(ccdr::host_api(), host.ctx());
    REQUIRE(h.has_set_database_access());
    auto last = h.set_database_access("foo", true, "switchover");
    REQUIRE(last.is_ok());
    CHECK(*last == 4);
    CHECK(host.member("foo")->access_reason == "switchover");
    auto refused = host.commit("foo", {1});
    CHECK(refused.status().code() == CCDR_READ_ONLY_DATABASE);
    REQUIRE(h.set_database_access("foo", false, "").is_ok());
    CHECK(host.member("foo")->access_reason.empty());
    CHECK(host.commit("foo", {1}).value() == 5);

    auto info = h.database_info("foo");
    REQUIRE(info.is_ok());
    CHECK(info->members.at(0).last_committed_tx == 5);
    CHECK(info->members.at(0).last_commit_time_ms == host.member("foo")->last_time_ms);
    CHECK(info->members.at(0).last_commit_time_ms > 0);

    CHECK(h.set_database_access("nope", true, "").status().code() == CCDR_DATABASE_NOT_FOUND);
    ccdr::DatabaseSpec spec;
    spec.name = "rep";
    spec.kind = CCDR_KIND_REPLICA;
    REQUIRE(host.create_database(spec).is_ok());
    CHECK(h.set_database_access("rep", true, "").status().code() == CCDR_INVALID_ARGUMENT);
    host.fail_next_access();
    CHECK(h.set_database_access("foo", true, "").status().code() == CCDR_IO_ERROR);
    CHECK_FALSE(host.member("foo")->read_only);
}

TEST_CASE("MemoryHost make_replica through the vtable: undone txs first, then the cut, kind and epoch",
          "[abi][memory_host][make_replica]") {
    MemoryHost host("s1", {});
    standard_with_txs(host, "foo", 6);
    HostHandle h(ccdr::host_api(), host.ctx());
    REQUIRE(h.has_make_replica());
    std::vector<HostHandle::UndoneTx> heard;
    auto collect = [&](const HostHandle::UndoneTx& t) {
        heard.push_back(t);
        return ccdr::Status();
    };
    const ccdr::ValueMap options{{"replicaConfig", Value(ccdr::ValueMap{{"remote", Value("foo-replica")}})}};

    SECTION("refusals change nothing") {
        CHECK(h.make_replica("foo", 1, 4, options, collect).code() == CCDR_INVALID_ARGUMENT);  // epoch
        CHECK(h.make_replica("foo", 2, 7, options, collect).code() == CCDR_INVALID_ARGUMENT);  // beyond the last
        CHECK(h.make_replica("nope", 2, 0, options, collect).code() == CCDR_DATABASE_NOT_FOUND);
        auto refusing = [&](const HostHandle::UndoneTx&) { return ccdr::Status(CCDR_IO_ERROR, "disk full"); };
        auto st = h.make_replica("foo", 2, 4, options, refusing);
        CHECK(st.code() == CCDR_IO_ERROR);
        CHECK_THAT(st.message(), Catch::Contains("disk full"));
        host.fail_next_make_replica();
        CHECK(h.make_replica("foo", 2, 4, options, collect).code() == CCDR_IO_ERROR);
        host.prune_log("foo", 3);
        CHECK(h.make_replica("foo", 2, 4, options, collect).code() == CCDR_LOG_PRUNED);
        CHECK(host.member("foo")->kind == CCDR_KIND_STANDARD);
        CHECK(host.member("foo")->last_tx == 6);
        CHECK(host.replicas_made() == 0);
    }
    SECTION("to_tx before the last") {
        REQUIRE(h.set_database_access("foo", true, "re-attach").is_ok());
        REQUIRE(h.make_replica("foo", 3, 4, options, collect).is_ok());
        REQUIRE(heard.size() == 2);
        CHECK(heard[0].tx_id == 5);
        CHECK(heard[1].tx_id == 6);
        CHECK(heard[0].changes == R"({"payload":"05ab","bytes":2})");
        auto m = host.member("foo");
        CHECK(m->kind == CCDR_KIND_REPLICA);
        CHECK(m->epoch == 3);
        CHECK(m->last_tx == 4);
        CHECK(m->log.back().tx_id == 4);
        CHECK(m->content.size() == 4);
        CHECK_FALSE(m->read_only);
        REQUIRE(m->options.size() == 1);
        CHECK(m->options[0].first == "replicaConfig");
        CHECK(host.replicas_made() == 1);
        auto info = h.log_info("foo");
        REQUIRE(info.is_ok());
        CHECK(info->last_committed_tx == 4);
    }
}

TEST_CASE("a 1.1 host vtable: set_database_access and make_replica are UNSUPPORTED without a call",
          "[abi][memory_host][version]") {
    MemoryHost host("s1", {});
    standard_with_txs(host, "foo", 2);
    ccdr_host_api older = *ccdr::host_api();
    older.hdr.minor = 1;
    older.hdr.struct_size = static_cast<uint32_t>(offsetof(ccdr_host_api, set_database_access));
    HostHandle h(&older, host.ctx());
    CHECK_FALSE(h.has_set_database_access());
    CHECK_FALSE(h.has_make_replica());
    auto fence = h.set_database_access("foo", true, "");
    CHECK(fence.status().code() == CCDR_UNSUPPORTED);
    CHECK_THAT(fence.status().message(), Catch::Contains("needs 1.2 with set_database_access"));
    CHECK(h.make_replica("foo", 2, 2, {}, nullptr).code() == CCDR_UNSUPPORTED);
    CHECK_FALSE(host.member("foo")->read_only);
    CHECK(host.member("foo")->kind == CCDR_KIND_STANDARD);
}

// internal.dbms.createDrillDatabase (procedures/drill_procedure.hpp): which
// member is copied, every refused call (nothing created), and a host that
// cannot copy (the in-memory host, and a vtable of ABI 1.1) answered with a
// clear error. The copy itself is the host's; the refhost's is driven end to
// end by test/e2e/drill.test.js.
#include "procedures/drill_procedure.hpp"
#include "support/memory_host.hpp"

#include <ccdr/host_adapter.hpp>
#include <ccdr/host_handle.hpp>

#include <catch2/catch.hpp>
#include <spdlog/sinks/null_sink.h>

#include <cstddef>

using ccdr::DatabaseInfo;
using ccdr::HostHandle;
using ccdr::MemberInfo;
using ccdr::Value;
using ccdr::ValueList;
using ccdr::ValueMap;
using ccdr::plugin::DrillProcedure;
using ccdr::plugin::drill_source_member;
using ccdr::test::MemoryHost;
using Catch::Matchers::Contains;

namespace {

std::shared_ptr<spdlog::logger> quiet() {
    return std::make_shared<spdlog::logger>("test", std::make_shared<spdlog::sinks::null_sink_mt>());
}

MemberInfo member(std::string id, ccdr_database_state state, uint64_t tx, bool local = false) {
    MemberInfo m;
    m.server_id = std::move(id);
    m.state = state;
    m.last_committed_tx = tx;
    m.is_local = local;
    return m;
}

void create(MemoryHost& host, const std::string& name, ccdr_database_kind kind) {
    ccdr::DatabaseSpec spec;
    spec.name = name;
    spec.kind = kind;
    REQUIRE(host.create_database(spec).is_ok());
}

std::string failure(DrillProcedure& p, ValueList args) {
    auto r = p.call(args);
    REQUIRE_FALSE(r.is_ok());
    CHECK(r.status().code() == CCDR_PROCEDURE_CALL_FAILED);
    return r.status().message();
}

}  // namespace

TEST_CASE("drill source: this server's online member, else the most advanced online one", "[drill]") {
    DatabaseInfo info;
    CHECK(drill_source_member(info) == nullptr);
    info.members = {member("s1", CCDR_DB_ONLINE, 10), member("s2", CCDR_DB_ONLINE, 12),
                    member("s3", CCDR_DB_OFFLINE, 20)};
    REQUIRE(drill_source_member(info) != nullptr);
    CHECK(drill_source_member(info)->server_id == "s2");
    info.members[0].is_local = true;
    CHECK(drill_source_member(info)->server_id == "s1");
    info.members[0].state = CCDR_DB_STORE_COPYING;
    CHECK(drill_source_member(info)->server_id == "s2");
    info.members[1].state = CCDR_DB_UNKNOWN;
    info.members[0].state = CCDR_DB_OFFLINE;
    CHECK(drill_source_member(info) == nullptr);
}

TEST_CASE("createDrillDatabase refuses bad calls with the reason and creates nothing", "[drill]") {
    MemoryHost host("s1", {});
    create(host, "foo-replica", CCDR_KIND_REPLICA);
    create(host, "plain", CCDR_KIND_STANDARD);
    DrillProcedure p(HostHandle(ccdr::host_api(), host.ctx()), quiet());
    const Value replica("foo-replica");
    const Value drill("foo-drill");

    CHECK_THAT(failure(p, {replica}), Contains("expected 2 or 3 arguments"));
    CHECK_THAT(failure(p, {replica, drill, Value(ValueMap{}), Value(1)}), Contains("expected 2 or 3 arguments"));
    CHECK_THAT(failure(p, {Value(int64_t{42}), drill}), Contains("replicaDatabaseName must be a STRING"));
    CHECK_THAT(failure(p, {replica, Value("bad name!")}), Contains("drillDatabaseName"));
    CHECK_THAT(failure(p, {replica, drill, Value("x")}), Contains("options must be a MAP"));
    CHECK_THAT(failure(p, {replica, drill, Value(ValueMap{{"colour", Value("red")}})}),
               Contains("unknown option 'colour' (the options are: primaries, secondaries)"));
    CHECK_THAT(failure(p, {replica, drill, Value(ValueMap{{"primaries", Value(int64_t{0})}})}),
               Contains("primar"));
    CHECK_THAT(failure(p, {replica, drill, Value(ValueMap{{"secondaries", Value(int64_t{-1})}})}),
               Contains("secondar"));
    CHECK_THAT(failure(p, {Value("nosuch"), drill}), Contains("database 'nosuch' does not exist; nothing was created"));
    CHECK_THAT(failure(p, {Value("plain"), drill}),
               Contains("'plain' is a standard database, not a replica: a drill copies a replica"));
    CHECK_THAT(failure(p, {replica, Value("plain")}), Contains("database 'plain' already exists"));
    // The in-memory host implements no copy: the host's own refusal, named.
    CHECK_THAT(failure(p, {replica, drill}),
               Contains("cannot create the drill 'foo-drill' from 'foo-replica': this host cannot copy a database"));
    CHECK_FALSE(host.database_info("foo-drill").is_ok());
}

TEST_CASE("createDrillDatabase on a host of ABI 1.1: unsupported, named, nothing called", "[drill][version]") {
    MemoryHost host("s1", {});
    create(host, "foo-replica", CCDR_KIND_REPLICA);
    ccdr_host_api older = *ccdr::host_api();
    older.hdr.minor = 1;
    older.hdr.struct_size = static_cast<uint32_t>(offsetof(ccdr_host_api, set_database_access));
    HostHandle h(&older, host.ctx());
    CHECK_FALSE(h.has_copy_database());
    DrillProcedure p(h, quiet());
    auto r = p.call({Value("foo-replica"), Value("foo-drill")});
    REQUIRE_FALSE(r.is_ok());
    CHECK_THAT(r.status().message(), Contains("needs 1.2 with copy_database"));
    CHECK_FALSE(host.database_info("foo-drill").is_ok());
}

// internal.dbms.promotionReport (procedures/promotion_report.hpp): the
// upstream position (answered now, or last heard by this server's member),
// the per-member rows and their risk, and every refused call, against the
// in-memory host with a scripted upstream probe and member status.
#include "procedures/promotion_report.hpp"
#include "support/memory_host.hpp"

#include <ccdr/host_adapter.hpp>

#include <catch2/catch.hpp>

#include <cstddef>

using ccdr::DatabaseInfo;
using ccdr::MemberInfo;
using ccdr::Status;
using ccdr::Value;
using ccdr::ValueList;
using ccdr::plugin::PromotionReport;
using ccdr::plugin::RemoteDatabaseInfo;
using ccdr::plugin::ReplicaStatus;
using ccdr::plugin::UpstreamPosition;
using ccdr::plugin::promotion_report_rows;
using ccdr::plugin::promotion_report_values;
using ccdr::plugin::upstream_position;
using ccdr::test::MemoryHost;
using Catch::Matchers::Contains;

namespace {

constexpr int64_t kT0 = 1'700'000'000'000;  // a commit time, epoch ms
constexpr int64_t kNow = kT0 + 60'000;      // this server's clock in the tests

// Columns, by name.
enum Column : size_t {
    kServerId, kAddress, kRole, kState, kLastAppliedTx, kLastAppliedTime, kUpstreamLastTx, kUpstreamLastCommitTime,
    kUpstreamHeardAt, kUpstreamAnswers, kTxAtRisk, kSecondsAtRisk, kMessage
};

RemoteDatabaseInfo answer(uint64_t last_tx, int64_t last_commit_ms, std::string store_id = "abc123",
                          uint64_t epoch = 3) {
    RemoteDatabaseInfo a;
    a.address = "127.0.0.1:6000";
    a.cluster_id = "cluster-a";
    a.name = "foo";
    a.exists = true;
    a.online = true;
    a.store_id = std::move(store_id);
    a.epoch = epoch;
    a.last_tx = last_tx;
    a.last_commit_ms = last_commit_ms;
    return a;
}

ReplicaStatus heard(uint64_t upstream_tx, int64_t commit_ms, int64_t heard_ms) {
    ReplicaStatus s;
    s.state = CCDR_REPLICA_DISCONNECTED;
    s.message = "disconnected: 127.0.0.1:6000: connection refused; retrying in 500 ms";
    s.upstream_known = true;
    s.upstream_last_tx = upstream_tx;
    s.upstream_last_commit_ms = commit_ms;
    s.upstream_heard_ms = heard_ms;
    return s;
}

DatabaseInfo replica_info() {
    DatabaseInfo info;
    info.name = "foo-replica";
    info.kind = CCDR_KIND_REPLICA;
    info.store_id = "abc123";
    info.epoch = 3;
    // Out of order on purpose: rows come ordered by server id.
    info.members = {
        MemberInfo{"s3", "127.0.0.1:7689", "127.0.0.1:6689", CCDR_ROLE_SECONDARY, false, CCDR_DB_ONLINE, false, 7,
                   kT0 + 7'000},
        MemberInfo{"s1", "127.0.0.1:7687", "127.0.0.1:6687", CCDR_ROLE_PRIMARY, false, CCDR_DB_ONLINE, true, 10,
                   kT0 + 10'000},
        MemberInfo{"s2", "127.0.0.1:7688", "127.0.0.1:6688", CCDR_ROLE_PRIMARY, false, CCDR_DB_OFFLINE, false, 4, 0},
    };
    return info;
}

const char* kName = "internal.dbms.promotionReport";

// The procedure on a one-server in-memory host holding the replica
// `foo-replica` (lineage abc123/3, link to foo at 127.0.0.1:6000) with
// `applied` transactions committed at kT0 + id seconds, and `standard-db`.
struct Fixture {
    MemoryHost host{"b1", {{"server.bolt.listen_address", "127.0.0.1:7687"}}};
    ccdr::Result<RemoteDatabaseInfo> probe_answer = answer(0, 0);
    std::optional<ReplicaStatus> member;  // this server's replica member; none by default
    int probes = 0;
    std::unique_ptr<PromotionReport> report;

    explicit Fixture(uint64_t applied = 5) {
        ccdr::DatabaseSpec spec;
        spec.name = "foo-replica";
        spec.kind = CCDR_KIND_REPLICA;
        spec.store_id = "abc123";
        spec.epoch = 3;
        spec.options = {{"replicaConfig",
                         Value::map({{"remote", "foo"}, {"addresses", Value::list({"127.0.0.1:6000"})}})}};
        REQUIRE(host.create_database(spec));
        std::vector<std::vector<uint8_t>> payloads(applied, std::vector<uint8_t>{1, 2, 3});
        std::vector<ccdr_tx> txs;
        for (uint64_t id = 1; id <= applied; ++id) {
            txs.push_back(ccdr_tx{id, kT0 + static_cast<int64_t>(id) * 1000,
                                  ccdr_bytes{payloads[id - 1].data(), payloads[id - 1].size()}});
        }
        REQUIRE(host.apply_batch("foo-replica", txs));
        ccdr::DatabaseSpec standard;
        standard.name = "standard-db";
        REQUIRE(host.create_database(standard));
        report = std::make_unique<PromotionReport>(
            ccdr::HostHandle(ccdr::host_api(), host.ctx()),
            [this](const ccdr::plugin::ReplicaConfig& link) {
                ++probes;
                CHECK(link.remote == "foo");
                CHECK(link.addresses == std::vector<std::string>{"127.0.0.1:6000"});
                return probe_answer;
            },
            [this](const std::string& database) {
                CHECK(database == "foo-replica");
                return member;
            },
            [] { return kNow; });
        REQUIRE(report->register_with_host());
    }

    ccdr::Result<std::vector<ValueList>> call(ValueList args, bool admin = true) {
        return host.call_procedure(kName, std::move(args), admin);
    }
};

}  // namespace

TEST_CASE("promotion report: an answering upstream, per member risk in transactions and seconds",
          "[procedures][promotion]") {
    const auto info = replica_info();
    const auto up = upstream_position(info, "foo", answer(12, kT0 + 12'500), std::nullopt, kNow);
    CHECK(up.known);
    CHECK(up.answers);
    CHECK(up.last_tx == 12);
    CHECK(up.last_commit_ms == kT0 + 12'500);
    CHECK(up.heard_at_ms == kNow);
    CHECK_THAT(up.message, Contains("upstream server 127.0.0.1:6000 answered"));

    auto local = heard(11, kT0 + 11'000, kNow - 900);
    local.state = CCDR_REPLICA_STREAMING;
    local.message = "streaming from 127.0.0.1:6000";
    const auto rows = promotion_report_rows(info, up, local);
    REQUIRE(rows.size() == 3);
    CHECK(rows[0].server_id == "s1");
    CHECK(rows[1].server_id == "s2");
    CHECK(rows[2].server_id == "s3");

    const auto s1 = promotion_report_values(rows[0]);
    CHECK(s1[kAddress] == Value("127.0.0.1:7687"));
    CHECK(s1[kRole] == Value("primary"));
    CHECK(s1[kState] == Value("online"));
    CHECK(s1[kLastAppliedTx] == Value(int64_t{10}));
    CHECK(s1[kLastAppliedTime] == Value(kT0 + 10'000));
    CHECK(s1[kUpstreamLastTx] == Value(int64_t{12}));
    CHECK(s1[kUpstreamLastCommitTime] == Value(kT0 + 12'500));
    CHECK(s1[kUpstreamHeardAt] == Value(kNow));
    CHECK(s1[kUpstreamAnswers] == Value(true));
    CHECK(s1[kTxAtRisk] == Value(int64_t{2}));
    CHECK(s1[kSecondsAtRisk] == Value(2.5));
    // The local member's own status is on its row only.
    CHECK_THAT(s1[kMessage].as_string(), Contains("this server's member: streaming from 127.0.0.1:6000"));

    // An offline member without a known commit time: tx at risk, seconds unknown.
    const auto s2 = promotion_report_values(rows[1]);
    CHECK(s2[kState] == Value("offline"));
    CHECK(s2[kLastAppliedTime].is_null());
    CHECK(s2[kTxAtRisk] == Value(int64_t{8}));
    CHECK(s2[kSecondsAtRisk].is_null());
    CHECK_THAT(s2[kMessage].as_string(), Contains("secondsAtRisk unknown") && Contains("member is offline"));
    CHECK_THAT(s2[kMessage].as_string(), !Contains("this server's member"));

    const auto s3 = promotion_report_values(rows[2]);
    CHECK(s3[kRole] == Value("secondary"));
    CHECK(s3[kTxAtRisk] == Value(int64_t{5}));
    CHECK(s3[kSecondsAtRisk] == Value(5.5));
}

TEST_CASE("promotion report: a member caught up has nothing at risk, even ahead of the answer",
          "[procedures][promotion]") {
    auto info = replica_info();
    info.members.resize(2);  // s3 at tx 7, s1 at tx 10
    const auto up = upstream_position(info, "foo", answer(7, kT0 + 7'000), std::nullopt, kNow);
    const auto rows = promotion_report_rows(info, up, std::nullopt);
    REQUIRE(rows.size() == 2);
    for (const auto& r : rows) {
        const auto v = promotion_report_values(r);
        CHECK(v[kTxAtRisk] == Value(int64_t{0}));
        CHECK(v[kSecondsAtRisk] == Value(0.0));
    }
}

TEST_CASE("promotion report: the upstream's position is at least what this server's member heard",
          "[procedures][promotion]") {
    const auto info = replica_info();
    // The answering upstream server is behind the one the member pulls from.
    const auto up = upstream_position(info, "foo", answer(9, kT0 + 9'000), heard(12, kT0 + 12'000, kNow - 300), kNow);
    CHECK(up.answers);
    CHECK(up.last_tx == 12);
    CHECK(up.last_commit_ms == kT0 + 12'000);
    CHECK(up.heard_at_ms == kNow - 300);
    CHECK_THAT(up.message, Contains("with tx 9") && Contains("heard tx 12 earlier"));
    // Behind the answer: the answer stands.
    const auto newer = upstream_position(info, "foo", answer(14, kT0 + 14'000), heard(12, kT0 + 12'000, kNow - 300),
                                         kNow);
    CHECK(newer.last_tx == 14);
    CHECK(newer.heard_at_ms == kNow);
}

TEST_CASE("promotion report: no usable answer falls back to the position last heard", "[procedures][promotion]") {
    const auto info = replica_info();
    const auto local = heard(12, kT0 + 12'000, kNow - 20'000);
    struct Case {
        const char* what;
        ccdr::Result<RemoteDatabaseInfo> answer;
        const char* reason;
    };
    auto refused = answer(20, kT0);
    refused.refusal = "database 'foo' is not in ccdr.upstream.allowed_databases of server a1";
    auto missing = answer(0, 0);
    missing.exists = false;
    auto offline = answer(20, kT0);
    offline.online = false;
    const std::vector<Case> cases = {
        {"unreachable", Status(CCDR_IO_ERROR, "127.0.0.1:6000: Connection refused"),
         "the upstream did not answer: 127.0.0.1:6000: Connection refused"},
        {"another store", answer(20, kT0 + 20'000, "zzz999", 3), "has another lineage of 'foo' (store id zzz999"},
        {"another epoch", answer(20, kT0 + 20'000, "abc123", 4), "epoch 4; the replica follows store id abc123, epoch 3"},
        {"refused", refused, "refuses 'foo': database 'foo' is not in ccdr.upstream.allowed_databases"},
        {"no such database", missing, "has a database 'foo'"},
        {"offline", offline, "'foo' is not online"},
    };
    for (const auto& c : cases) {
        INFO(c.what);
        const auto up = upstream_position(info, "foo", c.answer, local, kNow);
        CHECK(up.known);
        CHECK_FALSE(up.answers);
        CHECK(up.last_tx == 12);
        CHECK(up.last_commit_ms == kT0 + 12'000);
        CHECK(up.heard_at_ms == kNow - 20'000);
        CHECK_THAT(up.message, Contains(c.reason) && Contains("position last heard by this server's member"));
        const auto v = promotion_report_values(promotion_report_rows(info, up, local)[0]);
        CHECK(v[kUpstreamAnswers] == Value(false));
        CHECK(v[kUpstreamHeardAt] == Value(kNow - 20'000));
        CHECK(v[kTxAtRisk] == Value(int64_t{2}));
        CHECK(v[kSecondsAtRisk] == Value(2.0));
        CHECK_THAT(v[kMessage].as_string(), Contains("this server's member: disconnected"));
    }
}

TEST_CASE("promotion report: nothing answered and nothing heard leaves the upstream and the risk NULL",
          "[procedures][promotion]") {
    const auto info = replica_info();
    const Status down(CCDR_IO_ERROR, "127.0.0.1:6000: Connection refused");
    ReplicaStatus silent;  // a member that has heard nothing yet
    silent.state = CCDR_REPLICA_CREATING;
    for (const auto& local : {std::optional<ReplicaStatus>{}, std::optional<ReplicaStatus>{silent}}) {
        const auto up = upstream_position(info, "foo", down, local, kNow);
        CHECK_FALSE(up.known);
        CHECK_FALSE(up.answers);
        CHECK_THAT(up.message, Contains("this server has heard no upstream position"));
        CHECK_THAT(up.message, Contains(local ? "has not heard one yet" : "runs no member of 'foo-replica'"));
        for (const auto& r : promotion_report_rows(info, up, local)) {
            const auto v = promotion_report_values(r);
            CHECK(v[kLastAppliedTx].is_int());
            CHECK(v[kUpstreamLastTx].is_null());
            CHECK(v[kUpstreamLastCommitTime].is_null());
            CHECK(v[kUpstreamHeardAt].is_null());
            CHECK(v[kUpstreamAnswers] == Value(false));
            CHECK(v[kTxAtRisk].is_null());
            CHECK(v[kSecondsAtRisk].is_null());
        }
    }
}

TEST_CASE("promotionReport through the host: the member's applied position and commit time against the upstream",
          "[procedures][promotion]") {
    Fixture f(5);  // applied tx 5, committed at kT0 + 5 s
    f.probe_answer = answer(8, kT0 + 8'250);
    auto r = f.call({"Foo-Replica"});  // names are case-insensitive
    REQUIRE(r);
    REQUIRE(r->size() == 1);
    const ValueList& row = r->front();
    REQUIRE(row.size() == 13);
    CHECK(row[kServerId] == Value("b1"));
    CHECK(row[kAddress] == Value("127.0.0.1:7687"));
    CHECK(row[kRole] == Value("primary"));
    CHECK(row[kState] == Value("online"));
    CHECK(row[kLastAppliedTx] == Value(int64_t{5}));
    CHECK(row[kLastAppliedTime] == Value(kT0 + 5'000));
    CHECK(row[kUpstreamLastTx] == Value(int64_t{8}));
    CHECK(row[kUpstreamLastCommitTime] == Value(kT0 + 8'250));
    CHECK(row[kUpstreamHeardAt] == Value(kNow));
    CHECK(row[kUpstreamAnswers] == Value(true));
    CHECK(row[kTxAtRisk] == Value(int64_t{3}));
    CHECK(row[kSecondsAtRisk] == Value(3.25));
    CHECK(f.probes == 1);

    // The upstream gone: this server's member's last heard position.
    f.probe_answer = Status(CCDR_IO_ERROR, "no upstream address answered (127.0.0.1:6000: Connection refused)");
    f.member = heard(6, kT0 + 6'000, kNow - 4'000);
    r = f.call({"foo-replica"});
    REQUIRE(r);
    REQUIRE(r->size() == 1);
    CHECK(r->front()[kUpstreamAnswers] == Value(false));
    CHECK(r->front()[kUpstreamLastTx] == Value(int64_t{6}));
    CHECK(r->front()[kUpstreamHeardAt] == Value(kNow - 4'000));
    CHECK(r->front()[kTxAtRisk] == Value(int64_t{1}));
    CHECK(r->front()[kSecondsAtRisk] == Value(1.0));
    CHECK_THAT(r->front()[kMessage].as_string(), Contains("Connection refused") && Contains("retrying in 500 ms"));
}

TEST_CASE("bad promotionReport calls are refused with their reason, ask no upstream and change nothing",
          "[procedures][promotion]") {
    struct Case {
        const char* what;
        ValueList args;
        bool admin;
        ccdr_status code;
        const char* reason;
    };
    const std::vector<Case> cases = {
        {"no argument", {}, true, CCDR_PROCEDURE_CALL_FAILED, "required number of arguments"},
        {"two arguments", {"foo-replica", "x"}, true, CCDR_PROCEDURE_CALL_FAILED, "required number of arguments"},
        {"not a string", {int64_t{42}}, true, CCDR_PROCEDURE_CALL_FAILED, "expected STRING"},
        {"null", {Value()}, true, CCDR_PROCEDURE_CALL_FAILED, "databaseName must be a STRING"},
        {"bad name", {"bad name!"}, true, CCDR_PROCEDURE_CALL_FAILED, "invalid database name 'bad name!'"},
        {"no such database", {"no-such-db"}, true, CCDR_PROCEDURE_CALL_FAILED, "database 'no-such-db' does not exist"},
        {"standard database", {"standard-db"}, true, CCDR_PROCEDURE_CALL_FAILED,
         "'standard-db' is a standard database, not a replica; nothing is at risk"},
        {"system database", {"SYSTEM"}, true, CCDR_PROCEDURE_CALL_FAILED,
         "'system' is the system database, not a replica; nothing is at risk"},
        {"not an admin", {"foo-replica"}, false, CCDR_FORBIDDEN, "not allowed for user 'reader'"},
    };
    for (const auto& c : cases) {
        Fixture f;
        const auto before = f.host.member("foo-replica");
        auto r = f.call(c.args, c.admin);
        INFO(c.what << ": " << (r ? std::string("(succeeded)") : r.status().message()));
        REQUIRE_FALSE(r);
        CHECK(r.status().code() == c.code);
        CHECK_THAT(r.status().message(), Contains(c.reason));
        CHECK(f.probes == 0);
        const auto after = f.host.member("foo-replica");
        REQUIRE(after);
        CHECK(after->kind == CCDR_KIND_REPLICA);
        CHECK(after->last_tx == before->last_tx);
        CHECK(after->options == before->options);
    }
}

TEST_CASE("promotionReport on a stopped plugin says so", "[procedures][promotion]") {
    Fixture f;
    f.probe_answer = Status(CCDR_STOPPED, "the ccdr plugin is not started on server b1");
    auto r = f.call({"foo-replica"});
    REQUIRE_FALSE(r);
    CHECK(r.status().code() == CCDR_PROCEDURE_CALL_FAILED);
    CHECK_THAT(r.status().message(), Contains("cannot report on 'foo-replica': the ccdr plugin is not started"));
}

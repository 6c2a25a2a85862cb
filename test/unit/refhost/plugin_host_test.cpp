// The host side of the ABI with a real plugin loaded (test_procs_plugin):
// settings validation, procedures, the commit-path veto, describe_database,
// events, metrics; and the host vtable driven as a plugin drives it.
#include "metrics/metrics_service.hpp"
#include "plugin_host/server_host.hpp"
#include "store/change_record.hpp"
#include "support/refhost_home.hpp"

#include <ccdr/host_handle.hpp>

#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

using namespace refhost;
using refhost::test::admin;
using refhost::test::TempHome;

namespace {

std::string slurp(const std::filesystem::path& p) {
    std::ifstream in(p);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

double metric(Runtime& rt, const std::string& name, size_t server) {
    double out = -1;
    rt.cluster().collect_metrics(server, [&](std::string_view n, ccdr_metric_type, double v) {
        if (n == name) {
            out = v;
        }
    });
    return out;
}

}  // namespace

TEST_CASE("plugin settings: declared keys validated by the plugin, undeclared ones refused", "[refhost][plugin]") {
    TempHome home(1, {"ccdr.test.mode=sideways"});
    home.add_plugin(CCDR_TEST_PROCS_PLUGIN);
    auto bad = Runtime::start(home.path(), {});
    REQUIRE_FALSE(bad.is_ok());
    CHECK(bad.status().message().find("ccdr.test.mode='sideways': expected on or off") != std::string::npos);
    CHECK(bad.status().message().find("neo4j.conf line") != std::string::npos);

    auto lines = home.conf_lines();
    lines.back() = "ccdr.not.declared=1";
    home.write_conf(lines);
    auto unknown = Runtime::start(home.path(), {});
    REQUIRE_FALSE(unknown.is_ok());
    CHECK(unknown.status().message().find("ccdr.not.declared='1'") != std::string::npos);
    CHECK(unknown.status().message().find("no loaded plugin declares it; loaded plugins: test-procs 1.0") !=
          std::string::npos);

    lines.back() = "ccdr.test.mode=off";
    home.write_conf(lines);
    auto good = Runtime::start(home.path(), {});
    REQUIRE(good.is_ok());
    CHECK(*good.value()->cluster().config().get("ccdr.test.mode") == "off");
}

TEST_CASE("a plugin that is not loadable refuses the start", "[refhost][plugin]") {
    TempHome home;
    std::ofstream(home.path() / "plugins" / "broken.so") << "not an ELF file";
    auto rt = Runtime::start(home.path(), {});
    REQUIRE_FALSE(rt.is_ok());
    CHECK(rt.status().message().find("broken.so") != std::string::npos);
    CHECK(rt.status().message().find("no ELF header") != std::string::npos);
}

TEST_CASE("plugin procedures through DbmsApi", "[refhost][plugin]") {
    TempHome home;
    home.add_plugin(CCDR_TEST_PROCS_PLUGIN);
    auto rt = home.start();
    DbmsApi& dbms = rt->dbms();
    auto procs = dbms.plugin_procedures(0);
    REQUIRE(procs.size() == 2);
    CHECK(procs[0].name == "test.echo");
    CHECK(procs[0].signature.find("test.echo(name :: STRING, count :: INTEGER") == 0);
    CHECK(procs[1].admin_only);

    std::vector<List> rows;
    auto cols = dbms.call_plugin_procedure(0, "test.echo", List{Value("a"), Value(2.0), Value(Map{{"k", Value(1)}})},
                                           admin(), "neo4j", [&](List row) { rows.push_back(std::move(row)); });
    REQUIRE(cols.ok());
    CHECK(cols.value() == std::vector<std::string>{"argument", "type", "value", "user"});
    REQUIRE(rows.size() == 4);
    CHECK(rows[1][1] == Value("INTEGER"));  // 2.0 bound to INTEGER
    CHECK(rows[0][3] == Value("neo4j"));

    AuthUser reader{"r", {"reader", "PUBLIC"}};
    auto forbidden = dbms.call_plugin_procedure(0, "test.fail", {}, reader, "neo4j", [](List) {});
    REQUIRE_FALSE(forbidden.ok());
    CHECK(forbidden.error().code == "Neo.ClientError.Security.Forbidden");
    CHECK(forbidden.error().message == "Executing procedure is not allowed for user 'r' with roles [PUBLIC, reader].");
    auto failed = dbms.call_plugin_procedure(0, "test.fail", {}, admin(), "neo4j", [](List) {});
    REQUIRE_FALSE(failed.ok());
    CHECK(failed.error().code == "Neo.ClientError.Procedure.ProcedureCallFailed");
    CHECK(failed.error().message == "Failed to invoke procedure `test.fail`: Caused by: test.fail: failing on purpose");
    auto missing = dbms.call_plugin_procedure(0, "test.nope", {}, admin(), "neo4j", [](List) {});
    REQUIRE_FALSE(missing.ok());
    CHECK(missing.error().code == "Neo.ClientError.Procedure.ProcedureNotFound");
    auto wrong = dbms.call_plugin_procedure(0, "test.echo", List{Value(1)}, admin(), "neo4j", [](List) {});
    REQUIRE_FALSE(wrong.ok());
    CHECK(wrong.error().code == "Neo.ClientError.Procedure.ProcedureCallFailed");
    auto temporal = dbms.call_plugin_procedure(0, "test.echo", List{Value(Date{1}), Value(1), Value(Map{})}, admin(),
                                               "neo4j", [](List) {});
    REQUIRE_FALSE(temporal.ok());
    CHECK(temporal.error().message.find("DATE") != std::string::npos);
}

TEST_CASE("the plugin's veto comes before NotALeader, and nothing is written", "[refhost][plugin]") {
    TempHome home(3);
    home.add_plugin(CCDR_TEST_PROCS_PLUGIN);
    auto rt = home.start();
    Cluster& c = rt->cluster();
    REQUIRE(c.create_database("robase", false, TopologyRequest{2, 1}, true).ok());
    for (const auto& m : c.database("robase")->members) {
        auto tx = c.begin(m->server(), "robase", AccessMode::Write, admin(), {}, std::chrono::milliseconds(100));
        REQUIRE(tx.ok());
        auto n = tx.value()->graph().create_node({"X"}, {});
        REQUIRE_FALSE(n.ok());
        CHECK(n.error().code == "Neo.ClientError.General.ForbiddenOnReadOnlyDatabase");
        CHECK(n.error().gql_status == "08N08");
        CHECK(n.error().message == "No write operations are allowed on this database. (robase)");
        CHECK_FALSE(tx.value()->graph().has_writes());
    }
    CHECK(metric(*rt, "test.vetoes", 0) >= 1);
    for (const auto& m : c.database("robase")->members) {
        CHECK(m->last_tx() == 0);
    }
}

TEST_CASE("after_commit reaches every member's server, events, describe_database", "[refhost][plugin]") {
    TempHome home(3, {"initial.dbms.default_primaries_count=3"});
    home.add_plugin(CCDR_TEST_PROCS_PLUGIN);
    auto rt = home.start();
    Cluster& c = rt->cluster();
    size_t w = c.database("neo4j")->writer()->server();
    for (int i = 0; i < 3; ++i) {
        auto tx = c.begin(w, "neo4j", AccessMode::Write, admin(), {}, std::chrono::milliseconds(100));
        REQUIRE(tx.value()->graph().create_node({"N"}, {}).ok());
        REQUIRE(tx.value()->commit().ok());
    }
    for (size_t s = 0; s < 3; ++s) {
        CHECK(metric(*rt, "test.last_tx", s) == 3);
        CHECK(metric(*rt, "test.events", s) >= 2);  // STARTED for neo4j and system
        CHECK(metric(*rt, "database.neo4j.transaction.last_committed_tx_id", s) == 3);
    }
    auto rows = c.show_databases(0, std::string("neo4j"), admin());
    REQUIRE(rows.ok());
    for (const auto& r : rows.value()) {
        CHECK(r.status_message == "pulling neo4j");
        CHECK(r.replication_lag == 3);
    }
    std::string log = slurp(rt->debug_log().path());
    CHECK(log.find("[test-procs/server-2] test plugin started") != std::string::npos);
    CHECK(log.find("INFO  [refhost] loaded plugin test-procs 1.0") != std::string::npos);
    rt->stop();
    log = slurp(home.path() / "logs" / "debug.log");
    CHECK(log.find("[test-procs/server-3] test plugin stopped") != std::string::npos);
}

TEST_CASE("the host vtable, driven as a plugin drives it", "[refhost][plugin]") {
    TempHome home(2, {"db.tx_log.rotation.retention_policy=5 txs"});
    home.add_plugin(CCDR_TEST_PROCS_PLUGIN);
    auto rt = home.start();
    Cluster& c = rt->cluster();
    auto log = rt->debug_log().logger("probe/server-2");
    ServerHost server(c, rt->plugins(), 1, 0, "probe", log);
    ccdr::HostHandle host(ccdr::host_api(), server.ctx());

    CHECK(*host.get_setting("server.bolt.listen_address") == home.bolt(1));
    CHECK(*host.get_setting("ccdr.test.mode") == "on");
    CHECK(host.get_setting("server.directories.data")->front() == '/');
    CHECK(host.get_setting("no.such.key").status().code() == CCDR_INVALID_ARGUMENT);
    auto info = host.server_info();
    REQUIRE(info.is_ok());
    CHECK(info->server_id == c.server_id(1));
    CHECK(info->cluster_id == c.cluster_id());
    CHECK(std::filesystem::is_directory(info->data_directory));
    CHECK(info->data_directory.find("/data/servers/server-2/plugins/probe") != std::string::npos);
    ccdr_procedure_def def{};
    def.hdr = ccdr_header CCDR_HEADER_INIT(ccdr_procedure_def);
    def.name = ccdr::to_abi("probe.late");
    def.fn = [](void*, const ccdr_call_info*, const ccdr_value*, size_t, const ccdr_row_sink*, ccdr_error*) {
        return CCDR_OK;
    };
    def.mode = CCDR_MODE_READ;
    CHECK(host.register_procedure(def).code() == CCDR_INVALID_ARGUMENT);

    ccdr::DatabaseSpec spec;
    spec.name = "rep-db";
    spec.kind = CCDR_KIND_REPLICA;
    spec.primaries = 1;
    spec.secondaries = 1;
    spec.options = {{"remote", ccdr::Value("foo")}};
    REQUIRE(host.create_database(spec).is_ok());
    CHECK(host.create_database(spec).code() == CCDR_INVALID_ARGUMENT);
    auto db = host.database_info("rep-db");
    REQUIRE(db.is_ok());
    CHECK(db->kind == CCDR_KIND_REPLICA);
    REQUIRE(db->members.size() == 2);
    int local = 0;
    for (const auto& m : db->members) {
        CHECK_FALSE(m.is_writer);
        local += m.is_local ? 1 : 0;
    }
    CHECK(local == 1);
    CHECK(host.get_database_option("rep-db", "remote")->as_string() == "foo");

    std::vector<std::vector<uint8_t>> payloads;
    std::vector<ccdr_tx> txs;
    for (int i = 0; i < 20; ++i) {
        ChangeRecordWriter w;
        w.create_node(i, {"R"}, {});
        payloads.push_back(w.bytes());
    }
    for (int i = 0; i < 20; ++i) {
        txs.push_back(ccdr_tx{static_cast<uint64_t>(i + 1), 1000 + i, ccdr_bytes{payloads[i].data(), payloads[i].size()}});
    }
    REQUIRE(host.apply_batch("rep-db", txs).is_ok());
    CHECK(metric(*rt, "test.last_tx", 1) == 20);  // after_commit once, with the last id
    auto bounds = host.log_info("rep-db");
    REQUIRE(bounds.is_ok());
    CHECK(bounds->last_committed_tx == 20);
    c.prune_logs();
    CHECK(host.log_info("rep-db")->oldest_retained_tx == 16);
    size_t visited = 0;
    auto st = host.read_log("rep-db", 3, 1 << 20, [&](const ccdr_tx&) {
        ++visited;
        return CCDR_OK;
    });
    CHECK(st.code() == CCDR_LOG_PRUNED);
    CHECK(visited == 0);
    st = host.read_log("rep-db", 16, 1 << 20, [&](const ccdr_tx&) {
        ++visited;
        return visited == 2 ? CCDR_STOPPED : CCDR_OK;
    });
    CHECK(st.is_ok());
    CHECK(visited == 2);

    REQUIRE(host.set_database_kind("rep-db", CCDR_KIND_STANDARD, 9).is_ok());
    CHECK(host.database_info("rep-db")->epoch == 9);
    REQUIRE(host.drop_database("rep-db").is_ok());
    CHECK(host.database_info("rep-db").status().code() == CCDR_DATABASE_NOT_FOUND);
}

// The refhost program as an operator runs it: every bad setting class
// refused with its message (table-driven), the real libccdr.so loaded and
// logging into debug.log, graceful SIGTERM, the offline user commands.
#include "support/child_process.hpp"
#include "support/refhost_home.hpp"

#include <catch2/catch.hpp>

#include <csignal>
#include <fstream>
#include <sstream>

using namespace refhost;
using refhost::test::ChildProcess;
using refhost::test::TempHome;

namespace {

std::string slurp(const std::filesystem::path& p) {
    std::ifstream in(p);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

}  // namespace

TEST_CASE("bad settings stop the start, naming key, value and reason", "[refhost][process]") {
    struct Case {
        const char* what;
        std::vector<std::string> lines;
        std::vector<std::string> env;
        bool with_ccdr;
        std::vector<std::string> expect;  // substrings of stderr
    };
    const std::vector<Case> cases = {
        {"unknown key", {"dbms.made_up=1"}, {}, false, {"dbms.made_up='1'", "unknown setting", "neo4j.conf line"}},
        {"malformed address", {"server.metrics.prometheus.endpoint=nowhere"}, {}, false,
         {"server.metrics.prometheus.endpoint='nowhere'", "expected an address host:port"}},
        {"malformed boolean", {"dbms.security.auth_enabled=maybe"}, {}, false,
         {"dbms.security.auth_enabled='maybe'", "expected a boolean"}},
        {"malformed duration", {"server.metrics.csv.interval=often"}, {}, false,
         {"server.metrics.csv.interval='often'", "expected a duration"}},
        {"malformed enum", {"dbms.ssl.policy.cluster.client_auth=SOMETIMES"}, {}, false,
         {"dbms.ssl.policy.cluster.client_auth='SOMETIMES'", "expected one of NONE, OPTIONAL, REQUIRE"}},
        {"malformed size", {"server.metrics.csv.rotation.size=big"}, {}, false,
         {"server.metrics.csv.rotation.size='big'", "expected a size"}},
        {"malformed integer", {"initial.dbms.default_secondaries_count=-1"}, {}, false,
         {"initial.dbms.default_secondaries_count='-1'", "expected an integer from 0 to 20"}},
        {"malformed retention", {"db.tx_log.rotation.retention_policy=forever"}, {}, false,
         {"db.tx_log.rotation.retention_policy='forever'", "expected keep_all"}},
        {"missing certificate", {"dbms.ssl.policy.cluster.enabled=true"}, {}, false,
         {"dbms.ssl.policy.cluster.base_directory='certificates/cluster'", "does not exist"}},
        {"malformed environment override", {}, {"NEO4J_dbms_routing__ttl=soon"}, false,
         {"dbms.routing_ttl='soon'", "environment variable NEO4J_dbms_routing__ttl", "expected a duration"}},
        {"unknown ccdr key", {"ccdr.made_up=1"}, {}, true,
         {"ccdr.made_up='1'", "no loaded plugin declares it"}},
        {"malformed ccdr size", {"ccdr.batch.max_bytes=lots"}, {}, true,
         {"ccdr.batch.max_bytes='lots'", "expected a size", "refused by plugin ccdr"}},
        {"ccdr value out of range", {"ccdr.heartbeat.interval=2h"}, {}, true,
         {"ccdr.heartbeat.interval='2h'", "must be from"}},
        {"unsatisfiable default topology", {"initial.dbms.default_primaries_count=2"}, {}, false,
         {"Cannot create the default database 'neo4j'", "Cannot allocate 2 primaries: only 1 server allows"}},
    };
    for (const auto& c : cases) {
        INFO(c.what);
        TempHome home(1, c.lines);
        if (c.with_ccdr) {
            home.add_plugin(CCDR_PLUGIN_PATH);
        }
        ChildProcess p({REFHOST_BINARY, "--home", home.path().string()}, home.path(), c.env);
        auto code = p.wait_exit(std::chrono::seconds(30));
        REQUIRE(code.has_value());
        CHECK(*code == 1);
        std::string err = p.err();
        INFO("stderr: " << err);
        for (const auto& e : c.expect) {
            CHECK(err.find(e) != std::string::npos);
        }
        CHECK(p.out().find("cluster ready") == std::string::npos);
    }
}

TEST_CASE("a plugin that fails to load refuses the start", "[refhost][process]") {
    TempHome home;
    home.add_plugin(CCDR_TEST_PLUGIN_MAJOR2);
    ChildProcess p({REFHOST_BINARY, "--home", home.path().string()}, home.path());
    auto code = p.wait_exit(std::chrono::seconds(30));
    REQUIRE(code.has_value());
    CHECK(*code == 1);
    CHECK(p.err().find("plugin_major2.so") != std::string::npos);
    CHECK(p.err().find("2.0") != std::string::npos);
}

TEST_CASE("the real libccdr.so in a real refhost process", "[refhost][process]") {
    TempHome home(3, {"ccdr.batch.max_bytes=2MiB", "initial.dbms.default_primaries_count=3"});
    home.add_plugin(CCDR_PLUGIN_PATH);
    ChildProcess p({REFHOST_BINARY, "--home", home.path().string()}, home.path());
    REQUIRE(p.wait_for_stdout("refhost: cluster ready: 3 servers\n", std::chrono::seconds(60)));
    std::string log = slurp(home.path() / "logs" / "debug.log");
    CHECK(log.find("INFO  [refhost] loaded plugin ccdr") != std::string::npos);
    for (const char* server : {"server-1", "server-2", "server-3"}) {
        CHECK(log.find(std::string("[ccdr/") + server + "]") != std::string::npos);
    }
    CHECK(log.find("ccdr 0.2.0 loaded into ccdr-refhost") != std::string::npos);
    p.signal(SIGTERM);
    auto code = p.wait_exit(std::chrono::seconds(30));
    REQUIRE(code.has_value());
    CHECK(*code == 0);
    log = slurp(home.path() / "logs" / "debug.log");
    CHECK(log.find("ccdr stopped on server") != std::string::npos);
    CHECK(log.find("INFO  [refhost] stopped") != std::string::npos);
}

TEST_CASE("set-initial-password and add-user", "[refhost][process]") {
    TempHome home;
    {
        ChildProcess p({REFHOST_BINARY, "set-initial-password", "--home", home.path().string(), "s3cret-pw"},
                       home.path());
        REQUIRE(p.wait_exit(std::chrono::seconds(30)) == 0);
        CHECK(p.out() == "Changed password for user 'neo4j'.\n");
    }
    {
        ChildProcess p({REFHOST_BINARY, "add-user", "--home", home.path().string(), "--role", "reader", "alice",
                        "alice-pw"},
                       home.path());
        REQUIRE(p.wait_exit(std::chrono::seconds(30)) == 0);
    }
    {
        ChildProcess p({REFHOST_BINARY, "add-user", "--home", home.path().string(), "--role", "god", "bob", "pw"},
                       home.path());
        CHECK(p.wait_exit(std::chrono::seconds(30)) == 1);
        CHECK(p.err().find("unknown role 'god'") != std::string::npos);
    }
    {
        ChildProcess p({REFHOST_BINARY, "--home"}, home.path());
        CHECK(p.wait_exit(std::chrono::seconds(30)) == 2);
    }
    auto c = home.open_cluster();
    CHECK(c->authenticate("basic", "neo4j", "s3cret-pw").ok());
    CHECK_FALSE(c->authenticate("basic", "neo4j", "neo4j").ok());
    auto alice = c->authenticate("basic", "alice", "alice-pw");
    REQUIRE(alice.ok());
    CHECK_FALSE(alice->is_admin());
    CHECK(alice->roles == std::vector<std::string>{"reader", "PUBLIC"});
    // The password is stored hashed.
    std::string stored = c->system_db().user("alice")->password_hash;
    CHECK(stored.rfind("pbkdf2-sha256$", 0) == 0);
    CHECK(stored.find("alice-pw") == std::string::npos);
}

TEST_CASE("the version and help options", "[refhost][process]") {
    TempHome home;
    ChildProcess v({REFHOST_BINARY, "--version"}, home.path());
    REQUIRE(v.wait_exit(std::chrono::seconds(10)) == 0);
    CHECK(v.out().find("refhost Neo4j/") == 0);
    ChildProcess h({REFHOST_BINARY, "--help"}, home.path());
    REQUIRE(h.wait_exit(std::chrono::seconds(10)) == 0);
    CHECK(h.out().find("set-initial-password") != std::string::npos);
}

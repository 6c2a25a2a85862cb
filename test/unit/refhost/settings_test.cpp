// neo4j.conf parsing, environment overrides, strict validation, per-server
// keys; retention policy syntax.
#include "config/config.hpp"
#include "store/retention.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include <unistd.h>

using namespace refhost;

namespace {

struct Home {
    std::filesystem::path path;
    explicit Home(const std::string& conf) {
        path = std::filesystem::temp_directory_path() / ("refhost-settings-" + std::to_string(::getpid()) + "-" +
                                                         std::to_string(counter()++));
        std::filesystem::create_directories(path / "conf");
        std::ofstream(path / "conf" / "neo4j.conf") << conf;
    }
    ~Home() {
        std::error_code ec;
        std::filesystem::remove_all(path, ec);
    }
    static int& counter() {
        static int n = 0;
        return n;
    }
};

}  // namespace

TEST_CASE("neo4j.conf: comments, blanks, defaults, absolute directories", "[refhost][settings]") {
    Home h("# a comment\n\n  server.bolt.listen_address = 127.0.0.1:7777  \ndbms.routing.reads_on_primaries_enabled=FALSE\n");
    auto c = Config::load(h.path, {});
    REQUIRE(c.is_ok());
    CHECK(*c->get("server.bolt.listen_address") == "127.0.0.1:7777");
    CHECK(*c->get("dbms.routing.reads_on_primaries_enabled") == "false");
    CHECK(*c->get("server.cluster.listen_address") == "localhost:6000");
    CHECK(*c->get("initial.dbms.default_database") == "neo4j");
    CHECK(*c->get("dbms.routing_ttl") == "5m");
    CHECK(*c->get("dbms.ssl.policy.cluster.client_auth") == "REQUIRE");
    CHECK(*c->get("dbms.ssl.policy.cluster.tls_versions") == "TLSv1.3");
    CHECK(*c->get("server.directories.data") == (std::filesystem::absolute(h.path) / "data").lexically_normal().string());
    CHECK(*c->get("dbms.ssl.policy.cluster.private_key") ==
          (std::filesystem::absolute(h.path) / "certificates/cluster/private.key").lexically_normal().string());
    CHECK(c->servers().size() == 1);
    CHECK(c->servers()[0].bolt.port == 7777);
    CHECK_FALSE(c->get("no.such.key"));
}

TEST_CASE("environment variables override the file", "[refhost][settings]") {
    Home h("server.bolt.listen_address=127.0.0.1:7777\n");
    auto c = Config::load(h.path, {"NEO4J_server_bolt_listen__address=127.0.0.1:8888", "PATH=/bin",
                                   "NEO4J_HOME=/ignored", "NEO4J_initial_dbms_default__database=movies"});
    REQUIRE(c.is_ok());
    CHECK(*c->get("server.bolt.listen_address") == "127.0.0.1:8888");
    CHECK(*c->get("initial.dbms.default_database") == "movies");
    auto bad = Config::load(h.path, {"NEO4J_server_bolt_listen__adress=127.0.0.1:8888"});
    REQUIRE_FALSE(bad.is_ok());
    CHECK(bad.status().message().find("server.bolt.listen_adress") != std::string::npos);
    CHECK(bad.status().message().find("environment variable NEO4J_server_bolt_listen__adress") != std::string::npos);
}

TEST_CASE("every bad setting class is refused naming key, value and reason", "[refhost][settings]") {
    struct Case {
        const char* line;
        const char* reason;
    };
    const Case cases[] = {
        {"dbms.no_such_setting=1", "unknown setting"},
        {"server.bolt.listen_address=localhost", "expected an address host:port"},
        {"server.bolt.listen_address=localhost:70000", "expected an address host:port"},
        {"dbms.security.auth_enabled=yes", "expected a boolean"},
        {"dbms.routing_ttl=five minutes", "expected a duration"},
        {"dbms.routing_ttl=10ms", "must be at least 1000ms"},
        {"initial.server.mode_constraint=LEADER", "expected one of NONE, PRIMARY, SECONDARY"},
        {"initial.dbms.default_primaries_count=0", "expected an integer from 1 to 11"},
        {"initial.dbms.default_secondaries_count=two", "expected an integer"},
        {"db.tx_log.rotation.retention_policy=100 parsecs", "expected keep_all"},
        {"dbms.ssl.policy.cluster.tls_versions=TLSv1.1", "unsupported TLS version"},
        {"initial.dbms.default_database=no_underscores", "letters, digits, dots and dashes"},
        {"refhost.server.1.mode_constraint=BOTH", "expected one of"},
    };
    for (const auto& c : cases) {
        INFO(c.line);
        Home h(std::string("# first line\n") + c.line + "\n");
        auto r = Config::load(h.path, {});
        REQUIRE_FALSE(r.is_ok());
        std::string msg = r.status().message();
        std::string line = c.line;
        std::string key = line.substr(0, line.find('='));
        std::string value = line.substr(line.find('=') + 1);
        CHECK(msg.find(key + "='" + value + "'") != std::string::npos);
        CHECK(msg.find("neo4j.conf line 2") != std::string::npos);
        CHECK(msg.find(c.reason) != std::string::npos);
    }
}

TEST_CASE("a line that is not key=value is refused", "[refhost][settings]") {
    Home h("server.bolt.listen_address\n");
    auto r = Config::load(h.path, {});
    REQUIRE_FALSE(r.is_ok());
    CHECK(r.status().message().find("line 1") != std::string::npos);
}

TEST_CASE("several logical servers from refhost.server.N keys", "[refhost][settings]") {
    Home h(
        "refhost.server.1.bolt.listen_address=127.0.0.1:7001\nrefhost.server.1.cluster.listen_address=127.0.0.1:6001\n"
        "refhost.server.2.bolt.listen_address=127.0.0.1:7002\nrefhost.server.2.cluster.listen_address=127.0.0.1:6002\n"
        "refhost.server.2.mode_constraint=secondary\n");
    auto c = Config::load(h.path, {});
    REQUIRE(c.is_ok());
    REQUIRE(c->servers().size() == 2);
    CHECK(c->servers()[1].mode_constraint == "SECONDARY");
    CHECK(*c->get("server.bolt.listen_address", 1) == "127.0.0.1:7002");
    CHECK(*c->get("server.cluster.listen_address", 0) == "127.0.0.1:6001");
    CHECK(*c->get("initial.server.mode_constraint", 1) == "SECONDARY");
    CHECK(*c->get("initial.server.mode_constraint", 0) == "NONE");

    Home gap("refhost.server.1.bolt.listen_address=127.0.0.1:7001\nrefhost.server.1.cluster.listen_address=127.0.0.1:6001\n"
             "refhost.server.3.bolt.listen_address=127.0.0.1:7003\nrefhost.server.3.cluster.listen_address=127.0.0.1:6003\n");
    auto g = Config::load(gap.path, {});
    REQUIRE_FALSE(g.is_ok());
    CHECK(g.status().message().find("refhost.server.2.* is missing") != std::string::npos);

    Home missing("refhost.server.1.bolt.listen_address=127.0.0.1:7001\n");
    auto m = Config::load(missing.path, {});
    REQUIRE_FALSE(m.is_ok());
    CHECK(m.status().message().find("refhost.server.1.cluster.listen_address") != std::string::npos);

    Home clash("refhost.server.1.bolt.listen_address=127.0.0.1:7001\nrefhost.server.1.cluster.listen_address=127.0.0.1:6001\n"
               "refhost.server.2.bolt.listen_address=127.0.0.1:7001\nrefhost.server.2.cluster.listen_address=127.0.0.1:6002\n");
    auto x = Config::load(clash.path, {});
    REQUIRE_FALSE(x.is_ok());
    CHECK(x.status().message().find("are both 127.0.0.1:7001") != std::string::npos);
}

TEST_CASE("an enabled cluster SSL policy needs its files", "[refhost][settings]") {
    Home h("dbms.ssl.policy.cluster.enabled=true\n");
    auto r = Config::load(h.path, {});
    REQUIRE_FALSE(r.is_ok());
    CHECK(r.status().message().find("dbms.ssl.policy.cluster.base_directory='certificates/cluster'") !=
          std::string::npos);
    CHECK(r.status().message().find("does not exist") != std::string::npos);
    std::filesystem::create_directories(h.path / "certificates/cluster/trusted");
    std::filesystem::create_directories(h.path / "certificates/cluster/revoked");
    std::ofstream(h.path / "certificates/cluster/private.key") << "k";
    r = Config::load(h.path, {});
    REQUIRE_FALSE(r.is_ok());
    CHECK(r.status().message().find("dbms.ssl.policy.cluster.public_certificate") != std::string::npos);
    std::ofstream(h.path / "certificates/cluster/public.crt") << "c";
    CHECK(Config::load(h.path, {}).is_ok());
}

TEST_CASE("ccdr.* keys are collected for the plugins, not judged here", "[refhost][settings]") {
    Home h("ccdr.batch.max_bytes=2MiB\n");
    auto c = Config::load(h.path, {});
    REQUIRE(c.is_ok());
    auto keys = c->plugin_keys();
    REQUIRE(keys.size() == 1);
    CHECK(keys[0].key == "ccdr.batch.max_bytes");
    CHECK(keys[0].value == "2MiB");
    CHECK_FALSE(c->get("ccdr.batch.max_bytes"));
}

TEST_CASE("retention policy forms", "[refhost][settings]") {
    using K = RetentionPolicy::Kind;
    CHECK(RetentionPolicy::parse("keep_all")->kind == K::KeepAll);
    CHECK(RetentionPolicy::parse("true")->kind == K::KeepAll);
    CHECK(RetentionPolicy::parse("keep_none")->kind == K::KeepNone);
    CHECK(RetentionPolicy::parse("100k txs")->amount == 100'000);
    CHECK(RetentionPolicy::parse("5 entries")->kind == K::Transactions);
    CHECK(RetentionPolicy::parse("100M size")->amount == 100ull << 20);
    CHECK(RetentionPolicy::parse("100M")->kind == K::Bytes);
    CHECK(RetentionPolicy::parse("2 days")->age_ms == 2LL * 86'400'000);
    CHECK(RetentionPolicy::parse("12h")->age_ms == 12LL * 3'600'000);
    CHECK(RetentionPolicy::parse("24 hours")->kind == K::Age);
    CHECK_FALSE(RetentionPolicy::parse("0 txs").is_ok());
    CHECK_FALSE(RetentionPolicy::parse("txs").is_ok());
    CHECK_FALSE(RetentionPolicy::parse("3 files").is_ok());
    CHECK_FALSE(RetentionPolicy::parse("soon").is_ok());
}

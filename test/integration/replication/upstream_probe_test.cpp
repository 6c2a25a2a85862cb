// The internal API the internal.dbms.* procedures call: probing an upstream
// cluster for a database over the plugin's mutual TLS, and a replica
// member's state. The plugin is linked into the test (not loaded) so the
// instance behind the ABI can be reached.
#include "ccdr_plugin.hpp"
#include "support/replication_world.hpp"
#include "settings/plugin_settings.hpp"
#include "version.hpp"

#include <catch2/catch.hpp>

using namespace ccdr;
using namespace ccdr::test;

namespace {

struct LinkedCcdr {
    static constexpr std::string_view name = "ccdr";
    static constexpr std::string_view version = plugin::kPluginVersion;
    static std::span<const ccdr_setting_def> settings() { return plugin::declared_settings(); }
    static Status validate_setting(std::string_view key, std::string_view value) {
        return plugin::validate_setting(key, value);
    }
    static Result<std::unique_ptr<PluginInstance>> create(HostHandle host) {
        return plugin::CcdrPlugin::create(host, plugin::kPluginVersion);
    }
};

plugin::CcdrPlugin& instance_of(MemoryHost& host) {
    auto* base = reinterpret_cast<PluginInstance*>(host.plugin()->ctx());
    auto* ccdr = dynamic_cast<plugin::CcdrPlugin*>(base);
    REQUIRE(ccdr != nullptr);
    return *ccdr;
}

std::map<std::string, std::string> host_settings(const std::filesystem::path& certs, uint16_t port) {
    auto s = policy_settings(certs);
    s["server.cluster.listen_address"] = "127.0.0.1:" + std::to_string(port);
    s["ccdr.connect.timeout"] = "2s";
    return s;
}

}  // namespace

TEST_CASE("probe_upstream reports a remote database, or why no address answered", "[probe]") {
    const ccdr_plugin_api* api = plugin_api<LinkedCcdr>();
    TempDir dir("ccdr-probe");
    TestCa ca("probe CA");
    write_policy_directory(dir.path() / "a", ca.issue("upstream"), {ca.cert_pem()});
    write_policy_directory(dir.path() / "b", ca.issue("replica"), {ca.cert_pem()});
    const uint16_t up_port = free_port();
    MemoryHost upstream("a1", host_settings(dir.path() / "a", up_port));
    REQUIRE(upstream.attach(api));
    REQUIRE(upstream.create_database({"foo", CCDR_KIND_STANDARD, 1, 0, "", 0, {}}));
    for (int i = 0; i < 7; ++i) {
        REQUIRE(upstream.commit("foo", payload_for(static_cast<uint64_t>(i), 50)));
    }
    MemoryHost replica("b1", host_settings(dir.path() / "b", free_port()));
    REQUIRE(replica.attach(api));
    auto& ccdr = instance_of(replica);
    const std::string up = "127.0.0.1:" + std::to_string(up_port);
    const std::string dead = "127.0.0.1:" + std::to_string(free_port());

    auto info = ccdr.probe_upstream({dead, up}, "foo");
    REQUIRE(info);
    CHECK(info->address == up);
    CHECK(info->exists);
    CHECK(info->online);
    CHECK(info->kind == CCDR_KIND_STANDARD);
    CHECK(info->store_id == upstream.member("foo")->store_id);
    CHECK(info->epoch == upstream.member("foo")->epoch);
    CHECK(info->last_tx == 7);
    CHECK(info->refusal.empty());

    auto missing = ccdr.probe_upstream({up}, "nope");
    REQUIRE(missing);
    CHECK_FALSE(missing->exists);

    auto system = ccdr.probe_upstream({up}, "system");
    REQUIRE(system);
    CHECK_THAT(system->refusal, Catch::Contains("the system database is never replicated"));

    const std::string dead2 = "127.0.0.1:" + std::to_string(free_port());
    auto none = ccdr.probe_upstream({dead, dead2}, "foo");
    REQUIRE_FALSE(none);
    CHECK_THAT(none.status().message(), Catch::Contains("no upstream address answered for database 'foo'") &&
                                            Catch::Contains(dead + ": cannot connect to " + dead) &&
                                            Catch::Contains(dead2 + ": cannot connect to " + dead2));

    // A member's state through the same instance.
    CHECK_FALSE(ccdr.replica_status("foo-replica"));
    ValueMap options{{"replicaConfig", Value(ValueMap{{"remote", Value("foo")},
                                                      {"addresses", Value(ValueList{Value(up)})}})}};
    REQUIRE(replica.create_database({"foo-replica", CCDR_KIND_REPLICA, 1, 0, info->store_id, info->epoch, options}));
    REQUIRE(replica.wait_for_tx("foo-replica", 7, 30'000));
    REQUIRE(eventually([&] { return ccdr.replica_status("foo-replica")->state == CCDR_REPLICA_STREAMING; }));
    auto status = *ccdr.replica_status("foo-replica");
    CHECK(status.upstream_address == up);
    CHECK(status.connected);
    CHECK(status.last_applied_tx == 7);
    CHECK(status.lag_tx == 0);
}

TEST_CASE("replicaConfig is validated with a clear message", "[probe]") {
    using plugin::parse_replica_config;
    CHECK_THAT(parse_replica_config(Value()).status().message(), Catch::Contains("is not set"));
    CHECK_THAT(parse_replica_config(Value("x")).status().message(), Catch::Contains("expected a map"));
    CHECK_THAT(parse_replica_config(Value(ValueMap{{"addresses", Value(ValueList{Value("h:1")})}})).status().message(),
               Catch::Contains("'remote'"));
    CHECK_THAT(parse_replica_config(Value(ValueMap{{"remote", Value("foo")}, {"addresses", Value(ValueList{})}}))
                   .status()
                   .message(),
               Catch::Contains("non-empty list"));
    CHECK_THAT(parse_replica_config(
                   Value(ValueMap{{"remote", Value("foo")}, {"addresses", Value(ValueList{Value("nohost")})}}))
                   .status()
                   .message(),
               Catch::Contains("address 'nohost'"));
    auto ok = parse_replica_config(Value(
        ValueMap{{"remote", Value("foo")}, {"addresses", Value(ValueList{Value("a:6000"), Value("b:6001")})}}));
    REQUIRE(ok);
    CHECK(ok->addresses.size() == 2);
    CHECK(plugin::to_value(*ok) == Value(ValueMap{{"remote", Value("foo")},
                                                  {"addresses", Value(ValueList{Value("a:6000"), Value("b:6001")})}}));
}

TEST_CASE("createReplicaDatabase refuses an upstream whose HELLO_OK names this cluster", "[probe]") {
    // Two servers of one cluster (the memory host derives the cluster id from
    // the server id), reached at an address that is not this server's own
    // listen address: only the handshake tells they are the same cluster.
    const ccdr_plugin_api* api = plugin_api<LinkedCcdr>();
    TempDir dir("ccdr-probe-self");
    TestCa ca("self CA");
    write_policy_directory(dir.path() / "a", ca.issue("upstream"), {ca.cert_pem()});
    write_policy_directory(dir.path() / "b", ca.issue("replica"), {ca.cert_pem()});
    const uint16_t up_port = free_port();
    MemoryHost upstream("same", host_settings(dir.path() / "a", up_port));
    REQUIRE(upstream.attach(api));
    REQUIRE(upstream.create_database({"foo", CCDR_KIND_STANDARD, 1, 0, "", 0, {}}));
    MemoryHost replica("same", host_settings(dir.path() / "b", free_port()));
    REQUIRE(replica.attach(api));
    const std::string up = "localhost:" + std::to_string(up_port);
    auto info = instance_of(replica).probe_upstream({up}, "foo");
    REQUIRE(info);
    CHECK(info->cluster_id == "memory-cluster-same");
    ValueMap link{{"remote", Value("foo")}, {"addresses", Value(ValueList{Value(up)})}};
    auto r = replica.call_procedure("internal.dbms.createReplicaDatabase",
                                    ValueList{Value("foo-copy"), Value(int64_t{1}), Value(int64_t{0}), Value(link)}, true);
    REQUIRE_FALSE(r);
    CHECK_THAT(r.status().message(), Catch::Contains("the upstream server at " + up + " is in this cluster ('memory-cluster-same')"));
    CHECK_FALSE(replica.member("foo-copy"));
}

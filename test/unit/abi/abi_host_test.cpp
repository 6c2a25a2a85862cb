// A minimal in-test host (MemoryHost) drives plugins through the ABI:
// settings validation, procedures with typed arguments, the before_commit
// veto, status, metrics, and version negotiation in both directions.
#include "support/memory_host.hpp"

#include <ccdr/host_adapter.hpp>
#include <ccdr/plugin_loader.hpp>

#include <catch2/catch.hpp>

#include <map>

using ccdr::Value;
using ccdr::ValueList;
using ccdr::test::MemoryHost;

namespace {

std::unique_ptr<ccdr::LoadedPlugin> load(const char* path) {
    auto loaded = ccdr::load_plugin(path, ccdr::host_api());
    REQUIRE(loaded);
    return std::move(loaded.value());
}

std::map<std::string, double> metrics_of(ccdr::PluginInstanceHandle& plugin) {
    std::map<std::string, double> out;
    plugin.collect_metrics([&](std::string_view name, ccdr_metric_type, double v) { out[std::string(name)] = v; });
    return out;
}

}  // namespace

TEST_CASE("libccdr refuses a bad ccdr.* value naming key, value and reason", "[abi][settings]") {
    auto plugin = load(CCDR_PLUGIN_PATH);
    const ccdr_plugin_api* api = plugin->api();
    struct Case {
        const char* key;
        const char* value;
        const char* reason;
    };
    const Case cases[] = {
        {"ccdr.allow_plaintext", "maybe", "boolean"},
        {"ccdr.batch.max_bytes", "lots", "size"},
        {"ccdr.batch.max_bytes", "1", "from 1024"},
        {"ccdr.heartbeat.interval", "soon", "duration"},
        {"ccdr.backoff.max", "0ms", "from 1ms"},
        {"ccdr.upstream.allowed_databases", "foo,system", "system database cannot be replicated"},
        {"ccdr.debug.latency_trace", "/tmp/a\nb", "directory path on one line"},
        {"ccdr.no_such_key", "1", "unknown setting"},
    };
    for (const auto& c : cases) {
        auto err = ccdr::make_error();
        ccdr_status st = api->validate_setting(ccdr::to_abi(c.key), ccdr::to_abi(c.value), &err);
        INFO(c.key << "=" << c.value << " -> " << err.message);
        CHECK(st == CCDR_INVALID_SETTING);
        CHECK_THAT(std::string(err.message),
                   Catch::Contains(c.key) && Catch::Contains(c.value) && Catch::Contains(c.reason));
    }
    auto err = ccdr::make_error();
    CHECK(api->validate_setting(ccdr::to_abi("ccdr.batch.max_bytes"), ccdr::to_abi("4MiB"), &err) == CCDR_OK);

    MemoryHost host("s1", {{"ccdr.heartbeat.interval", "forever"}});
    ccdr::Status attached = host.attach(api);
    REQUIRE_FALSE(attached);
    CHECK_THAT(attached.message(), Catch::Contains("ccdr.heartbeat.interval") && Catch::Contains("forever"));
}

TEST_CASE("libccdr starts in a host, logs through it, and reports metrics", "[abi]") {
    auto plugin = load(CCDR_PLUGIN_PATH);
    MemoryHost host("s1", {{"server.cluster.listen_address", "127.0.0.1:16000"}});
    REQUIRE(host.attach(plugin->api()));
    CHECK(host.log_contains("[ccdr] ccdr"));
    CHECK(host.log_contains("started on server s1"));
    REQUIRE(host.create_database({"foo", CCDR_KIND_STANDARD, 1, 0, "", 0, {}}));
    REQUIRE(host.commit("foo", {1, 2, 3}));
    REQUIRE(host.commit("foo", {4}));
    auto m = metrics_of(*host.plugin());
    CHECK(m["dbms.ccdr.commit_notifications"] == 2);
    host.detach();
    CHECK(host.log_contains("stopped on server s1"));
}

TEST_CASE("a procedure is registered and called with typed arguments", "[abi][procedure]") {
    auto plugin = load(CCDR_TEST_PROCS_PLUGIN);
    MemoryHost host("s1", {});
    REQUIRE(host.attach(plugin->api()));
    CHECK(host.procedure_names() == std::vector<std::string>{"test.echo", "test.fail"});

    auto rows = host.call_procedure(
        "test.echo", ValueList{"foo", 3.0, Value::map({{"remote", "bar"}}), Value::list({"x", "y"})});
    REQUIRE(rows);
    REQUIRE(rows->size() == 4);
    CHECK((*rows)[0] == ValueList{"name", "STRING", "\"foo\"", "neo4j"});
    CHECK((*rows)[1] == ValueList{"count", "INTEGER", "3", "neo4j"});  // the float became an integer
    CHECK((*rows)[2] == ValueList{"options", "MAP", "{remote: \"bar\"}", "neo4j"});
    CHECK((*rows)[3] == ValueList{"tags", "LIST", "[\"x\", \"y\"]", "neo4j"});

    SECTION("an omitted optional argument gets its default (NULL)") {
        auto r = host.call_procedure("test.echo", ValueList{"foo", int64_t{1}, Value::map({})});
        REQUIRE(r);
        CHECK((*r)[3][1] == Value("NULL"));
    }
    SECTION("a wrong type is refused before the call") {
        auto r = host.call_procedure("test.echo", ValueList{int64_t{1}, int64_t{1}, Value::map({})});
        REQUIRE_FALSE(r);
        CHECK(r.status().code() == CCDR_PROCEDURE_CALL_FAILED);
        CHECK_THAT(r.status().message(), Catch::Contains("'name'") && Catch::Contains("expected STRING"));
    }
    SECTION("a failing procedure's status and message reach the caller") {
        auto r = host.call_procedure("test.fail", {});
        REQUIRE_FALSE(r);
        CHECK(r.status().code() == CCDR_PROCEDURE_CALL_FAILED);
        CHECK(r.status().message() == "test.fail: failing on purpose");
    }
    SECTION("an admin-only procedure is forbidden to others") {
        auto r = host.call_procedure("test.fail", {}, /*is_admin=*/false);
        REQUIRE_FALSE(r);
        CHECK(r.status().code() == CCDR_FORBIDDEN);
    }
    SECTION("an unknown procedure") {
        auto r = host.call_procedure("test.nope", {});
        REQUIRE_FALSE(r);
        CHECK(r.status().code() == CCDR_PROCEDURE_NOT_FOUND);
    }
}

TEST_CASE("before_commit vetoes a user write and nothing is written", "[abi][commit]") {
    auto plugin = load(CCDR_TEST_PROCS_PLUGIN);
    MemoryHost host("s1", {});
    REQUIRE(host.attach(plugin->api()));
    REQUIRE(host.create_database({"rofoo", CCDR_KIND_REPLICA, 1, 0, "", 0, {}}));
    REQUIRE(host.create_database({"foo", CCDR_KIND_STANDARD, 1, 0, "", 0, {}}));

    auto vetoed = host.commit("rofoo", {9});
    REQUIRE_FALSE(vetoed);
    CHECK(vetoed.status().code() == CCDR_READ_ONLY_DATABASE);
    CHECK(std::string(vetoed.status().neo4j_code()) == "Neo.ClientError.General.ForbiddenOnReadOnlyDatabase");
    CHECK(host.member("rofoo")->last_tx == 0);
    CHECK(host.member("rofoo")->content.empty());

    // Replicated applies pass the same veto.
    std::vector<uint8_t> payload{1};
    ccdr_tx tx{1, 1000, {payload.data(), payload.size()}};
    REQUIRE(host.apply_batch("rofoo", std::span<const ccdr_tx>(&tx, 1)));
    CHECK(host.member("rofoo")->last_tx == 1);

    REQUIRE(host.commit("foo", {1}));
    auto m = metrics_of(*host.plugin());
    CHECK(m["test.vetoes"] == 1);
    CHECK(m["test.last_tx"] >= 1);
    CHECK(m["test.events"] == 4);  // CREATED + STARTED for each database

    auto status = host.plugin()->describe_database("rofoo");
    CHECK(status.state == CCDR_REPLICA_STREAMING);
    CHECK(status.lag_tx == 3);
    CHECK(std::string(status.message) == "pulling rofoo");
}

TEST_CASE("libccdr refuses a host of another major, naming both versions", "[abi][version]") {
    void* handle = dlopen(CCDR_PLUGIN_PATH, RTLD_NOW | RTLD_LOCAL);
    REQUIRE(handle != nullptr);
    auto entry = reinterpret_cast<ccdr_plugin_entry_fn>(dlsym(handle, CCDR_PLUGIN_ENTRY_SYMBOL));
    REQUIRE(entry != nullptr);

    ccdr_host_api future = *ccdr::host_api();
    future.hdr.major = CCDR_ABI_VERSION_MAJOR + 1;
    const ccdr_plugin_api* api = nullptr;
    auto err = ccdr::make_error();
    CHECK(entry(&future, &api, &err) == CCDR_VERSION_MISMATCH);
    CHECK_THAT(std::string(err.message), Catch::Contains("needs ccdr ABI 1." + std::to_string(CCDR_ABI_VERSION_MINOR)) &&
                                             Catch::Contains("provides 2." + std::to_string(CCDR_ABI_VERSION_MINOR)));

    SECTION("a host vtable smaller than 1.0 is refused") {
        ccdr_host_api small = *ccdr::host_api();
        small.hdr.struct_size = offsetof(ccdr_host_api, apply_batch);
        err = ccdr::make_error();
        CHECK(entry(&small, &api, &err) == CCDR_VERSION_MISMATCH);
        CHECK_THAT(std::string(err.message), Catch::Contains("too small"));
    }
    SECTION("a host with a missing function is refused, naming it") {
        ccdr_host_api broken = *ccdr::host_api();
        broken.apply_batch = nullptr;
        err = ccdr::make_error();
        CHECK(entry(&broken, &api, &err) == CCDR_INVALID_ARGUMENT);
        CHECK_THAT(std::string(err.message), Catch::Contains("apply_batch"));
    }
    dlclose(handle);
}

TEST_CASE("libccdr runs in a host of a newer minor with a larger vtable", "[abi][version]") {
    // A host built against 1.<minor+1>: its vtable has a function more.
    struct NewerHostApi {
        ccdr_host_api base;
        void (*future_function)(void);
    };
    static NewerHostApi newer{*ccdr::host_api(), +[] {}};
    newer.base.hdr.struct_size = sizeof(NewerHostApi);
    newer.base.hdr.minor = CCDR_ABI_VERSION_MINOR + 1;

    auto loaded = ccdr::load_plugin(CCDR_PLUGIN_PATH, &newer.base);
    REQUIRE(loaded);
    MemoryHost host("s1", {});
    REQUIRE(host.configure((*loaded)->api()));
    auto instance = ccdr::PluginInstanceHandle::create((*loaded)->api(), &newer.base, host.ctx());
    REQUIRE(instance);
    REQUIRE((*instance)->start());
    CHECK(host.log_contains("started on server s1"));
    (*instance)->stop();
}

TEST_CASE("ABI 1.2 list_subscriptions: a host asks only a plugin whose vtable has the hook", "[abi][version]") {
    auto plugin = load(CCDR_PLUGIN_PATH);
    const ccdr_plugin_api* api = plugin->api();
    REQUIRE(CCDR_HAS_FIELD(api, ccdr_plugin_api, list_subscriptions));
    REQUIRE(api->list_subscriptions != nullptr);

    // The same plugin as a 1.1 build would present it: the vtable ends
    // before the hook. The handle refuses without calling (no instance is
    // needed, and none is touched).
    ccdr_plugin_api older = *api;
    older.hdr.struct_size = static_cast<uint32_t>(offsetof(ccdr_plugin_api, list_subscriptions));
    older.hdr.minor = 1;
    older.list_subscriptions = nullptr;
    ccdr::PluginInstanceHandle handle(&older, nullptr);
    CHECK_FALSE(handle.has_list_subscriptions());
    ccdr_subscription_sink sink{CCDR_HEADER_INIT(ccdr_subscription_sink), nullptr,
                                [](void*, const ccdr_subscription_info*) -> ccdr_status { return CCDR_INTERNAL; },
                                [](void*, ccdr_string, ccdr_status, ccdr_string) -> ccdr_status {
                                    return CCDR_INTERNAL;
                                }};
    auto st = handle.list_subscriptions("", sink);
    CHECK(st.code() == CCDR_UNSUPPORTED);
    CHECK(st.message() == "the plugin provides ccdr ABI 1.1; listing replica subscriptions needs 1.2 or later");

    // A running instance of the real vtable lists what it serves: nothing yet.
    MemoryHost host("s1", {});
    REQUIRE(host.attach(api));
    size_t rows = 0;
    ccdr_subscription_sink counting{CCDR_HEADER_INIT(ccdr_subscription_sink), &rows,
                                    [](void* c, const ccdr_subscription_info*) -> ccdr_status {
                                        ++*static_cast<size_t*>(c);
                                        return CCDR_OK;
                                    },
                                    [](void*, ccdr_string, ccdr_status, ccdr_string) -> ccdr_status {
                                        return CCDR_INTERNAL;
                                    }};
    CHECK(host.plugin()->list_subscriptions("", counting));
    CHECK(rows == 0);
    host.detach();
}

namespace {
// What the recording hooks below heard (one test at a time).
std::vector<uint64_t> heard_after_commit;
std::vector<size_t> heard_handovers;
}  // namespace

TEST_CASE("ABI 1.2 after_commit_txs: a plugin without the hook hears after_commit with the last id",
          "[abi][version]") {
    auto plugin = load(CCDR_PLUGIN_PATH);
    const ccdr_plugin_api* api = plugin->api();
    REQUIRE(CCDR_HAS_FIELD(api, ccdr_plugin_api, after_commit_txs));
    REQUIRE(api->after_commit_txs != nullptr);
    heard_after_commit.clear();
    heard_handovers.clear();
    const uint8_t bytes[] = {1, 2, 3};
    const ccdr_tx txs[] = {{7, 70, ccdr_bytes{bytes, 3}}, {8, 80, ccdr_bytes{bytes, 1}}};

    // A 1.1 vtable ends before the hook: the handle calls after_commit.
    ccdr_plugin_api older = *api;
    older.hdr.struct_size = static_cast<uint32_t>(offsetof(ccdr_plugin_api, after_commit_txs));
    older.hdr.minor = 1;
    older.after_commit = +[](ccdr_plugin_ctx*, ccdr_string, uint64_t tx_id, int64_t) {
        heard_after_commit.push_back(tx_id);
    };
    ccdr::PluginInstanceHandle old_handle(&older, nullptr);
    CHECK_FALSE(old_handle.has_after_commit_txs());
    old_handle.after_commit_txs("foo", txs);
    CHECK(heard_after_commit == std::vector<uint64_t>{8});

    // A 1.2 vtable gets the transactions themselves, and no after_commit.
    ccdr_plugin_api newer = older;
    newer.hdr = api->hdr;
    newer.after_commit_txs = +[](ccdr_plugin_ctx*, ccdr_string, const ccdr_tx* t, size_t count) {
        heard_handovers.push_back(count);
        CHECK(t[0].tx_id == 7);
        CHECK(t[count - 1].payload.len == 1);
    };
    ccdr::PluginInstanceHandle new_handle(&newer, nullptr);
    CHECK(new_handle.has_after_commit_txs());
    new_handle.after_commit_txs("foo", txs);
    new_handle.after_commit_txs("foo", {});  // nothing durable: nothing said
    CHECK(heard_handovers == std::vector<size_t>{2});
    CHECK(heard_after_commit == std::vector<uint64_t>{8});

    // The real plugin takes a handover before start (nothing streams yet).
    MemoryHost host("s1", {});
    REQUIRE(host.configure(api));
    auto instance = ccdr::PluginInstanceHandle::create(api, ccdr::host_api(), host.ctx());
    REQUIRE(instance);
    (*instance)->after_commit_txs("foo", txs);
}

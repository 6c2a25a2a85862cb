// Plugin release versions between two plugin instances: the replica runs
// this build (libccdr.so, 0.2.0), the upstream a test-only build of the same
// code that says another version (test/CMakeLists.txt). Another minor
// version replicates and is named in the replica's status message and in
// each side's log, once, however often the session is cut; another major
// version stops the replica member in FAILED naming both versions, after one
// attempt, and the upstream logs its refusal. A replica of protocol 1 (a 0.1
// release, no version field) is served as 0.1.x.
#include "session/exchange.hpp"
#include "support/fault_proxy.hpp"
#include "support/plugin_loopback.hpp"
#include "support/replication_world.hpp"
#include "transport/connector.hpp"

#include <catch2/catch.hpp>

#include <optional>
#include <thread>

using namespace ccdr;
using namespace ccdr::test;

namespace {

size_t count_logs(const MemoryHost& host, const std::string& needle) {
    size_t n = 0;
    for (const auto& [level, text] : host.logs()) {
        n += text.find(needle) != std::string::npos ? 1 : 0;
    }
    return n;
}

}  // namespace

TEST_CASE("versions: another minor version replicates, says both versions, logs once", "[versions]") {
    ReplicationWorld w({}, CCDR_PLUGIN_V0_3_0);
    w.commit(1, 2'000, 200);
    FaultProxy proxy(w.upstream_port);
    proxy.kill_after(100'000, 3);  // three sessions cut part-way
    const std::string address = "127.0.0.1:" + std::to_string(proxy.port());
    w.create_replica({address});
    REQUIRE(w.replica->wait_for_tx("foo-replica", 2'000, 60'000));
    w.check_identical(2'000);
    CHECK(proxy.kills() == 3);
    const std::string expected = "pulling from " + address + " (upstream plugin 0.3.0, this 0.2.0)";
    REQUIRE(eventually([&] { return std::string(w.replica_status().message) == expected; }));
    CHECK(count_logs(*w.replica, "runs ccdr plugin 0.3.0, this server runs 0.2.0: minor versions differ") == 1);
    CHECK(count_logs(*w.upstream, "runs ccdr plugin 0.2.0, this server runs 0.3.0: minor versions differ") == 1);
}

TEST_CASE("versions: another major version stops the replica FAILED with both versions", "[versions]") {
    ReplicationWorld w({}, CCDR_PLUGIN_V1_0_0);
    w.commit(1, 10, 100);
    w.create_replica();
    REQUIRE(eventually([&] { return w.replica_status().state == CCDR_REPLICA_FAILED; }));
    const std::string reason =
        "ccdr plugin versions differ: replica cluster runs 0.2.0, upstream cluster runs 1.0.0; both clusters must "
        "run the same major version";
    CHECK(std::string(w.replica_status().message) == "failed: " + w.upstream_address() + " refused: " + reason);
    CHECK(w.replica->member("foo-replica")->last_tx == 0);
    CHECK(w.upstream->log_contains("refused replication to 127.0.0.1:"));
    // FAILED is final: the upstream saw one attempt, and sees no more.
    std::this_thread::sleep_for(std::chrono::milliseconds(1'500));
    CHECK(count_logs(*w.upstream, reason) == 1);
}

namespace {

// What a replica of protocol 1 (a 0.1 release) is told by the upstream of `w`.
struct OldReplicaSaw {
    std::string error;
    uint16_t version = 0;
    std::optional<protocol::Refused> refused;
    bool exists = false;
};

OldReplicaSaw greet_as_old_replica(ReplicationWorld& w) {
    PluginLoopback loop(*w.replica, nullptr);
    auto strand = loop.runtime().make_strand();
    const std::string address = w.upstream_address();
    return loop.run<OldReplicaSaw>(strand, [&]() -> asio::awaitable<OldReplicaSaw> {
        OldReplicaSaw s;
        auto connected = co_await loop.connect(strand, address);
        if (!connected) {
            s.error = connected.status().message();
            co_return s;
        }
        auto c = connected.value();
        protocol::Hello hello{1, 1, "old-cluster", "old-1", ""};  // as 0.1 says it: no version field
        co_await session::send(*c, hello);
        // Decoded with the layout of protocol 1: a version field would be trailing bytes.
        auto ok = co_await session::receive<protocol::HelloOk>(*c, 5s);
        if (!ok) {
            s.error = ok.status().message();
            co_return s;
        }
        if (ok->refused) {
            s.refused = ok->refused;
            co_return s;
        }
        s.version = ok->message->version;
        protocol::DatabaseInfoRequest request{"foo"};
        co_await session::send(*c, request);
        auto info = co_await session::receive<protocol::DatabaseInfoReply>(*c, 5s);
        s.exists = info && info->message && info->message->exists;
        c->close("done");
        co_return s;
    });
}

}  // namespace

TEST_CASE("versions: an upstream of another major refuses a replica of protocol 1 with the code it knows",
          "[versions]") {
    ReplicationWorld w({false, {}, {}}, CCDR_PLUGIN_V1_0_0);
    OldReplicaSaw seen = greet_as_old_replica(w);
    INFO(seen.error);
    REQUIRE(seen.refused);
    CHECK(seen.refused->code == protocol::RefusalCode::kProtocolVersion);
    CHECK(seen.refused->reason ==
          "ccdr plugin versions differ: replica cluster runs 0.1.x (protocol 1), upstream cluster runs 1.0.0; both "
          "clusters must run the same major version");
}

TEST_CASE("versions: a replica of protocol 1 (0.1) gets a HELLO_OK of protocol 1 and is served", "[versions]") {
    ReplicationWorld w({false, {}, {}});  // plaintext, so this test can speak as an old replica
    w.commit(1, 3, 100);
    OldReplicaSaw seen = greet_as_old_replica(w);
    INFO(seen.error);
    CHECK(seen.error.empty());
    CHECK_FALSE(seen.refused);
    CHECK(seen.version == 1);
    CHECK(seen.exists);
    CHECK(w.upstream->log_contains("replica server old-1 of cluster old-cluster"));
    CHECK(w.upstream->log_contains(
        "runs ccdr plugin 0.1.x (protocol 1), this server runs 0.2.0: minor versions differ"));
}

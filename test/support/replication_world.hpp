// test/support/replication_world.hpp: two MemoryHosts on loopback, each
// with libccdr loaded: an upstream with database `foo`, and a replica server
// whose database `foo-replica` (kind REPLICA, the upstream's store id and
// epoch, option replicaConfig) pulls from it, over mutual TLS with
// certificates made in the test (or plaintext where a test needs to see the
// frames).
#pragma once

#include "support/eventually.hpp"
#include "support/fault_proxy.hpp"
#include "support/free_port.hpp"
#include "support/memory_host.hpp"
#include "support/test_pki.hpp"

#include <ccdr/plugin_loader.hpp>

#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>

namespace ccdr::test {

// A transaction payload that says which tx it is (so a misplaced one shows).
inline std::vector<uint8_t> payload_for(uint64_t i, size_t size) {
    std::string text = "CREATE (:Item {id: " + std::to_string(i) + ", batch: " + std::to_string(i / 100) +
                       ", label: 'item-" + std::to_string(i * 7919 % 10007) + "'})";
    std::vector<uint8_t> out(text.begin(), text.end());
    // The rest is noise, so that LZ4 cannot shrink a backlog to nothing.
    uint64_t x = i * 0x9E3779B97F4A7C15ull + 1;
    while (out.size() < size) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.push_back(static_cast<uint8_t>(x));
    }
    out.resize(size);
    return out;
}

inline std::map<std::string, double> metrics_of(MemoryHost& host) {
    std::map<std::string, double> out;
    host.plugin()->collect_metrics(
        [&](std::string_view name, ccdr_metric_type, double v) { out[std::string(name)] = v; });
    return out;
}

struct WorldOptions {
    bool tls = true;
    std::map<std::string, std::string> upstream_settings;
    std::map<std::string, std::string> replica_settings;
};

class ReplicationWorld {
    // Declared first, so destroyed last: a REQUIRE failing in the constructor
    // skips ~ReplicationWorld, and the hosts must still detach from a loaded
    // plugin (the plugin unloaded first was a SIGSEGV after a failed attach).
    WorldOptions options_;
    std::unique_ptr<LoadedPlugin> plugin_;
    std::unique_ptr<LoadedPlugin> upstream_plugin_;

public:
    // `upstream_plugin`: another build of the plugin for the upstream (a
    // test-only build that says another release version); empty: the same
    // libccdr as the replica.
    explicit ReplicationWorld(WorldOptions options = {}, const std::string& upstream_plugin = "")
        : options_(std::move(options)) {
        auto loaded = load_plugin(CCDR_PLUGIN_PATH, host_api());
        REQUIRE(loaded);
        plugin_ = std::move(loaded.value());
        upstream_port = free_port();
        replica_port = free_port();
        if (options_.tls) {
            write_policy_directory(dir.path() / "upstream-certs", ca.issue("upstream server"), {ca.cert_pem()});
            write_policy_directory(dir.path() / "replica-certs", ca.issue("replica server"), {ca.cert_pem()});
        }
        if (!upstream_plugin.empty()) {
            auto other = load_plugin(upstream_plugin, host_api());
            REQUIRE(other);
            upstream_plugin_ = std::move(other.value());
        }
        upstream = std::make_unique<MemoryHost>(
            "upstream", settings("upstream-certs", upstream_port, options_.upstream_settings));
        require_attached(*upstream, upstream_plugin_ ? upstream_plugin_->api() : api());
        REQUIRE(upstream->create_database({"foo", CCDR_KIND_STANDARD, 1, 0, "", 0, {}}));
        replica = std::make_unique<MemoryHost>(
            "replica", settings("replica-certs", replica_port, options_.replica_settings));
        require_attached(*replica);
    }

    ~ReplicationWorld() {
        replica.reset();
        upstream.reset();
    }

    const ccdr_plugin_api* api() const { return plugin_->api(); }

    std::string upstream_address() const { return "127.0.0.1:" + std::to_string(upstream_port); }

    // Creates the replica database with the upstream's lineage (or the one
    // given); `name` other than foo-replica makes a second replica of foo on
    // the same server (a witness, for heard_heartbeats).
    void create_replica(std::vector<std::string> addresses = {}, std::string store_id = "", uint64_t epoch = 0,
                        const std::string& name = "foo-replica") {
        auto up = upstream->member("foo");
        REQUIRE(up);
        if (addresses.empty()) {
            addresses.push_back(upstream_address());
        }
        ValueList list;
        for (const auto& a : addresses) {
            list.emplace_back(a);
        }
        ValueMap options{{"replicaConfig", Value(ValueMap{{"remote", Value("foo")}, {"addresses", Value(list)}})}};
        REQUIRE(replica->create_database({name, CCDR_KIND_REPLICA, 1, 0,
                                          store_id.empty() ? up->store_id : store_id, epoch == 0 ? up->epoch : epoch,
                                          options}));
    }

    void commit(uint64_t first, uint64_t count, size_t size) {
        for (uint64_t i = first; i < first + count; ++i) {
            auto id = upstream->commit("foo", payload_for(i, size));
            REQUIRE(id);
            REQUIRE(*id == i);
        }
    }

    // The replica holds exactly the upstream's transactions 1..n, in order.
    void check_identical(uint64_t n) {
        auto up = upstream->member("foo");
        auto rep = replica->member("foo-replica");
        REQUIRE(up);
        REQUIRE(rep);
        REQUIRE(rep->last_tx == n);
        REQUIRE(rep->content.size() == n);
        REQUIRE(up->content.size() >= n);
        for (uint64_t i = 0; i < n; ++i) {
            const auto& a = up->content[i];
            const auto& b = rep->content[i];
            if (a.tx_id != b.tx_id || a.commit_time_ms != b.commit_time_ms || a.payload != b.payload) {
                FAIL("transaction " << i + 1 << " differs: upstream tx " << a.tx_id << ", replica tx " << b.tx_id);
            }
        }
    }

    ccdr_database_status replica_status() { return replica->plugin()->describe_database("foo-replica"); }

    // Waits until the replica member `database` has received `n` more frames
    // from the upstream: with nothing being committed, heartbeats (one per
    // ccdr.heartbeat.interval, 100 ms here). A test that checks that something
    // does NOT happen waits for these instead of sleeping: whatever the
    // upstream had to send has come by then. Frames are counted by the steps
    // of the member's bytes_received_wire (two frames within one 5 ms poll
    // count once, which only makes the wait longer).
    bool heard_heartbeats(int n, const std::string& database = "foo-replica") {
        const std::string metric = "database." + database + ".ccdr.replica.bytes_received_wire";
        double last = metrics_of(*replica)[metric];
        int heard = 0;
        return eventually(
            [&] {
                const double now = metrics_of(*replica)[metric];
                if (now > last) {
                    ++heard;
                    last = now;
                }
                return heard >= n;
            },
            std::chrono::seconds(30), std::chrono::milliseconds(5));
    }

    TempDir dir{"ccdr-replication"};
    TestCa ca{"test cluster CA"};
    uint16_t upstream_port = 0;
    uint16_t replica_port = 0;
    std::unique_ptr<MemoryHost> upstream;
    std::unique_ptr<MemoryHost> replica;

private:
    std::map<std::string, std::string> settings(const std::string& certs, uint16_t port,
                                                const std::map<std::string, std::string>& extra) {
        std::map<std::string, std::string> s = {
            {"server.cluster.listen_address", "127.0.0.1:" + std::to_string(port)},
            {"ccdr.heartbeat.interval", "100ms"},
            {"ccdr.backoff.initial", "20ms"},
            {"ccdr.backoff.max", "300ms"},
            {"ccdr.connect.timeout", "3s"},
            {"ccdr.io.timeout", "10s"},
        };
        if (options_.tls) {
            for (auto& [k, v] : policy_settings(dir.path() / certs)) {
                s[k] = v;
            }
        } else {
            s["ccdr.allow_plaintext"] = "true";
        }
        for (const auto& [k, v] : extra) {
            s[k] = v;
        }
        return s;
    }

    void require_attached(MemoryHost& host, const ccdr_plugin_api* with = nullptr) {
        const Status attached = host.attach(with != nullptr ? with : api());
        INFO("attach: " << attached.message());
        REQUIRE(attached);
    }
};

}  // namespace ccdr::test

// WAN bytes per transaction of one replica database, fan-out on and off.
//
// An upstream MemoryHost with database `foo`, behind a FaultProxy that only
// counts (it stands for the WAN link: every byte the upstream's cluster
// sends to the replica cluster passes it); a replica cluster of MemoryHosts,
// one logical server each with its own libccdr instance, over mutual TLS,
// listed to each other as members of `foo-replica`. Three runs, each with a
// fresh world: a single member (the reference), the seed's topology of five
// members (3 primaries + 2 secondaries: the roles do not change what a
// replica member pulls) with fan-out on, and the same with fanOut false. A
// writer commits 200-byte transactions at a steady rate; once every member
// holds them all, the proxy's downstream bytes (TLS records: batches,
// heartbeats, handshakes) divided by the transactions are printed beside
// the goal (fan-out on: at most 1.1 x a single member's).
//   fanout_bench [--quick]
// Prints figures; exit 1 only if a member did not converge.
#include "support/fault_proxy.hpp"
#include "support/free_port.hpp"
#include "support/eventually.hpp"
#include "support/memory_host.hpp"
#include "support/test_pki.hpp"

#include <ccdr/plugin_loader.hpp>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

using namespace ccdr;
using namespace ccdr::test;
using namespace std::chrono_literals;

namespace {

constexpr const char* kReplica = "foo-replica";

std::vector<uint8_t> payload_for(uint64_t i, size_t size) {
    std::string text = "CREATE (:Item {id: " + std::to_string(i) + "})";
    std::vector<uint8_t> out(text.begin(), text.end());
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

struct RunResult {
    bool converged = false;
    double wan_bytes_per_tx = 0;
    uint64_t wan_bytes = 0;
};

std::map<std::string, std::string> settings_for(const std::filesystem::path& certs, uint16_t port) {
    std::map<std::string, std::string> s = {
        {"server.cluster.listen_address", "127.0.0.1:" + std::to_string(port)},
        {"ccdr.heartbeat.interval", "1s"},
        {"ccdr.backoff.initial", "50ms"},
        {"ccdr.backoff.max", "500ms"},
    };
    for (auto& [k, v] : policy_settings(certs)) {
        s[k] = v;
    }
    return s;
}

RunResult run(const ccdr_plugin_api* api, size_t members, bool fan_out, uint64_t transactions, int rate) {
    RunResult out;
    TempDir dir("ccdr-fanout-bench");
    TestCa ca("bench cluster CA");
    const uint16_t upstream_port = free_port();
    write_policy_directory(dir.path() / "upstream", ca.issue("upstream"), {ca.cert_pem()});
    MemoryHost upstream("upstream", settings_for(dir.path() / "upstream", upstream_port));
    if (!upstream.attach(api) || !upstream.create_database({"foo", CCDR_KIND_STANDARD, 1, 0, "", 0, {}})) {
        std::fprintf(stderr, "cannot start the upstream\n");
        return out;
    }
    FaultProxy wan(upstream_port);
    auto up = upstream.member("foo");
    std::vector<std::string> ids;
    std::vector<uint16_t> ports;
    for (size_t i = 0; i < members; ++i) {
        ids.push_back("server-" + std::to_string(i + 1));
        ports.push_back(free_port());
        write_policy_directory(dir.path() / ids[i], ca.issue(ids[i]), {ca.cert_pem()});
    }
    std::vector<std::unique_ptr<MemoryHost>> hosts;
    for (size_t i = 0; i < members; ++i) {
        auto host = std::make_unique<MemoryHost>(ids[i], settings_for(dir.path() / ids[i], ports[i]));
        if (!host->attach(api)) {
            std::fprintf(stderr, "cannot start %s\n", ids[i].c_str());
            return out;
        }
        host->set_seats(static_cast<uint32_t>(members));
        ValueMap config{{"remote", Value("foo")},
                        {"addresses", Value(ValueList{Value("127.0.0.1:" + std::to_string(wan.port()))})}};
        if (!fan_out) {
            config.emplace_back("fanOut", Value(false));
        }
        if (!host->create_database({kReplica, CCDR_KIND_REPLICA, static_cast<uint32_t>(members), 0, up->store_id,
                                    up->epoch, ValueMap{{"replicaConfig", Value(config)}}})) {
            std::fprintf(stderr, "cannot create the replica on %s\n", ids[i].c_str());
            return out;
        }
        std::vector<MemberInfo> peers;
        for (size_t k = 0; k < members; ++k) {
            if (k != i) {
                peers.push_back(MemberInfo{ids[k], "", "127.0.0.1:" + std::to_string(ports[k]), CCDR_ROLE_PRIMARY,
                                           false, CCDR_DB_ONLINE, false, 0, 0});
            }
        }
        host->set_peer_members(kReplica, peers);
        hosts.push_back(std::move(host));
    }
    // The count starts once the members settled: with fan-out one pulls
    // (role 1) and the others follow it (role 2); without, each pulls
    // itself (role 3). The role is the plugin's fanout_role gauge.
    auto role = [&](size_t i) {
        double value = -1;
        const std::string name = "database." + std::string(kReplica) + ".ccdr.replica.fanout_role";
        hosts[i]->plugin()->collect_metrics([&](std::string_view n, ccdr_metric_type, double v) {
            if (n == name) {
                value = v;
            }
        });
        return static_cast<int>(value);
    };
    auto settled = [&] {
        size_t pullers = 0, followers = 0, direct = 0;
        for (size_t i = 0; i < members; ++i) {
            const int r = role(i);
            pullers += r == 1;
            followers += r == 2;
            direct += r == 3;
        }
        return fan_out && members > 1 ? pullers == 1 && followers == members - 1 : direct == members;
    };
    if (!eventually(settled, 60s, 10ms)) {
        std::fprintf(stderr, "the %zu members did not settle within 60 s\n", members);
        return out;
    }
    const uint64_t before = wan.downstream_bytes();
    auto next = std::chrono::steady_clock::now();
    const auto step = std::chrono::microseconds(1'000'000 / rate);
    for (uint64_t i = 1; i <= transactions; ++i) {
        if (!upstream.commit("foo", payload_for(i, 200))) {
            std::fprintf(stderr, "commit %llu failed\n", static_cast<unsigned long long>(i));
            return out;
        }
        next += step;
        std::this_thread::sleep_until(next);
    }
    out.converged = true;
    for (auto& host : hosts) {
        out.converged = out.converged && host->wait_for_tx(kReplica, transactions, 120'000);
    }
    out.wan_bytes = wan.downstream_bytes() - before;
    out.wan_bytes_per_tx = static_cast<double>(out.wan_bytes) / static_cast<double>(transactions);
    for (auto& host : hosts) {
        host->detach();
    }
    upstream.detach();
    return out;
}

}  // namespace

int main(int argc, char** argv) {
    const bool quick = argc > 1 && std::strcmp(argv[1], "--quick") == 0;
    const uint64_t transactions = quick ? 2'000 : 20'000;
    const int rate = 1'000;  // tx/s: small batches, as a replica at steady load sees them
    auto loaded = load_plugin(CCDR_PLUGIN_PATH, host_api());
    if (!loaded) {
        std::fprintf(stderr, "cannot load %s: %s\n", CCDR_PLUGIN_PATH, loaded.status().message().c_str());
        return 1;
    }
    const ccdr_plugin_api* api = loaded.value()->api();
    std::printf("fan-out bench: %llu transactions of 200 bytes at %d tx/s, WAN = upstream -> replica cluster\n",
                static_cast<unsigned long long>(transactions), rate);
    const RunResult single = run(api, 1, true, transactions, rate);
    const RunResult on = run(api, 5, true, transactions, rate);
    const RunResult off = run(api, 5, false, transactions, rate);
    std::printf("%-34s %14s %14s %10s\n", "replica database", "WAN bytes", "bytes/tx", "x single");
    auto line = [&](const char* name, const RunResult& r) {
        std::printf("%-34s %14llu %14.1f %10.2f%s\n", name, static_cast<unsigned long long>(r.wan_bytes),
                    r.wan_bytes_per_tx, single.wan_bytes_per_tx > 0 ? r.wan_bytes_per_tx / single.wan_bytes_per_tx : 0,
                    r.converged ? "" : "  (did not converge)");
    };
    line("1 member", single);
    line("3+2 members, fan-out on", on);
    line("3+2 members, fan-out off", off);
    std::printf("goal: fan-out on <= 1.10 x a single member's\n");
    return single.converged && on.converged && off.converged ? 0 : 1;
}

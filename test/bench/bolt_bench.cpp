// bolt_bench: Bolt round-trip latency and simple-query throughput against a
// real refhost process (3 servers, started from a temporary HOME and stopped
// by its PID). Prints figures; asserts nothing about speed. --quick runs a
// short form.
//
//   latency      one connection, `RETURN 1` sent and answered N times in a
//                row (RUN + PULL in one write, as the drivers pipeline them):
//                p50, p99, mean, in microseconds
//   throughput   `RETURN 1` from 1 and from 4 connections, and auto-commit
//                `CREATE` writes from 1 connection, in queries per second
//   Bolt alone   the same round trip against the Bolt server in-process with
//                the fake DBMS and engine of the unit tests: the protocol's
//                and the thread hops' share of the figure above
#include "bolt/client.hpp"
#include "bolt/server.hpp"
#include "support/bolt_fakes.hpp"
#include "support/child_process.hpp"
#include "support/refhost_home.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

using Clock = std::chrono::steady_clock;
using namespace refhost;

namespace {

std::unique_ptr<bolt::BoltClient> connect(const std::string& address) {
    auto colon = address.rfind(':');
    auto c = bolt::BoltClient::connect(address.substr(0, colon),
                                       static_cast<uint16_t>(std::stoi(address.substr(colon + 1))));
    if (!c) {
        std::fprintf(stderr, "bolt_bench: %s: %s\n", c.error().code.c_str(), c.error().message.c_str());
        std::exit(1);
    }
    auto ok = c.value()->logon({"basic", "neo4j", "secret"});
    if (!ok) {
        std::fprintf(stderr, "bolt_bench: logon: %s\n", ok.error().message.c_str());
        std::exit(1);
    }
    return std::move(c.value());
}

void must(const Outcome<bolt::ResultSet>& r, const char* what) {
    if (!r) {
        std::fprintf(stderr, "bolt_bench: %s: %s: %s\n", what, r.error().code.c_str(), r.error().message.c_str());
        std::exit(1);
    }
}

double percentile(std::vector<double>& sorted, double p) {
    size_t i = static_cast<size_t>(p * static_cast<double>(sorted.size() - 1) + 0.5);
    return sorted[std::min(i, sorted.size() - 1)];
}

void latency(const std::string& address, int n, const char* label = "round trip, RETURN 1, 1 connection",
             const std::string& query = "RETURN 1 AS x", const std::string& db = "") {
    auto c = connect(address);
    Map extra;
    if (!db.empty()) {
        extra.emplace("db", Value(db));
    }
    for (int i = 0; i < n / 10; ++i) {  // warm-up
        must(c->run_all(query, Map{}, extra), "warm-up");
    }
    std::vector<double> us;
    us.reserve(static_cast<size_t>(n));
    auto t0 = Clock::now();
    for (int i = 0; i < n; ++i) {
        auto s = Clock::now();
        must(c->run_all(query, Map{}, extra), label);
        us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - s).count());
    }
    double total = std::chrono::duration<double>(Clock::now() - t0).count();
    std::sort(us.begin(), us.end());
    double mean = 0;
    for (double x : us) {
        mean += x;
    }
    mean /= static_cast<double>(us.size());
    std::printf("%-44s %8d queries  p50 %7.1f us  p99 %7.1f us  mean %7.1f us  (%.0f queries/s)\n",
                label, n, percentile(us, 0.50), percentile(us, 0.99), mean,
                static_cast<double>(n) / total);
}

void throughput(const std::string& address, int connections, double seconds, const char* query, const char* label) {
    std::vector<std::unique_ptr<bolt::BoltClient>> clients;
    for (int i = 0; i < connections; ++i) {
        clients.push_back(connect(address));
    }
    std::atomic<bool> stop{false};
    std::atomic<long> done{0};
    std::vector<std::thread> threads;
    auto t0 = Clock::now();
    for (auto& c : clients) {
        threads.emplace_back([&, client = c.get()] {
            long mine = 0;
            while (!stop.load(std::memory_order_relaxed)) {
                must(client->run_all(query), label);
                ++mine;
            }
            done += mine;
        });
    }
    std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
    stop = true;
    for (auto& t : threads) {
        t.join();
    }
    double elapsed = std::chrono::duration<double>(Clock::now() - t0).count();
    std::printf("%-44s %8ld queries in %.1f s: %9.0f queries/s\n", label, done.load(), elapsed,
                static_cast<double>(done.load()) / elapsed);
}

}  // namespace

int main(int argc, char** argv) {
    bool quick = argc > 1 && std::strcmp(argv[1], "--quick") == 0;
    test::TempHome home(3);
    {
        test::ChildProcess pw({REFHOST_BINARY, "set-initial-password", "--home", home.path().string(), "secret"},
                              home.path());
        if (pw.wait_exit(std::chrono::seconds(60)) != 0) {
            std::fprintf(stderr, "bolt_bench: set-initial-password failed: %s\n", pw.err().c_str());
            return 1;
        }
    }
    test::ChildProcess server({REFHOST_BINARY, "--home", home.path().string()}, home.path());
    if (!server.wait_for_stdout("cluster ready", std::chrono::seconds(60))) {
        std::fprintf(stderr, "bolt_bench: refhost did not start: %s\n", server.err().c_str());
        return 1;
    }
    // The home database's member (server 1 of a fresh HOME hosts it).
    std::string address = home.bolt(0);
    std::printf("bolt_bench%s: refhost (3 servers) at %s, Bolt %s\n", quick ? " --quick" : "", address.c_str(),
                connect(address)->version().to_string().c_str());

    latency(address, quick ? 2'000 : 20'000);
    // What vs-postgres's lag run polls on the replica (docs/benchmarks.md).
    latency(address, quick ? 2'000 : 20'000, "round trip, SHOW DATABASE (the lag poll)",
            "SHOW DATABASE neo4j YIELD lastCommittedTxn RETURN min(lastCommittedTxn) AS tx", "system");
    double seconds = quick ? 1.5 : 10.0;
    throughput(address, 1, seconds, "RETURN 1 AS x", "throughput, RETURN 1, 1 connection");
    throughput(address, 4, seconds, "RETURN 1 AS x", "throughput, RETURN 1, 4 connections");
    throughput(address, 1, seconds, "CREATE (:Bench {v: 1})", "throughput, auto-commit CREATE, 1 connection");

    refhost::testing::FakeDbms fake_dbms(1);
    refhost::testing::FakeEngine fake_engine;
    bolt::BoltService fake(fake_dbms, fake_engine);
    if (!fake.start()) {
        std::fprintf(stderr, "bolt_bench: the in-process Bolt server did not start\n");
        return 1;
    }
    latency(fake.address(0), quick ? 2'000 : 20'000, "Bolt alone (fake DBMS), RETURN 1");
    return 0;
}

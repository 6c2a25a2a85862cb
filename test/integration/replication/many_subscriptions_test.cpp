// One upstream server serving many replica subscriptions at once (issue 19,
// "test as users load it"): an upstream MemoryHost with database `foo`, and
// kReplicaServers replica MemoryHosts (one-server clusters, a plugin instance
// each, as separate replica clusters would be), each with per_server()
// single-member replica databases of `foo`: 120 live subscriptions on the
// upstream's one server, over mutual TLS on 127.0.0.1.
//
// The upstream's ccdr.batch.max_bytes is 16 KiB, so a backlog is cut into
// many slices of the shared log (upstream/shared_log.hpp), and two
// transactions are larger than a batch: one under the size a stream frames
// on its own strand (kInlineSliceBytes, 64 KiB), one over it (framed on the
// blocking pool); both travel as TX_PART frames (protocol 5) to all 120
// subscriptions at once and are applied part by part.
//
// 1. Every subscription is listed by internal.dbms.showReplicaSubscriptions
//    and counted by connected_replicas.
// 2. Writers commit from several threads while all are live; every replica
//    database ends at the upstream's last tx with its content (every
//    transaction, and the content fingerprint), no subscription was refused
//    or made again (the replicas' reconnects, the upstream's refusals and its
//    log's "subscribed" lines), no apply failed, every row acknowledges the
//    last tx.
// 3. Under steady writes, late replica databases join (they read the backlog
//    alone, behind the shared log's cache, while the others share it at the
//    tip), then every second replica database is dropped: the upstream's
//    count falls to the rest, which converge the same way.
//
// This test found the ACK that overtook its batch's write (ack_reader.hpp,
// send_batch): about one run in ten ended a stream with "ACK of tx N beyond
// the last sent tx N-1" before the fix.
//
// Printed: subscriptions, transactions, the time from the last commit until
// every replica database held it, and the CPU seconds of the upstream
// plugin's own threads (the process also runs the replicas, so its total
// would say little). CCDR_MANY_SUBS_PER_SERVER sets per_server() (30 by
// default; 100 = 400 subscriptions pass in 13 s on 2 vCPUs; at 250 = 1 000
// the late joiners' first TLS handshakes time out under the writes, see
// docs/benchmarks.md).
#include "support/replication_world.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>
#include <unistd.h>

using namespace ccdr;
using namespace ccdr::test;
using namespace std::chrono_literals;

namespace {

constexpr size_t kReplicaServers = 4;
constexpr size_t kWriters = 4;
constexpr uint64_t kBatchMaxBytes = 16 * 1024;
const char* kShow = "internal.dbms.showReplicaSubscriptions";
constexpr size_t kAcknowledgedTxColumn = 8;  // of kShow's rows (subscriptions_test.cpp names them all)

size_t per_server() {
    const char* env = std::getenv("CCDR_MANY_SUBS_PER_SERVER");
    return env != nullptr && std::atoi(env) > 0 ? static_cast<size_t>(std::atoi(env)) : 30;
}

// The ids of this process's threads now (/proc/self/task).
std::set<int> thread_ids() {
    std::set<int> out;
    for (const auto& entry : std::filesystem::directory_iterator("/proc/self/task")) {
        out.insert(std::atoi(entry.path().filename().c_str()));
    }
    return out;
}

// User + system CPU seconds the given threads have spent (those that ended
// are not counted; the upstream's run until its host detaches).
double cpu_seconds(const std::set<int>& tids) {
    const double tick = static_cast<double>(sysconf(_SC_CLK_TCK));
    double total = 0;
    for (int tid : tids) {
        std::ifstream in("/proc/self/task/" + std::to_string(tid) + "/stat");
        std::string line;
        if (!std::getline(in, line)) {
            continue;
        }
        // Fields after the command's closing parenthesis: state is field 3,
        // utime 14 and stime 15.
        std::istringstream rest(line.substr(line.rfind(')') + 2));
        std::string field;
        double utime = 0, stime = 0;
        for (int i = 3; i <= 15 && rest >> field; ++i) {
            if (i == 14) {
                utime = std::atof(field.c_str());
            } else if (i == 15) {
                stime = std::atof(field.c_str());
            }
        }
        total += (utime + stime) / tick;
    }
    return total;
}

class ManySubscriptionsWorld {
    std::unique_ptr<LoadedPlugin> plugin_;

public:
    ManySubscriptionsWorld() {
        auto loaded = load_plugin(CCDR_PLUGIN_PATH, host_api());
        REQUIRE(loaded);
        plugin_ = std::move(loaded.value());
        upstream_port = free_port();
        write_policy_directory(dir.path() / "upstream-certs", ca.issue("upstream server"), {ca.cert_pem()});
        auto upstream_settings = settings("upstream-certs", upstream_port);
        upstream_settings["ccdr.batch.max_bytes"] = std::to_string(kBatchMaxBytes);
        upstream = std::make_unique<MemoryHost>("upstream", upstream_settings);
        const std::set<int> before = thread_ids();
        REQUIRE(upstream->attach(plugin_->api()));
        for (int tid : thread_ids()) {
            if (before.count(tid) == 0) {
                upstream_threads.insert(tid);
            }
        }
        REQUIRE(upstream->create_database({"foo", CCDR_KIND_STANDARD, 1, 0, "", 0, {}}));
        for (size_t s = 0; s < kReplicaServers; ++s) {
            const std::string id = "replica-" + std::to_string(s);
            write_policy_directory(dir.path() / (id + "-certs"), ca.issue(id), {ca.cert_pem()});
            servers.push_back(std::make_unique<MemoryHost>(id, settings(id + "-certs", free_port())));
            REQUIRE(servers.back()->attach(plugin_->api()));
        }
    }

    ~ManySubscriptionsWorld() {
        for (auto& s : servers) {
            s.reset();
        }
        upstream.reset();
    }

    static std::string database(size_t k) { return "foo-replica-" + std::to_string(k); }
    // Replica database k lives on server k % kReplicaServers.
    MemoryHost& server_of(size_t k) { return *servers[k % kReplicaServers]; }

    // Creates `count` more replica databases (numbered on from the last).
    void create_replicas(size_t count) {
        auto up = upstream->member("foo");
        REQUIRE(up);
        ValueMap config{{"remote", Value("foo")},
                        {"addresses", Value(ValueList{Value("127.0.0.1:" + std::to_string(upstream_port))})}};
        for (size_t k = created; k < created + count; ++k) {
            REQUIRE(server_of(k).create_database({database(k), CCDR_KIND_REPLICA, 1, 0, up->store_id, up->epoch,
                                                  ValueMap{{"replicaConfig", Value(config)}}}));
            live.push_back(k);
        }
        created += count;
    }

    // Drops every second replica database (those with an odd k).
    void drop_half() {
        std::vector<size_t> kept;
        for (size_t k : live) {
            if (k % 2 == 1) {
                REQUIRE(server_of(k).drop_database(database(k)));
            } else {
                kept.push_back(k);
            }
        }
        live = std::move(kept);
    }

    // Rows of kShow for `foo`: the subscriptions the upstream serves.
    std::vector<ValueList> subscription_rows() {
        auto rows = upstream->call_procedure(kShow, {Value("foo")});
        REQUIRE(rows);
        return std::move(rows.value());
    }

    double upstream_metric(const std::string& name) { return metrics_of(*upstream)[name]; }

    double replica_metric(size_t k, const std::string& name) {
        return metrics_of(server_of(k))["database." + database(k) + ".ccdr.replica." + name];
    }

    uint64_t last_tx_of(size_t k) {
        auto info = server_of(k).database_info(database(k));
        if (!info) {
            return 0;
        }
        for (const auto& m : info->members) {
            if (m.is_local) {
                return m.last_committed_tx;
            }
        }
        return 0;
    }

    bool live_at(uint64_t n) {
        for (size_t k : live) {
            if (last_tx_of(k) != n) {
                return false;
            }
        }
        return true;
    }

    // Every live replica database holds exactly the upstream's transactions
    // 1..n (ids, commit times, payloads) and the same content fingerprint.
    void check_identical(uint64_t n) {
        auto up = upstream->member("foo");
        REQUIRE(up);
        REQUIRE(up->content.size() == n);
        auto up_print = upstream->content_fingerprint("foo", "");
        REQUIRE(up_print);
        for (size_t k : live) {
            INFO("replica database " << database(k));
            auto rep = server_of(k).member(database(k));
            REQUIRE(rep);
            REQUIRE(rep->last_tx == n);
            REQUIRE(rep->content.size() == n);
            for (uint64_t i = 0; i < n; ++i) {
                const auto& a = up->content[i];
                const auto& b = rep->content[i];
                if (a.tx_id != b.tx_id || a.commit_time_ms != b.commit_time_ms || a.payload != b.payload) {
                    FAIL(database(k) << ": transaction " << i + 1 << " differs: upstream tx " << a.tx_id
                                     << ", replica tx " << b.tx_id);
                }
            }
            auto print = server_of(k).content_fingerprint(database(k), "");
            REQUIRE(print);
            CHECK(print->fingerprint == up_print->fingerprint);
        }
    }

    // No live replica database reconnected (a subscription made again), failed an
    // apply or a checksum.
    void check_streams_held() {
        for (size_t k : live) {
            INFO("replica database " << database(k));
            const double reconnects = replica_metric(k, "reconnects");
            if (reconnects != 0 && explained_++ < 3) {
                explain(database(k));
            }
            CHECK(reconnects == 0);
            CHECK(replica_metric(k, "apply_failures") == 0);
            CHECK(replica_metric(k, "checksum_failures") == 0);
            CHECK(replica_metric(k, "store_copies") == 0);
        }
        CHECK(upstream_metric("dbms.ccdr.upstream.refusals") == 0);
    }

    // How often the upstream's log says each replica database subscribed.
    std::map<std::string, size_t> subscribes_logged() {
        std::map<std::string, size_t> out;
        for (const auto& [level, line] : upstream->logs()) {
            const size_t at = line.find("') subscribed to 'foo' from tx");
            const size_t open = line.rfind("('", at);
            if (at != std::string::npos && open != std::string::npos) {
                ++out[line.substr(open + 2, at - open - 2)];
            }
        }
        return out;
    }

    // Every replica database created subscribed once (none subscribed
    // again); the story of one that did is printed.
    void check_subscribed_once() {
        const auto counts = subscribes_logged();
        CHECK(counts.size() == created);
        for (const auto& [name, times] : counts) {
            if (times != 1) {
                explain(name);
            }
            CHECK(times == 1);
        }
    }

    // The upstream's lines about the connections of replica database
    // `name`'s subscriptions, and its replica server's lines about it.
    void explain(const std::string& name) {
        const auto lines = upstream->logs();
        std::set<std::string> peers;  // "127.0.0.1:port" of each of its subscriptions
        for (const auto& [level, line] : lines) {
            const size_t from = line.find("127.0.0.1:");
            const size_t to = line.find(" (certificate");
            if (line.find("('" + name + "') subscribed") != std::string::npos && from < to) {
                peers.insert(line.substr(from, to - from) + " ");
            }
        }
        for (const auto& [level, line] : lines) {
            for (const auto& peer : peers) {
                if (line.find(peer) != std::string::npos) {
                    std::printf("upstream: %s\n", line.c_str());
                }
            }
        }
        const size_t k = std::stoul(name.substr(std::string("foo-replica-").size()));
        for (const auto& [level, line] : server_of(k).logs()) {
            if (line.find("'" + name + "'") != std::string::npos) {
                std::printf("replica-%zu: %s\n", k % kReplicaServers, line.c_str());
            }
        }
    }

    TempDir dir{"ccdr-many-subs"};
    TestCa ca{"test cluster CA"};
    uint16_t upstream_port = 0;
    std::unique_ptr<MemoryHost> upstream;
    std::set<int> upstream_threads;  // the upstream plugin instance's threads
    std::vector<std::unique_ptr<MemoryHost>> servers;
    size_t created = 0;        // replica databases created: 0 .. created-1
    std::vector<size_t> live;  // those not dropped
    int explained_ = 0;        // replica databases whose story was printed (the first few)

private:
    std::map<std::string, std::string> settings(const std::string& certs, uint16_t port) {
        std::map<std::string, std::string> s = {
            {"server.cluster.listen_address", "127.0.0.1:" + std::to_string(port)},
            {"ccdr.heartbeat.interval", "200ms"},
            {"ccdr.backoff.initial", "20ms"},
            {"ccdr.backoff.max", "300ms"},
            {"ccdr.connect.timeout", "5s"},
            {"ccdr.io.timeout", "20s"},
        };
        for (auto& [k, v] : policy_settings(dir.path() / certs)) {
            s[k] = v;
        }
        return s;
    }
};

// kWriters threads committing to the upstream's `foo`, each at most one
// transaction per `every`, until stop() (or `per_writer` each, if not 0).
// Writer 0's `large_at`-th commits are the large ones (`large` sizes).
class Writers {
public:
    Writers(MemoryHost& upstream, uint64_t per_writer, std::chrono::milliseconds every,
            std::vector<size_t> large = {})
        : upstream_(upstream) {
        for (size_t w = 0; w < kWriters; ++w) {
            threads_.emplace_back([this, w, per_writer, every, large] {
                auto next = std::chrono::steady_clock::now();
                for (uint64_t i = 0; running_.load() && (per_writer == 0 || i < per_writer); ++i) {
                    size_t size = 300;
                    if (w == 0 && i >= 10 && (i - 10) % 20 == 0 && (i - 10) / 20 < large.size()) {
                        size = large[(i - 10) / 20];
                    }
                    auto id = upstream_.commit("foo", payload_for(serial_.fetch_add(1), size));
                    if (!id) {
                        failures_.fetch_add(1);
                    }
                    next += every;
                    std::this_thread::sleep_until(next);
                }
            });
        }
    }
    ~Writers() { stop(); }

    void stop() {
        running_ = false;
        join();
    }
    // Waits for writers with a count to commit it.
    void join() {
        for (auto& t : threads_) {
            if (t.joinable()) {
                t.join();
            }
        }
    }
    uint64_t failures() const { return failures_.load(); }

private:
    MemoryHost& upstream_;
    std::atomic<bool> running_{true};
    std::atomic<uint64_t> serial_{1};
    std::atomic<uint64_t> failures_{0};
    std::vector<std::thread> threads_;
};

double seconds_since(std::chrono::steady_clock::time_point t) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

}  // namespace

TEST_CASE("one upstream server serves 120 replica subscriptions, late ones join and half are dropped under writes",
          "[subscriptions][many_subscriptions]") {
    ManySubscriptionsWorld w;
    const size_t n = kReplicaServers * per_server();
    const auto created_at = std::chrono::steady_clock::now();
    w.create_replicas(n);

    // 1. Every subscription is live and listed.
    REQUIRE(eventually([&] { return w.subscription_rows().size() == n; }, 60s, 50ms));
    const double subscribed_s = seconds_since(created_at);
    CHECK(w.upstream_metric("database.foo.ccdr.upstream.connected_replicas") == static_cast<double>(n));

    // 2. Writes from several threads while all are live: 4 x 100, two of them
    // larger than a batch (40 KiB, under the inline framing size; 200 KiB, over it).
    const double cpu_before = cpu_seconds(w.upstream_threads);
    const auto writes_at = std::chrono::steady_clock::now();
    Writers burst(*w.upstream, 100, 4ms, {40 * 1024, 200 * 1024});
    burst.join();
    const auto last_commit_at = std::chrono::steady_clock::now();
    REQUIRE(burst.failures() == 0);
    const uint64_t last = w.upstream->member("foo")->last_tx;
    REQUIRE(last == kWriters * 100);
    REQUIRE(eventually([&] { return w.live_at(last); }, 60s, 5ms));
    const double converge_s = seconds_since(last_commit_at);
    const double write_s = std::chrono::duration<double>(last_commit_at - writes_at).count();
    const double cpu = cpu_seconds(w.upstream_threads) - cpu_before;
    w.check_identical(last);
    // Every row acknowledges the last tx (the acks arrive after the applies).
    REQUIRE(eventually(
        [&] {
            auto rows = w.subscription_rows();
            if (rows.size() != n) {
                return false;
            }
            for (const auto& row : rows) {
                if (row[kAcknowledgedTxColumn] != Value(static_cast<int64_t>(last))) {
                    return false;
                }
            }
            return true;
        },
        30s, 50ms));
    w.check_streams_held();
    w.check_subscribed_once();
    CHECK(w.upstream_metric("database.foo.ccdr.upstream.connected_replicas") == static_cast<double>(n));
    // The two larger than a batch reached every replica database as TX_PART
    // frames, applied part by part, none abandoned.
    for (size_t k = 0; k < kReplicaServers; ++k) {
        const auto parts = w.servers[k]->parts_counts();
        CHECK(parts.committed == static_cast<int>(2 * per_server()));
        CHECK(parts.aborted == 0);
        CHECK(parts.largest_part <= kBatchMaxBytes);
    }
    std::printf("many subscriptions: %zu subscriptions live %.2f s after creating them; %llu transactions by %zu "
                "writers in %.2f s (2 larger than the %llu-byte batch); every replica database at the last tx "
                "%.3f s after its commit; upstream plugin threads' CPU %.2f s (%.3f ms per tx, %.4f ms per tx "
                "per subscription)\n",
                n, subscribed_s, static_cast<unsigned long long>(last), kWriters, write_s,
                static_cast<unsigned long long>(kBatchMaxBytes), converge_s, cpu,
                1000.0 * cpu / static_cast<double>(last), 1000.0 * cpu / static_cast<double>(last * n));

    // 3. Under steady writes, late replica databases join (they read the
    // backlog from tx 1 behind the shared log's cache while the others take
    // it at the tip), then every second one is dropped: the upstream counts
    // the rest, which converge as before.
    Writers steady(*w.upstream, 0, 10ms);
    const size_t late = n / 5;
    w.create_replicas(late);
    size_t rows = 0;
    const bool joined = eventually([&] { return (rows = w.subscription_rows().size()) == n + late; }, 30s, 50ms);
    INFO("subscriptions listed: " << rows << " of " << n + late);
    REQUIRE(joined);
    const auto drop_at = std::chrono::steady_clock::now();
    w.drop_half();
    const double dropped_s = seconds_since(drop_at);
    const size_t kept = w.live.size();
    REQUIRE(kept == (n + late + 1) / 2);
    REQUIRE(eventually([&] { return w.subscription_rows().size() == kept; }, 30s, 50ms));
    REQUIRE(eventually(
        [&] {
            return w.upstream_metric("database.foo.ccdr.upstream.connected_replicas") == static_cast<double>(kept);
        },
        10s, 20ms));
    const double fell_s = seconds_since(drop_at);
    steady.stop();
    const auto second_last_commit_at = std::chrono::steady_clock::now();
    REQUIRE(steady.failures() == 0);
    const uint64_t final_tx = w.upstream->member("foo")->last_tx;
    REQUIRE(final_tx > last);
    REQUIRE(eventually([&] { return w.live_at(final_tx); }, 60s, 5ms));
    const double second_converge_s = seconds_since(second_last_commit_at);
    w.check_identical(final_tx);
    w.check_streams_held();
    w.check_subscribed_once();
    std::printf("many subscriptions: %zu late replica databases joined under writes; %zu of %zu dropped in %.2f s; "
                "the upstream counted %zu subscriptions %.2f s after the first drop; %llu transactions in all, the "
                "%zu kept at the last %.3f s after its commit\n",
                late, n + late - kept, n + late, dropped_s, kept, fell_s, static_cast<unsigned long long>(final_tx),
                kept, second_converge_s);
    std::fflush(stdout);
}

// What the refhost tells an operator about its store's writes: the slow-write
// report of a replicated write in debug.log (plugin_host/store_access.cpp) and
// the WAL checkpoints as metrics (dbms/cluster_show.cpp).
#include "config/config.hpp"
#include "plugin_host/store_access.hpp"
#include "store/change_record.hpp"
#include "support/refhost_home.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <fstream>
#include <map>
#include <optional>
#include <regex>
#include <sstream>
#include <thread>

using namespace refhost;
using refhost::test::TempHome;

namespace {

struct OwnedTx {
    uint64_t id;
    std::vector<uint8_t> payload;
};

// `n` change records from tx `first_tx`, each creating one node.
std::vector<OwnedTx> node_records(uint64_t first_tx, size_t n) {
    std::vector<OwnedTx> out;
    for (size_t i = 0; i < n; ++i) {
        ChangeRecordWriter w;
        w.create_node(static_cast<int64_t>(first_tx + i), {"Item"},
                      Map{{"seq", Value(static_cast<int64_t>(first_tx + i))}, {"text", Value(std::string(40, 'x'))}});
        out.push_back(OwnedTx{first_tx + i, w.bytes()});
    }
    return out;
}

std::vector<ccdr_tx> views(const std::vector<OwnedTx>& txs) {
    std::vector<ccdr_tx> out;
    for (const auto& t : txs) {
        out.push_back(ccdr_tx{t.id, 1'700'000'000'000, ccdr_bytes{t.payload.data(), t.payload.size()}});
    }
    return out;
}

ccdr::DatabaseSpec replica_spec(const std::string& name) {
    ccdr::DatabaseSpec s;
    s.name = name;
    s.kind = CCDR_KIND_REPLICA;
    s.primaries = 1;
    s.secondaries = 0;
    return s;
}

std::string debug_log(const TempHome& home) {
    auto config = Config::load(home.path(), {});
    REQUIRE(config.is_ok());
    std::ifstream in(config->logs_dir() / "debug.log");
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// A one-server cluster with a replica database "rep", and its member's store.
struct ReplicaStore {
    TempHome home;
    std::unique_ptr<Cluster> cluster = home.open_cluster();
    std::shared_ptr<MemberStore> store;

    ReplicaStore() {
        REQUIRE(cluster->create(replica_spec("rep")).is_ok());
        auto member = cluster->member("rep", 0);
        REQUIRE(member.is_ok());
        store = member.value()->store();
    }
};

}  // namespace

TEST_CASE("a replicated write that waited for the write lock is reported with its parts", "[refhost][log]") {
    ReplicaStore r;
    auto& cluster = r.cluster;
    auto& store = r.store;

    // Another writer holds the store's write lock while a batch of one
    // transaction waits for it, 100 ms from when it is queued.
    std::optional<MemberStore::WriteLock> held;
    {
        auto lock = store->lock_for_write();
        REQUIRE(lock.is_ok());
        held = std::move(lock.value());
    }
    auto batch = node_records(1, 1);
    ccdr::Status applied;
    std::thread writer([&] { applied = StoreAccess(*cluster).apply_batch(0, "rep", views(batch)); });
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (store->write_queue().waiting() == 0 && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    CHECK(store->write_queue().waiting() == 1);  // (CHECK: the thread is joined either way)
    // The wait's length is what the report is about: a fixed one.
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    held.reset();
    writer.join();
    REQUIRE(applied.is_ok());
    CHECK(store->last_committed() == 1);

    const std::string log = debug_log(r.home);
    const std::regex report(
        R"(WARN .*slow apply_batch of 'rep' on server 0 \(tx 1\.\.1\): ([0-9.]+) ms: write lock wait ([0-9.]+) \(the )"
        R"(checkpointer held it ([0-9.]+) meanwhile\), statements [0-9.]+, log append [0-9.]+, graph commit [0-9.]+, )"
        R"(log sync [0-9.]+)");
    std::smatch m;
    REQUIRE(std::regex_search(log, m, report));
    const double total = std::stod(m[1].str());
    const double wait = std::stod(m[2].str());
    // Queued before the 100 ms began.
    CHECK(wait >= 100.0);
    CHECK(total >= wait);
    // The lock was this test's, not the checkpointer's.
    CHECK(std::stod(m[3].str()) == 0.0);
}

TEST_CASE("the store's WAL checkpoints are metrics of its database", "[refhost][metrics][checkpoint]") {
    ReplicaStore r;
    auto& cluster = r.cluster;
    auto& store = r.store;
    auto metrics = [&] {
        std::map<std::string, std::pair<ccdr_metric_type, double>> out;
        cluster->collect_metrics(0, [&](std::string_view name, ccdr_metric_type type, double v) {
            out[std::string(name)] = {type, v};
        });
        return out;
    };
    const std::string p = "database.rep.refhost.checkpoint.";
    auto before = metrics();
    REQUIRE(before.count(p + "runs") == 1);
    CHECK(before[p + "runs"] == std::pair(CCDR_METRIC_COUNTER, 0.0));
    CHECK(before[p + "completed"] == std::pair(CCDR_METRIC_COUNTER, 0.0));
    CHECK(before[p + "completed_unlocked"] == std::pair(CCDR_METRIC_COUNTER, 0.0));
    CHECK(before[p + "inline"] == std::pair(CCDR_METRIC_COUNTER, 0.0));
    CHECK(before[p + "write_lock_max_ms"] == std::pair(CCDR_METRIC_GAUGE, 0.0));

    // Batches until the WAL passes the trigger (16 MiB) and a checkpoint
    // completes: about 90 000 one-node transactions.
    uint64_t next = 1;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (store->checkpoints().completed == 0 && std::chrono::steady_clock::now() < deadline) {
        auto batch = node_records(next, 5000);
        REQUIRE(StoreAccess(*cluster).apply_batch(0, "rep", views(batch)).is_ok());
        next += batch.size();
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    // A run may still be going on: the metrics are read after the counters.
    const WalCheckpointer::Counters counted = store->checkpoints();
    REQUIRE(counted.completed >= 1);
    auto after = metrics();
    CHECK(after[p + "runs"].second >= static_cast<double>(counted.runs));
    CHECK(after[p + "completed"].second >= 1.0);
    CHECK(after[p + "completed_unlocked"].second <= after[p + "completed"].second);
    CHECK(after[p + "inline"].second == 0.0);
    CHECK(after[p + "write_lock_max_ms"].second >= static_cast<double>(counted.locked_us_max) / 1000.0);
}

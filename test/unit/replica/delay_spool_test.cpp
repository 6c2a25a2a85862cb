// A replica member's delay spool (replica/delay_spool.hpp) and delayed
// applier (replica/delayed_applier.hpp) against the in-memory host: batches
// survive a reopen (a restart), a damaged file and what follows it are
// dropped, and transactions are applied only once commit time + delay has
// passed, or at once up to a promotion's hold and never past it.
#include "replica/delay_spool.hpp"
#include "replica/delayed_applier.hpp"
#include "unit/replica/replica_fixture.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <random>

using namespace ccdr;
using namespace ccdr::plugin;
using namespace ccdr::test;
using namespace std::chrono_literals;

namespace {

namespace fs = std::filesystem;

struct TempDir {
    fs::path path;
    TempDir() {
        path = fs::temp_directory_path() / ("ccdr-delay-" + std::to_string(std::random_device{}()));
        fs::create_directories(path);
    }
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
};

// Txs first..last committed at `time_ms`.
protocol::DecodedBatch batch_at(uint64_t first, uint64_t last, int64_t time_ms) {
    protocol::BatchBuilder builder(protocol::chain_seed(kStoreId, 1, first), first);
    for (uint64_t i = first; i <= last; ++i) {
        auto p = tx_payload(i);
        ccdr_tx tx{i, time_ms, {p.data(), p.size()}};
        REQUIRE(builder.add(tx));
    }
    auto batch = protocol::decode_batch(builder.finish({last, time_ms, 0}));
    REQUIRE(batch);
    return std::move(batch.value());
}

}  // namespace

TEST_CASE("delay spool: batches survive a reopen, applied files go, a damaged file and what follows are dropped",
          "[replica][delay]") {
    TempDir dir;
    {
        DelaySpool spool(dir.path, kReplica);
        REQUIRE(spool.open(0));
        REQUIRE(spool.append(batch_at(1, 3, 1000)));
        REQUIRE(spool.append(batch_at(4, 5, 2000)));
        REQUIRE(spool.append(batch_at(6, 8, 3000)));
        auto gap = spool.append(batch_at(10, 10, 4000));
        CHECK(gap.code() == CCDR_OUT_OF_ORDER);
        CHECK(spool.last_tx() == 8);
    }
    DelaySpool again(dir.path, kReplica);  // a restart of the server
    REQUIRE(again.open(3));                // the host had applied 1..3
    CHECK(again.last_tx() == 8);
    REQUIRE(again.front());
    CHECK(again.front()->first_tx == 4);
    CHECK(again.last_at_or_before(2500).value() == 5);
    CHECK(again.last_at_or_before(500).value() == 0);
    std::vector<uint64_t> after;
    REQUIRE(again.for_each_after(4, [&](const ccdr_tx& tx) {
        after.push_back(tx.tx_id);
        return Status{};
    }));
    CHECK(after == std::vector<uint64_t>{5, 6, 7, 8});
    auto loaded = again.load(*again.front());
    REQUIRE(loaded);
    CHECK(loaded->first_tx() == 4);
    CHECK(loaded->last_tx() == 5);

    // Damage the 4..5 file: it and 6..8 are pulled again.
    const fs::path damaged = again.front()->path;
    {
        std::fstream f(damaged, std::ios::in | std::ios::out | std::ios::binary);
        f.seekp(20);
        f.put('\x7f');
    }
    DelaySpool third(dir.path, kReplica);
    REQUIRE(third.open(3));
    CHECK(third.empty());
    CHECK(third.last_tx() == 0);
    CHECK_FALSE(fs::exists(damaged));
    third.discard();
    CHECK_FALSE(fs::exists(dir.path / kReplica));
}

TEST_CASE("delayed applier: nothing before commit time + delay, a hold applies up to its tx and no further",
          "[replica][delay]") {
    TempDir dir;
    MemoryHost host{"b1", {}};
    REQUIRE(host.create_database({kReplica, CCDR_KIND_REPLICA, 1, 0, kStoreId, 1, {}}));
    ReplicaStats stats;
    std::atomic<int> finished{0};
    ApplierEvents events;
    events.took = [] {};
    events.failed = [](const std::string&) {};
    events.finished = [&] { ++finished; };
    DelaySpool spool(dir.path, kReplica);
    REQUIRE(spool.open(0));
    DelayedApplier applier(handle_of(host), kReplica, spool, stats, quiet_log(), events);
    applier.set_delay(1h);
    applier.start();

    const int64_t now = runtime::wall_clock_ms();
    REQUIRE(spool.append(batch_at(1, 2, now - 2 * 3'600'000)));  // committed 2 h ago: due
    REQUIRE(spool.append(batch_at(3, 5, now)));                  // committed now: due in an hour
    REQUIRE(spool.append(batch_at(6, 7, now)));
    applier.notify();
    REQUIRE(eventually([&] { return host.member(kReplica)->last_tx == 2; }));
    // Asserting that nothing more is applied: a non-event cannot be polled
    // for, so the applier gets a window (many of its wake-ups) to misbehave.
    std::this_thread::sleep_for(200ms);
    CHECK(host.member(kReplica)->last_tx == 2);
    CHECK(stats.oldest_pending_commit_ms == now);
    CHECK(spool.front()->first_tx == 3);  // the applied file is gone

    REQUIRE(applier.hold(4, 5s));
    CHECK(host.member(kReplica)->last_tx == 4);
    CHECK(stats.last_applied_tx == 4);
    std::this_thread::sleep_for(200ms);  // again a window for a non-event
    CHECK(host.member(kReplica)->last_tx == 4);  // held: 5..7 stay in the spool

    applier.set_delay(0ms);
    applier.release();
    REQUIRE(eventually([&] { return host.member(kReplica)->last_tx == 7; }));
    REQUIRE(eventually([&] { return spool.empty(); }));
    CHECK(stats.transactions_applied == 7);
    applier.stop();
}

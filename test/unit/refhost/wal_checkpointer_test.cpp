// The member store's WAL checkpoints (store/wal_checkpointer.hpp): they run
// in the store's thread, not inside a commit, complete (so the WAL file
// starts over and stays bounded), and a reader that keeps an old snapshot
// makes a run give up instead of stalling the writers.
#include "store/member_store.hpp"
#include "support/refhost_home.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <filesystem>
#include <thread>

using namespace refhost;
using refhost::test::TempHome;

namespace {

constexpr int kTriggerPages = 64;  // 256 KiB of WAL; inline from 512 pages

std::shared_ptr<MemberStore> open_store(const TempHome& home, bool background = true,
                                        int trigger_pages = kTriggerPages) {
    MemberStore::Options options;
    options.checkpoint_trigger_pages = trigger_pages;
    options.background_checkpoints = background;
    auto opened = MemberStore::open(home.path() / "store", "store-1", options);
    REQUIRE(opened.is_ok());
    return std::move(opened.value());
}

// One durable commit of a ~1 KiB payload (about one WAL page of log entry).
void commit_one(MemberStore& store) {
    std::vector<uint8_t> payload(1000, 7);
    auto lock = store.lock_for_write();
    REQUIRE(lock.is_ok());
    auto lease = store.connection();
    REQUIRE(lease.is_ok());
    REQUIRE((*lease)->begin_write().is_ok());
    auto stamp = store.commit_write(*lock, **lease, payload, IdHighWater{});
    REQUIRE(stamp.is_ok());
    lock->release();
    REQUIRE(store.make_durable(stamp->tx_id).is_ok());
}

uintmax_t wal_bytes(const MemberStore& store) {
    std::error_code ec;
    const uintmax_t size = std::filesystem::file_size(store.file().string() + "-wal", ec);
    return ec ? 0 : size;
}

// Commits until `done` holds or `limit` commits were made, pausing a little
// every 20 so that the thread gets to run.
template <typename Done>
void commit_until(MemberStore& store, int limit, Done done) {
    for (int i = 0; i < limit && !done(); ++i) {
        commit_one(store);
        if (i % 20 == 19) {
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
    }
}

}  // namespace

TEST_CASE("WAL checkpoints complete in the store's thread, and the WAL file starts over", "[refhost][checkpoint]") {
    TempHome home;
    auto store = open_store(home);
    // Enough commits for several runs.
    commit_until(*store, 5000, [&] { return store->checkpoints().completed >= 3; });
    const auto c = store->checkpoints();
    CHECK(c.completed >= 3);
    CHECK(c.inline_runs == 0);
    // The WAL restarted: it never held much more than the trigger's worth
    // (SQLite's pages are 4 KiB; the file keeps its largest size).
    CHECK(wal_bytes(*store) < static_cast<uintmax_t>(4 * kTriggerPages) * 4096);
    // Everything committed is still there, in order.
    uint64_t count = 0;
    REQUIRE(store->read_log(1, UINT64_MAX, [&](const ccdr_tx&) {
        ++count;
        return CCDR_OK;
    }).is_ok());
    CHECK(count == store->last_committed());
}

TEST_CASE("a reader holding an old snapshot does not stall commits, and the checkpoint completes after it",
          "[refhost][checkpoint]") {
    TempHome home;
    auto store = open_store(home);
    commit_one(*store);
    // A read transaction kept open across the commits below.
    auto reader = store->connection();
    REQUIRE(reader.is_ok());
    REQUIRE((*reader)->begin_read().is_ok());
    StoreState seen;
    REQUIRE((*reader)->read_state(seen).is_ok());
    const uint64_t runs_before = store->checkpoints().runs;
    const auto t0 = std::chrono::steady_clock::now();
    commit_until(*store, 400, [&] { return store->checkpoints().runs >= runs_before + 3; });
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    CHECK(store->checkpoints().runs >= runs_before + 3);
    CHECK(store->checkpoints().completed == 0);  // the reader's snapshot is older than the WAL's start
    // The reader still sees its snapshot.
    StoreState again;
    REQUIRE((*reader)->read_state(again).is_ok());
    CHECK(again.last_tx == seen.last_tx);
    WARN("commits beside a reader holding an old snapshot: " << ms << " ms");
    (*reader)->rollback();
    commit_until(*store, 2000, [&] { return store->checkpoints().completed >= 1; });
    CHECK(store->checkpoints().completed >= 1);
    CHECK(store->checkpoints().inline_runs == 0);
}

TEST_CASE("without background checkpoints the store checkpoints as SQLite does by default", "[refhost][checkpoint]") {
    TempHome home;
    auto store = open_store(home, false);
    for (int i = 0; i < 200; ++i) {
        commit_one(*store);
    }
    const auto c = store->checkpoints();
    CHECK(c.runs == 0);
    CHECK(c.completed == 0);
    CHECK(store->last_committed() == 200);
}

TEST_CASE("between checkpoints the WAL's new frames are written back as they come", "[refhost][checkpoint]") {
    TempHome home;
    // A trigger far away: no checkpoint runs, only the writebacks.
    auto store = open_store(home, true, 100'000);
    commit_until(*store, 2000, [&] { return store->checkpoints().trickles >= 3; });
    const auto c = store->checkpoints();
    CHECK(c.trickles >= 3);
    CHECK(c.runs == 0);
    // Each commit adds a few frames; a writeback per 64 new frames at most.
    const uint64_t frames = wal_bytes(*store) / 4096;
    CHECK(c.trickles <= frames / 64 + 1);
    CHECK(store->last_committed() >= 3);
}

TEST_CASE("a checkpoint whose first step copies the whole WAL never takes the write lock", "[refhost][checkpoint]") {
    TempHome home;
    auto store = open_store(home);
    // Commits until the WAL passes the trigger, then none: the run they ask
    // for copies every frame without a commit beside it.
    commit_until(*store, 5000, [&] { return wal_bytes(*store) >= static_cast<uintmax_t>(kTriggerPages) * 4096; });
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (store->checkpoints().completed == 0 && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    auto c = store->checkpoints();
    CHECK(c.completed >= 1);
    CHECK(c.completed_unlocked == c.completed);
    CHECK(c.locked_us_total == 0);
    // The next writer starts the WAL over by itself: the file keeps its
    // size, but the commits after it go on from its start, so it does not grow.
    const uintmax_t size = wal_bytes(*store);
    for (int i = 0; i < 10; ++i) {
        commit_one(*store);
    }
    CHECK(wal_bytes(*store) <= size);
    CHECK(store->checkpoints().inline_runs == 0);
}

// The log an upstream server holds for replica members (replica_log_holds,
// ABI 1.2 log_hold) against a log kept in memory: a hold keeps the log from
// the tx after the member's acknowledged position beyond the retention
// policy; past max_size or max_age it is released (pruning wins); holds
// survive a restart (the file); the catch-up window follows the log's growth.
#include "upstream/replica_log_holds.hpp"

#include <catch2/catch.hpp>

#include <spdlog/sinks/null_sink.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include <unistd.h>

using ccdr::plugin::LiveAck;
using ccdr::plugin::LogHoldCap;
using ccdr::plugin::LogHoldKey;
using ccdr::plugin::ReplicaLogHolds;

namespace {

std::shared_ptr<spdlog::logger> quiet() {
    return std::make_shared<spdlog::logger>("holds", std::make_shared<spdlog::sinks::null_sink_mt>());
}

// A log of transactions 1..last, each `tx_bytes` long, committed one per second.
struct FakeLog {
    uint64_t oldest = 1;
    uint64_t last = 0;
    uint64_t tx_bytes = 1000;
    std::map<uint64_t, int64_t> times;

    void commit(uint64_t n, int64_t at_ms) {
        for (uint64_t i = 0; i < n; ++i) {
            times[++last] = at_ms;
        }
    }
    // What the host asks: retention keeps the newest `keep_txs`.
    ccdr_log_prune_info question(uint64_t keep_txs, int64_t now_ms) {
        ccdr_log_prune_info info{};
        info.hdr = ccdr_header CCDR_HEADER_INIT(ccdr_log_prune_info);
        info.database = ccdr_string{"foo", 3};
        info.oldest_retained_tx = oldest;
        info.last_committed_tx = last;
        info.retention_keep_from_tx = last >= keep_txs ? last - keep_txs + 1 : 1;
        info.now_ms = now_ms;
        info.log_ctx = this;
        info.measure_log = [](void* ctx, uint64_t from, uint64_t* bytes, int64_t* time) -> ccdr_status {
            auto* log = static_cast<FakeLog*>(ctx);
            *bytes = 0;
            *time = 0;
            if (from < log->oldest) {
                return CCDR_LOG_PRUNED;
            }
            if (from > log->last) {
                return CCDR_OK;
            }
            *bytes = (log->last - from + 1) * log->tx_bytes;
            *time = log->times[from];
            return CCDR_OK;
        };
        return info;
    }
    // The host prunes what neither the retention nor the hold keeps.
    void prune_to(uint64_t keep_from) { oldest = std::max(oldest, keep_from); }
};

const LogHoldKey kMember{"foo", "cluster-b", "b1", "foo-replica"};

std::filesystem::path temp_dir() {
    return std::filesystem::temp_directory_path() / ("ccdr-holds-" + std::to_string(::getpid()));
}

// The files the tests wrote go with the process.
struct RemoveTempDir {
    ~RemoveTempDir() {
        std::error_code ec;
        std::filesystem::remove_all(temp_dir(), ec);
    }
} remove_temp_dir;

std::string temp_file(const char* name) {
    auto dir = temp_dir();
    std::filesystem::create_directories(dir);
    auto path = dir / name;
    std::filesystem::remove(path);
    return path.string();
}

}  // namespace

TEST_CASE("log hold: keeps what a replica member needs beyond the retention policy, up to max_size",
          "[upstream][log_hold]") {
    FakeLog log;
    ReplicaLogHolds holds("", LogHoldCap{50'000, 3'600'000}, quiet());
    log.commit(10, 1'000);
    // The member is live at tx 10: the retention's choice stands (nothing held beyond it).
    auto keep = holds.answer(log.question(5, 2'000), {LiveAck{kMember, 10}});
    REQUIRE(keep);
    CHECK(*keep == 6);
    log.prune_to(*keep);

    // The member goes away at tx 10; 30 more txs (30 000 bytes from tx 11 on).
    log.commit(30, 3'000);
    keep = holds.answer(log.question(5, 4'000), {});
    REQUIRE(keep);
    CHECK(*keep == 11);  // held: the retention alone would keep from tx 36
    log.prune_to(*keep);
    auto view = holds.hold(kMember, 4'000);
    REQUIRE(view);
    CHECK_FALSE(view->released);
    CHECK(view->held_bytes == 30'000);
    CHECK(view->catch_up_window_s > 0);

    // 25 more: 55 000 bytes from tx 11, more than max_size: released, pruning wins.
    log.commit(25, 5'000);
    keep = holds.answer(log.question(5, 6'000), {});
    REQUIRE(keep);
    CHECK(*keep == 61);
    view = holds.hold(kMember, 6'000);
    REQUIRE(view);
    CHECK(view->released);
    CHECK(view->catch_up_window_s == 0.0);
    CHECK_THAT(view->release_reason, Catch::Contains("max_size"));
    CHECK(holds.released_count() == 1);

    // After its store copy the member is served from the log again: held again.
    log.prune_to(*keep);
    keep = holds.answer(log.question(5, 7'000), {LiveAck{kMember, 65}});
    REQUIRE(keep);
    view = holds.hold(kMember, 7'000);
    REQUIRE(view);
    CHECK_FALSE(view->released);
    CHECK(view->acked_tx == 65);
}

TEST_CASE("log hold: a hold older than max_age is released", "[upstream][log_hold]") {
    FakeLog log;
    ReplicaLogHolds holds("", LogHoldCap{1ull << 30, 10'000}, quiet());
    log.commit(10, 1'000);
    REQUIRE(holds.answer(log.question(5, 1'000), {LiveAck{kMember, 4}}));
    log.commit(10, 2'000);
    auto keep = holds.answer(log.question(5, 5'000), {});
    REQUIRE(keep);
    CHECK(*keep == 5);  // tx 5 committed 4 s ago: held
    // The window is what is left of max_age for tx 5 (committed at 1 s).
    CHECK(holds.hold(kMember, 5'000)->catch_up_window_s == Approx(6.0));
    keep = holds.answer(log.question(5, 12'000), {});
    REQUIRE(keep);
    CHECK(*keep == 16);  // 11 s old: released
    CHECK_THAT(holds.hold(kMember, 12'000)->release_reason, Catch::Contains("max_age"));
}

TEST_CASE("log hold: holds survive a restart of the upstream (the file)", "[upstream][log_hold]") {
    const std::string file = temp_file("holds.tsv");
    FakeLog log;
    log.commit(20, 1'000);
    {
        ReplicaLogHolds holds(file, LogHoldCap{1ull << 30, 3'600'000}, quiet());
        REQUIRE(holds.answer(log.question(5, 2'000), {LiveAck{kMember, 7}}));
    }
    ReplicaLogHolds restarted(file, LogHoldCap{1ull << 30, 3'600'000}, quiet());
    auto keep = restarted.answer(log.question(5, 3'000), {});
    REQUIRE(keep);
    CHECK(*keep == 8);
    REQUIRE(restarted.hold(kMember, 3'000));
    CHECK(restarted.hold(kMember, 3'000)->acked_tx == 7);

    // A malformed line is skipped, the others read.
    {
        std::ofstream out(file, std::ios::app);
        out << "garbage line\n";
    }
    ReplicaLogHolds again(file, LogHoldCap{1ull << 30, 3'600'000}, quiet());
    CHECK(again.holds("foo", 3'000).size() == 1);
    std::filesystem::remove(file);
}

TEST_CASE("log hold: max_size 0 holds nothing (the retention policy alone)", "[upstream][log_hold]") {
    FakeLog log;
    ReplicaLogHolds holds("", LogHoldCap{0, 3'600'000}, quiet());
    log.commit(20, 1'000);
    auto keep = holds.answer(log.question(5, 2'000), {LiveAck{kMember, 3}});
    REQUIRE(keep);
    CHECK(*keep == 16);
    CHECK(holds.holds("", 2'000).empty());
}

TEST_CASE("log hold: the catch-up window follows the log's growth", "[upstream][log_hold]") {
    FakeLog log;
    ReplicaLogHolds holds("", LogHoldCap{100'000, 3'600'000}, quiet());
    log.commit(10, 0);
    REQUIRE(holds.answer(log.question(5, 1'000), {LiveAck{kMember, 10}}));
    // 10 txs (10 000 bytes) a second: the smoothed rate approaches 10 000 B/s
    // (each pass weighs 1 s of 5 s), so the window comes down toward the time
    // the rest of max_size lasts at that rate.
    for (int s = 2; s <= 6; ++s) {
        log.commit(10, s * 1'000);
        REQUIRE(holds.answer(log.question(5, s * 1'000), {}));
    }
    auto view = holds.hold(kMember, 6'000);
    REQUIRE(view);
    CHECK(view->held_bytes == 50'000);  // txs 11..60
    // 50 000 bytes left at ~6 700 B/s (the smoothed rate): ~7.4 s; 5 s at the true rate.
    CHECK(view->catch_up_window_s > 5.0);
    CHECK(view->catch_up_window_s < 8.0);
    // Between passes the window keeps counting down at that rate.
    CHECK(holds.hold(kMember, 7'000)->catch_up_window_s < view->catch_up_window_s - 0.9);
    for (int s = 7; s <= 11; ++s) {
        log.commit(10, s * 1'000);
        REQUIRE(holds.answer(log.question(5, s * 1'000), {}));
    }
    view = holds.hold(kMember, 11'000);
    REQUIRE(view);
    CHECK(view->held_bytes == 100'000);  // at the cap exactly: still held, no window left
    CHECK_FALSE(view->released);
    CHECK(view->catch_up_window_s == Approx(0.0).margin(1e-9));
}

TEST_CASE("log hold: a dropped replica's closing subscription does not hold the log again",
          "[upstream][log_hold]") {
    FakeLog log;
    ReplicaLogHolds holds("", LogHoldCap{50'000, 3'600'000}, quiet());
    log.commit(10, 1'000);
    REQUIRE(holds.answer(log.question(5, 2'000), {LiveAck{kMember, 10, 1'500}}));
    REQUIRE(holds.hold(kMember, 2'000));

    // HOLD_RELEASE arrives while the member's subscription (begun at 1 500) still closes.
    CHECK(holds.end_holds("foo", "cluster-b", "foo-replica", 2'500) == 1);
    log.commit(10, 3'000);
    auto keep = holds.answer(log.question(5, 3'000), {LiveAck{kMember, 12, 1'500}});
    REQUIRE(keep);
    CHECK(*keep == 16);  // the retention alone
    CHECK_FALSE(holds.hold(kMember, 3'000));

    // The name is a replica again: a subscription begun after the drop is held.
    keep = holds.answer(log.question(5, 4'000), {LiveAck{kMember, 12, 3'500}});
    REQUIRE(keep);
    CHECK(*keep == 13);
    REQUIRE(holds.hold(kMember, 4'000));
}

// Fan-out (protocol 8): a puller's ACK may ask its hold to start lower, at
// the lowest position its followers need (LiveAck::hold_tx).
TEST_CASE("log hold: a puller is held from the lowest position its followers need", "[upstream][log_hold]") {
    FakeLog log;
    ReplicaLogHolds holds("", LogHoldCap{1'000'000, 3'600'000}, quiet());
    log.commit(100, 1'000);
    // The puller applied 90, a follower of it needs 41 on.
    auto keep = holds.answer(log.question(5, 2'000), {LiveAck{kMember, 90, 0, 40}});
    REQUIRE(keep);
    CHECK(*keep == 41);
    REQUIRE(holds.hold(kMember, 2'000));
    CHECK(holds.hold(kMember, 2'000)->acked_tx == 40);
    CHECK(holds.holds("foo", 2'000).size() == 1);  // one hold: the puller's
    // Its followers caught up: the ACK says nothing more, the hold is at the ACK.
    keep = holds.answer(log.question(5, 3'000), {LiveAck{kMember, 95}});
    REQUIRE(keep);
    CHECK(*keep == 96);
    // A follower the log was already pruned past is not helped by the rest
    // of it: the puller is held at its own position, not released.
    log.prune_to(60);
    keep = holds.answer(log.question(5, 4'000), {LiveAck{kMember, 95, 0, 40}});
    REQUIRE(keep);
    CHECK(*keep == 96);
    CHECK_FALSE(holds.hold(kMember, 4'000)->released);
    CHECK(holds.hold(kMember, 4'000)->acked_tx == 95);
}

TEST_CASE("log hold: a member that follows another member releases its own hold only", "[upstream][log_hold]") {
    FakeLog log;
    ReplicaLogHolds holds("", LogHoldCap{1'000'000, 3'600'000}, quiet());
    const LogHoldKey other{"foo", "cluster-b", "b2", "foo-replica"};
    log.commit(100, 1'000);
    auto first = holds.answer(log.question(5, 2'000), {LiveAck{kMember, 90, 1'000}, LiveAck{other, 30, 1'000}});
    REQUIRE(first);
    CHECK(*first == 31);
    CHECK(holds.end_holds("foo", "cluster-b", "foo-replica", 5'000, "b2") == 1);
    CHECK(holds.holds("foo", 5'000).size() == 1);
    CHECK(holds.hold(kMember, 5'000));
    // b2's subscription from before the release is closing: it holds nothing;
    // b1's of the same time still does.
    auto keep = holds.answer(log.question(5, 6'000), {LiveAck{kMember, 92, 1'000}, LiveAck{other, 30, 1'000}});
    REQUIRE(keep);
    CHECK(*keep == 93);
    CHECK_FALSE(holds.hold(other, 6'000));
    // Nor when that subscription's end is recorded.
    holds.note_ended(LiveAck{other, 31, 1'000});
    CHECK_FALSE(holds.hold(other, 6'000));
    // b2 pulls from the upstream again (it took over): held again.
    keep = holds.answer(log.question(5, 7'000), {LiveAck{kMember, 95, 1'000}, LiveAck{other, 94, 6'500}});
    REQUIRE(keep);
    CHECK(*keep == 95);
    REQUIRE(holds.hold(other, 7'000));
    CHECK(holds.hold(other, 7'000)->acked_tx == 94);
}

TEST_CASE("log hold: a subscription's end is recorded, and the lowest position a database needs", "[upstream][log_hold]") {
    ReplicaLogHolds holds("", LogHoldCap{1'000'000, 3'600'000}, quiet());
    const LogHoldKey other{"foo", "cluster-b", "b2", "foo-replica"};
    CHECK_FALSE(holds.lowest_position("foo", {}));
    holds.note_ended(LiveAck{kMember, 30});
    REQUIRE(holds.hold(kMember, 0));
    CHECK(holds.hold(kMember, 0)->acked_tx == 30);
    holds.note_ended(LiveAck{other, 50});
    CHECK(holds.lowest_position("foo", {}) == 30u);
    CHECK_FALSE(holds.lowest_position("bar", {}));
    // A member connected again counts at its live position, not its hold.
    CHECK(holds.lowest_position("foo", {LiveAck{kMember, 70}}) == 50u);
    CHECK(holds.lowest_position("foo", {LiveAck{kMember, 40}}) == 40u);
    holds.note_ended(LiveAck{kMember, 60});
    CHECK(holds.lowest_position("foo", {}) == 50u);

    ReplicaLogHolds off("", LogHoldCap{0, 0}, quiet());
    off.note_ended(LiveAck{kMember, 30});
    CHECK_FALSE(off.hold(kMember, 0));
    CHECK_FALSE(off.lowest_position("foo", {}));
    CHECK(off.lowest_position("foo", {LiveAck{kMember, 30}}) == 30u);  // live followers count without holds
}

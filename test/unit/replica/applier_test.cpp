// The replica member's applier (replica/applier.hpp) against the in-memory
// host: batches applied in order, the consecutive ones queued together in
// one apply_batch; the queue's room; a failed apply drops what follows it and
// says why.
#include "replica/applier.hpp"
#include "unit/replica/replica_fixture.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <mutex>

using namespace ccdr;
using namespace ccdr::plugin;
using namespace ccdr::test;
using namespace std::chrono_literals;

namespace {

struct Fixture {
    MemoryHost host{"b1", {}};
    ReplicaStats stats;
    std::atomic<int> took{0};
    std::atomic<int> finished{0};
    std::mutex mu;
    std::vector<std::string> failures;
    Applier applier;

    explicit Fixture(uint64_t window_bytes = 1 << 20)
        : applier(ccdr::test::handle_of(host), kReplica, stats, window_bytes, ccdr::test::quiet_log(), events()) {
        REQUIRE(host.create_database({kReplica, CCDR_KIND_REPLICA, 1, 0, kStoreId, 1, {}}));
    }

    ApplierEvents events() {
        ApplierEvents e;
        e.took = [this] { ++took; };
        e.failed = [this](const std::string& reason) {
            std::lock_guard lock(mu);
            failures.push_back(reason);
        };
        e.finished = [this] { ++finished; };
        return e;
    }

    std::vector<std::string> failed() {
        std::lock_guard lock(mu);
        return failures;
    }
    uint64_t applied() { return host.member(kReplica)->last_tx; }
};

}  // namespace

TEST_CASE("applier: queued batches are applied in order, the queued ones in one apply_batch", "[replica][applier]") {
    Fixture f;
    f.applier.push(decoded_batch(1, 3), 300);
    f.applier.push(decoded_batch(4, 5), 200);
    f.applier.start();
    REQUIRE(eventually([&] { return f.finished == 1; }));
    CHECK(f.applied() == 5);
    CHECK(f.host.member(kReplica)->apply_batches == 1);
    CHECK(f.took == 1);
    CHECK(f.failed().empty());
    CHECK(f.stats.last_applied_tx == 5);
    CHECK(f.stats.last_applied_commit_ms == tx_time(5));
    CHECK(f.stats.transactions_applied == 5);
    CHECK(f.stats.oldest_pending_commit_ms == 0);
    CHECK(f.applier.idle());
    // One pushed while the applier waits goes alone.
    f.applier.push(decoded_batch(6, 6), 100);
    REQUIRE(eventually([&] { return f.finished == 2; }));
    CHECK(f.applied() == 6);
    CHECK(f.host.member(kReplica)->apply_batches == 2);
    f.applier.stop();
}

TEST_CASE("applier: batches that do not follow each other are not applied together", "[replica][applier]") {
    Fixture f;
    f.applier.push(decoded_batch(1, 3), 300);
    f.applier.push(decoded_batch(5, 5), 100);  // tx 4 missing
    f.applier.start();
    REQUIRE(eventually([&] { return f.finished == 2; }));
    CHECK(f.applied() == 3);  // 1..3 went alone; 5 was refused
    REQUIRE(f.failed().size() == 1);
    CHECK(f.failed()[0] == "applying tx 5..5 failed: apply_batch: expected tx 4, got 5");
    f.applier.stop();
}

TEST_CASE("applier: the queue holds up to the window, and always one batch", "[replica][applier]") {
    Fixture f(1000);  // not started: what is pushed stays queued
    CHECK(f.applier.has_room(5000));  // an empty queue takes any batch
    f.applier.push(decoded_batch(1, 2), 800);
    CHECK(f.stats.oldest_pending_commit_ms == tx_time(1));
    CHECK(f.applier.has_room(200));
    CHECK_FALSE(f.applier.has_room(201));
    f.applier.drop_queued();
    CHECK(f.applier.has_room(5000));
    CHECK(f.stats.oldest_pending_commit_ms == 0);
    CHECK(f.applier.idle());
    f.applier.start();
    f.applier.push(decoded_batch(1, 1), 100);
    REQUIRE(eventually([&] { return f.finished == 1; }));
    CHECK(f.applied() == 1);  // the dropped batch was never applied
}

TEST_CASE("applier: a failed apply drops the batches behind it and says why", "[replica][applier]") {
    Fixture f;
    f.host.fail_next_apply();
    f.applier.push(decoded_batch(1, 2), 100);
    f.applier.push(decoded_batch(3, 4), 100);
    f.applier.start();
    REQUIRE(eventually([&] { return f.finished == 1; }));
    REQUIRE(f.failed().size() == 1);
    // Both were queued when the applier woke: one apply_batch, failed whole.
    CHECK(f.failed()[0] == "applying tx 1..4 failed: apply_batch: injected failure");
    CHECK(f.stats.apply_failures == 1);
    CHECK(f.stats.last_applied_tx == 0);
    CHECK(f.applied() == 0);
    // Nothing of 1..4 stays queued: the member resumes from tx 1.
    f.applier.push(decoded_batch(1, 2), 100);
    REQUIRE(eventually([&] { return f.finished == 2; }));
    CHECK(f.applied() == 2);
    CHECK(f.host.member(kReplica)->apply_batches == 1);
}

TEST_CASE("applier: a batch out of order changes nothing and is reported", "[replica][applier]") {
    Fixture f;
    f.applier.start();
    f.applier.push(decoded_batch(3, 3), 100);
    REQUIRE(eventually([&] { return f.finished == 1; }));
    REQUIRE(f.failed().size() == 1);
    CHECK(f.failed()[0] == "applying tx 3..3 failed: apply_batch: expected tx 1, got 3");
    CHECK(f.applied() == 0);
}

TEST_CASE("applier: stop is idempotent and leaves the queue empty", "[replica][applier]") {
    Fixture f;
    f.applier.push(decoded_batch(1, 1), 100);
    f.applier.stop();
    f.applier.stop();
    CHECK(f.applier.has_room(1 << 30));
    CHECK(f.applied() == 0);
}

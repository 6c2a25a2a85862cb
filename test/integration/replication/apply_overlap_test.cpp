// Issue 18 item 4: the replica receives, decodes and verifies batch n+1
// while its host applies batch n. The host's apply_batch is held on its first
// batch; meanwhile the member's puller must go on receiving and verifying
// (batches_received grows) up to its bounded queue, and once released every
// transaction is applied once, in order, none skipped.
#include "support/replication_world.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

using namespace ccdr;
using namespace ccdr::test;

TEST_CASE("apply overlap: batches are received and verified while the host applies one",
          "[replication][apply_overlap]") {
    // 1 KiB batches: 300 transactions of 100 bytes travel in ~40 batches.
    ReplicationWorld w({true, {{"ccdr.batch.max_bytes", "1KiB"}}, {}});
    w.commit(1, 10, 100);
    std::mutex mu;
    std::condition_variable cv;
    bool held = false;
    bool release = false;
    std::vector<uint64_t> firsts;  // first tx of every apply_batch, in call order
    w.replica->set_apply_hook([&](const std::string& database, uint64_t first_tx) {
        if (database != "foo-replica") {
            return;
        }
        std::unique_lock lock(mu);
        firsts.push_back(first_tx);
        if (first_tx > 10 && !release) {  // the first batch after the initial ten: hold it
            held = true;
            cv.notify_all();
            cv.wait_for(lock, std::chrono::seconds(60), [&] { return release; });
        }
    });
    w.create_replica();
    REQUIRE(w.replica->wait_for_tx("foo-replica", 10, 60'000));
    const auto batches_now = [&] {
        return metrics_of(*w.replica)["database.foo-replica.ccdr.replica.batches_received"];
    };
    // One transaction at a time: the next apply_batch starts with tx 11 and
    // is held; the rest arrive as further batches while it is.
    for (uint64_t i = 11; i <= 300; ++i) {
        w.commit(i, 1, 100);
    }
    {
        std::unique_lock lock(mu);
        REQUIRE(cv.wait_for(lock, std::chrono::seconds(60), [&] { return held; }));
    }
    const double at_hold = batches_now();
    // While apply_batch is held, received-and-verified batches keep coming.
    const bool kept_receiving = eventually([&] { return batches_now() >= at_hold + 3; }, std::chrono::seconds(20));
    const double while_held = batches_now();
    CHECK(w.replica->member("foo-replica")->last_tx <= 10);  // nothing past the held batch applied
    {
        std::lock_guard lock(mu);
        release = true;
        cv.notify_all();
    }
    CHECK(kept_receiving);
    INFO("batches received when apply_batch was held: " << at_hold << ", while it was held: " << while_held);
    REQUIRE(w.replica->wait_for_tx("foo-replica", 300, 60'000));
    w.check_identical(300);
    std::lock_guard lock(mu);
    // Ordered, each transaction applied once: every batch starts where the
    // one before ended (check_identical saw 1..300 exactly once).
    for (size_t i = 1; i < firsts.size(); ++i) {
        CHECK(firsts[i] > firsts[i - 1]);
    }
}

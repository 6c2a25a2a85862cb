// Store copy: a replica whose next transaction the upstream has pruned copies
// a snapshot in checksummed chunks; cut off at 50 % it resumes from its last
// verified chunk, imports the snapshot and streams from the snapshot's tx + 1.
#include "support/replication_world.hpp"

#include <catch2/catch.hpp>

using namespace ccdr;
using namespace ccdr::test;
using namespace std::chrono_literals;

TEST_CASE("a store copy interrupted at 50% resumes and completes", "[replication][store-copy]") {
    ReplicationWorld w({true, {{"ccdr.snapshot.chunk_bytes", "64KiB"}}, {}});
    const uint64_t n = 4'000;
    w.commit(1, n, 1'000);
    w.upstream->prune_log("foo", n + 1);  // the replica will need tx 1: gone
    const uint64_t snapshot_bytes = n * (20 + 1'000);  // MemoryHost's snapshot format

    FaultProxy proxy(w.upstream_port);
    proxy.stall_after(snapshot_bytes / 2);
    w.create_replica({"127.0.0.1:" + std::to_string(proxy.port())});
    REQUIRE(eventually([&] { return proxy.stalled(); }));
    // While it waits, SHOW DATABASE would show the progress.
    std::string message;
    int percent = 0;
    REQUIRE(eventually([&] {
        auto st = w.replica_status();
        message = st.message;
        if (st.state != CCDR_REPLICA_STORE_COPY || message.rfind("store copy ", 0) != 0) {
            return false;
        }
        percent = std::stoi(message.substr(std::string("store copy ").size()));
        return percent >= 40;  // everything before the stall is in and verified
    }));
    CHECK_THAT(message, Catch::Contains(" MiB of 3.9 MiB) from 127.0.0.1:" + std::to_string(proxy.port())));
    CHECK(percent <= 60);  // the stall is at half the bytes on the wire; chunks compress a little

    proxy.kill_all();  // the copy is cut off half-way
    REQUIRE(w.replica->wait_for_tx("foo-replica", n, 60'000));
    CHECK(w.replica->log_contains("resumes the store copy from 127.0.0.1:"));
    CHECK(eventually([&] { return metrics_of(*w.replica)["database.foo-replica.ccdr.replica.store_copies"] == 1; }));
    auto m = metrics_of(*w.replica);
    // Resumed, not restarted: well under one and a half copies on the wire.
    CHECK(m["database.foo-replica.ccdr.replica.store_copy_bytes"] < 1.25 * static_cast<double>(snapshot_bytes));
    CHECK(m["database.foo-replica.ccdr.replica.store_copy_bytes"] >= 0.9 * static_cast<double>(snapshot_bytes));
    CHECK(proxy.kills() == 1);

    // After the import it streams from the snapshot's tx + 1.
    w.commit(n + 1, 100, 200);
    REQUIRE(w.replica->wait_for_tx("foo-replica", n + 100, 60'000));
    w.check_identical(n + 100);
    auto rep = w.replica->member("foo-replica");
    CHECK(rep->oldest_retained == n + 1);  // the log starts after the snapshot
    CHECK(eventually([&] { return w.replica_status().state == CCDR_REPLICA_STREAMING; }));
    CHECK(metrics_of(*w.upstream)["database.foo.ccdr.upstream.store_copy_bytes_sent"] > 0);
}

TEST_CASE("a store copy survives a restart of the replica server half-way", "[replication][store-copy]") {
    ReplicationWorld w({true, {{"ccdr.snapshot.chunk_bytes", "64KiB"}}, {}});
    const uint64_t n = 2'000;
    w.commit(1, n, 1'000);
    w.upstream->prune_log("foo", n + 1);
    FaultProxy proxy(w.upstream_port);
    proxy.stall_after(n * 1'020 / 2);
    w.create_replica({"127.0.0.1:" + std::to_string(proxy.port())});
    REQUIRE(eventually([&] {
        auto st = w.replica_status();
        return proxy.stalled() && std::string(st.message).find("store copy 0%") == std::string::npos &&
               st.state == CCDR_REPLICA_STORE_COPY;
    }));
    w.replica->detach();  // the replica's server stops mid-copy
    proxy.release();
    REQUIRE(w.replica->attach(w.api()));
    REQUIRE(w.replica->wait_for_tx("foo-replica", n, 60'000));
    w.check_identical(n);
    CHECK(w.replica->log_contains("resumes the store copy"));
}

// Transactions larger than a batch travel in TX_PART frames (protocol 5)
// between two plugin instances on loopback: one larger than the frame limit
// replicates, applied in parts on the host; a connection cut between its
// parts aborts it on the replica and it arrives whole after the reconnect; a
// peer of protocol 4 still gets it in one BATCH.
#include "support/fault_proxy.hpp"
#include "support/raw_subscriber.hpp"
#include "support/replication_world.hpp"

#include <catch2/catch.hpp>

using namespace ccdr;
using namespace ccdr::test;

namespace {

// 64 KiB batches and a 256 KiB frame limit on both sides: a 2 MiB
// transaction is eight times the largest frame either side accepts.
WorldOptions small_frames(bool tls = true) {
    const std::map<std::string, std::string> s{{"ccdr.batch.max_bytes", "64KiB"},
                                               {"ccdr.snapshot.chunk_bytes", "64KiB"},
                                               {"ccdr.frame.max_bytes", "256KiB"}};
    return {tls, s, s};
}

constexpr size_t kLargeTx = 2u << 20;

}  // namespace

TEST_CASE("tx parts: a transaction larger than the frame limit replicates in parts, between small ones",
          "[replication][tx_parts]") {
    ReplicationWorld w(small_frames());
    w.create_replica();
    REQUIRE(eventually([&] { return w.replica_status().state == CCDR_REPLICA_STREAMING; }));
    w.commit(1, 50, 200);
    w.commit(51, 1, kLargeTx);
    w.commit(52, 50, 200);
    w.commit(102, 1, kLargeTx + 12'345);
    w.commit(103, 5, 200);
    REQUIRE(w.replica->wait_for_tx("foo-replica", 107, 60'000));
    w.check_identical(107);
    const auto counts = w.replica->parts_counts();
    CHECK(counts.begun == 2);
    CHECK(counts.committed == 2);
    CHECK(counts.aborted == 0);
    CHECK(counts.largest_part <= 64 * 1024);
    auto m = metrics_of(*w.replica);
    CHECK(m["database.foo-replica.ccdr.replica.apply_failures"] == 0);
    CHECK(m["database.foo-replica.ccdr.replica.reconnects"] == 0);
    CHECK(eventually([&] {
        return metrics_of(*w.replica)["database.foo-replica.ccdr.replica.transactions_applied"] == 107;
    }));
}

TEST_CASE("tx parts: the upstream reads a transaction larger than a batch from the host one part at a time",
          "[replication][tx_parts]") {
    ReplicationWorld w(small_frames());
    w.commit(1, 20, 200);
    w.commit(21, 1, kLargeTx);
    w.commit(22, 20, 200);
    w.create_replica();
    REQUIRE(w.replica->wait_for_tx("foo-replica", 41, 60'000));
    w.check_identical(41);
    // Visited without its payload, then read in pieces of a batch: the
    // upstream never asked the host for the whole transaction.
    const auto reads = w.upstream->log_tx_counts();
    CHECK(reads.header_only_visits >= 1);
    CHECK(reads.opened == 1);
    CHECK(reads.largest_read > 0);
    CHECK(reads.largest_read <= 64 * 1024);
    CHECK(w.replica->parts_counts().committed == 1);
}

TEST_CASE("tx parts: a transaction failing the host's check on its last piece is never committed on the replica",
          "[replication][tx_parts]") {
    ReplicationWorld w(small_frames());
    w.commit(1, 5, 200);
    w.commit(6, 1, kLargeTx);
    w.commit(7, 5, 200);
    // The first reading of tx 6 fails on its last bytes (a stored checksum
    // that does not match): its last part is not sent, the replica aborts
    // what it applied of it; the next session reads it again, whole and right.
    w.upstream->corrupt_next_log_tx();
    w.create_replica();
    REQUIRE(w.replica->wait_for_tx("foo-replica", 11, 60'000));
    w.check_identical(11);
    CHECK(w.upstream->log_tx_counts().opened == 2);
    const auto counts = w.replica->parts_counts();
    CHECK(counts.committed == 1);
    CHECK(counts.aborted == 1);
    CHECK(w.upstream->log_contains("fails its checksum (injected)"));
}

TEST_CASE("tx parts: from a host without the 1.2 log reads, the upstream reads the transaction whole and still "
          "sends it in parts",
          "[replication][tx_parts]") {
    ReplicationWorld w(small_frames());
    w.upstream->set_log_tx_reads(false);
    w.commit(1, 5, 200);
    w.commit(6, 1, kLargeTx);
    w.commit(7, 5, 200);
    w.create_replica();
    REQUIRE(w.replica->wait_for_tx("foo-replica", 11, 60'000));
    w.check_identical(11);
    CHECK(w.upstream->log_tx_counts().opened == 0);
    CHECK(w.upstream->log_tx_counts().header_only_visits == 0);
    CHECK(w.replica->parts_counts().committed == 1);
}

TEST_CASE("tx parts: a connection cut between the parts aborts the transaction, which then arrives whole",
          "[replication][tx_parts]") {
    ReplicationWorld w(small_frames());
    w.commit(1, 10, 200);
    w.commit(11, 1, kLargeTx);
    w.commit(12, 10, 200);
    // The first two connections are cut about half-way through tx 11.
    FaultProxy proxy(w.upstream_port);
    proxy.kill_after(kLargeTx / 2, 2);
    w.create_replica({"127.0.0.1:" + std::to_string(proxy.port())});
    REQUIRE(w.replica->wait_for_tx("foo-replica", 21, 60'000));
    w.check_identical(21);
    CHECK(proxy.kills() == 2);
    const auto counts = w.replica->parts_counts();
    CHECK(counts.committed == 1);
    CHECK(counts.aborted >= 1);  // the cut sessions' tx 11, never applied in part
    CHECK(metrics_of(*w.replica)["database.foo-replica.ccdr.replica.apply_failures"] == 0);
}

TEST_CASE("tx parts: protocol 5 sends TX_PART frames within the batch size, protocol 4 one BATCH",
          "[replication][tx_parts]") {
    // Plaintext, so this test can speak as a peer; a frame limit that a
    // protocol-4 BATCH of the whole transaction still fits in.
    ReplicationWorld w({false, {{"ccdr.batch.max_bytes", "64KiB"}, {"ccdr.frame.max_bytes", "4MiB"}}, {}});
    w.commit(1, 3, 100);
    w.commit(4, 1, 1u << 20);
    w.commit(5, 3, 100);

    PeerSaw v5 = subscribe_as(w, protocol::kTxPartProtocol, 7);
    INFO(v5.error);
    REQUIRE(v5.error.empty());
    CHECK(v5.version == protocol::kTxPartProtocol);
    CHECK(v5.last_tx == 7);
    CHECK(v5.part_frames == 16);  // 1 MiB in parts of 64 KiB
    CHECK(v5.largest_payload <= 64 * 1024 + protocol::kTxPartHeaderSize + 8);

    PeerSaw v4 = subscribe_as(w, protocol::kStreamCompressionProtocol, 7);
    INFO(v4.error);
    REQUIRE(v4.error.empty());
    CHECK(v4.version == protocol::kStreamCompressionProtocol);
    CHECK(v4.last_tx == 7);
    CHECK(v4.part_frames == 0);
    CHECK(v4.largest_payload > 1u << 20);
}

TEST_CASE("tx parts: a delayed replica puts the parts together in its spool and applies the transaction once due",
          "[replication][tx_parts]") {
    ReplicationWorld w(small_frames());
    w.commit(1, 5, 200);
    w.commit(6, 1, kLargeTx);
    w.commit(7, 5, 200);
    auto up = w.upstream->member("foo");
    REQUIRE(up);
    ValueMap config{{"remote", Value("foo")},
                    {"addresses", Value(ValueList{Value(w.upstream_address())})},
                    {"applyDelay", Value("1s")}};
    REQUIRE(w.replica->create_database({"foo-replica", CCDR_KIND_REPLICA, 1, 0, up->store_id, up->epoch,
                                        ValueMap{{"replicaConfig", Value(config)}}}));
    REQUIRE(w.replica->wait_for_tx("foo-replica", 11, 60'000));
    w.check_identical(11);
    // Spooled whole, so applied through apply_batch, not in parts.
    CHECK(w.replica->parts_counts().begun == 0);
    CHECK(metrics_of(*w.replica)["database.foo-replica.ccdr.replica.apply_failures"] == 0);
}

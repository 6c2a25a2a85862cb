// LZ4 streaming per subscription (protocol 4) over real sockets: a replica
// that offers protocol 4 gets its BATCH frames as one LZ4 stream, and a peer
// of protocol 3 (an older release) still gets independent LZ4 blocks and
// every transaction intact, chain checked. Small batches (ccdr.batch.max_bytes
// 1 KiB) of records that repeat their field names shrink more as a stream.
// The replica member of this build against this build's upstream streams too
// (frames flagged as stream blocks reach it and it applies every one).
// Protocol 6 heads the stream's blocks with the short header and packs the
// batches in them; a peer of protocol 5 still gets the full 40-byte header
// and the batch layout of protocol/batch.hpp. Protocol 7 heads them with the
// compact header (a 32-bit block check); a peer of protocol 6 still gets
// protocol 6's short frames.
#include "support/raw_subscriber.hpp"
#include "support/replication_world.hpp"

#include <catch2/catch.hpp>

using namespace ccdr;
using namespace ccdr::test;

TEST_CASE("compression: protocol 4 streams batches, a protocol-3 peer gets independent blocks",
          "[replication][compression]") {
    // Plaintext, so this test can speak as a peer; 1 KiB batches, so that
    // several hundred small batches cross each session.
    ReplicationWorld w({false, {{"ccdr.batch.max_bytes", "1KiB"}}, {}});
    w.commit(1, 600, 64);

    PeerSaw old_peer = subscribe_as(w, 3, 600);
    INFO(old_peer.error);
    REQUIRE(old_peer.error.empty());
    CHECK(old_peer.version == 3);
    CHECK(old_peer.last_tx == 600);
    CHECK(old_peer.batches > 20);
    CHECK(old_peer.stream_frames == 0);
    CHECK(old_peer.block_frames > 0);

    PeerSaw new_peer = subscribe_as(w, protocol::kMaxProtocolVersion, 600);
    INFO(new_peer.error);
    REQUIRE(new_peer.error.empty());
    CHECK(new_peer.version == protocol::kMaxProtocolVersion);
    CHECK(new_peer.last_tx == 600);
    CHECK(new_peer.stream_frames == new_peer.batches);
    CHECK(new_peer.block_frames == 0);
    // The same transactions, in batches of the same size: the stream's
    // history (the field names and labels of the batches before) makes them
    // smaller on the wire.
    INFO("independent blocks " << old_peer.batch_wire_bytes << " bytes, stream " << new_peer.batch_wire_bytes);
    CHECK(new_peer.batch_wire_bytes < old_peer.batch_wire_bytes);

    // A second stream from the start (a reconnect): a fresh stream on both
    // sides, the same transactions again.
    PeerSaw again = subscribe_as(w, protocol::kMaxProtocolVersion, 600);
    INFO(again.error);
    CHECK(again.error.empty());
    CHECK(again.last_tx == 600);
    // (Each batch carries its send time, so sizes may differ by a few bytes.)
    CHECK(again.batches == new_peer.batches);
    CHECK(again.batch_wire_bytes * 100 < new_peer.batch_wire_bytes * 105);
}

TEST_CASE("compression: a replica member of this build applies a streamed subscription, across reconnects",
          "[replication][compression]") {
    ReplicationWorld w({true, {{"ccdr.batch.max_bytes", "1KiB"}}, {}});
    w.commit(1, 300, 100);
    w.create_replica();
    REQUIRE(w.replica->wait_for_tx("foo-replica", 300, 60'000));
    w.check_identical(300);
    // Transactions one at a time while streaming: each batch small.
    for (uint64_t i = 301; i <= 400; ++i) {
        w.commit(i, 1, 100);
    }
    REQUIRE(w.replica->wait_for_tx("foo-replica", 400, 60'000));
    w.check_identical(400);
    auto m = metrics_of(*w.replica);
    CHECK(m["database.foo-replica.ccdr.replica.checksum_failures"] == 0);
}

TEST_CASE("compression: protocol 6 sends stream blocks with short headers, a protocol-5 peer gets full ones",
          "[replication][compression][short_frame]") {
    // 1 KiB batches of 600-byte transactions: one per batch, as at
    // 1 000 tx/s.
    ReplicationWorld w({false, {{"ccdr.batch.max_bytes", "1KiB"}}, {}});
    w.commit(1, 400, 600);

    PeerSaw v5 = subscribe_as(w, 5, 400);
    INFO(v5.error);
    REQUIRE(v5.error.empty());
    CHECK(v5.version == 5);
    CHECK(v5.last_tx == 400);
    CHECK(v5.batches == 400);
    CHECK(v5.stream_frames == v5.batches);
    CHECK(v5.short_frames == 0);

    PeerSaw v6 = subscribe_as(w, 6, 400);
    INFO(v6.error);
    REQUIRE(v6.error.empty());
    CHECK(v6.version == 6);
    CHECK(v6.last_tx == 400);
    CHECK(v6.batches == v5.batches);
    CHECK(v6.stream_frames == v6.batches);
    CHECK(v6.short_frames == v6.batches);
    // Headers of 16 or 17 bytes instead of 40, and the batch's fields
    // packed (8 bytes instead of 48 before LZ4 saw them).
    INFO("protocol 5: " << v5.batch_wire_bytes << " bytes, protocol 6: " << v6.batch_wire_bytes << " bytes, "
                        << v6.batches << " batches");
    CHECK(v6.batch_wire_bytes + 20 * v6.batches <= v5.batch_wire_bytes);
}

TEST_CASE("compression: protocol 7 sends compact headers, a protocol-6 peer gets protocol 6's short ones",
          "[replication][compression][short_frame]") {
    // 1 KiB batches of 600-byte transactions: one per batch, as at
    // 1 000 tx/s.
    ReplicationWorld w({false, {{"ccdr.batch.max_bytes", "1KiB"}}, {}});
    w.commit(1, 400, 600);

    PeerSaw v6 = subscribe_as(w, 6, 400);
    INFO(v6.error);
    REQUIRE(v6.error.empty());
    CHECK(v6.version == 6);
    CHECK(v6.last_tx == 400);
    CHECK(v6.batches == 400);
    CHECK(v6.short_frames == v6.batches);
    CHECK(v6.compact_frames == 0);

    PeerSaw v7 = subscribe_as(w, 7, 400);
    INFO(v7.error);
    REQUIRE(v7.error.empty());
    CHECK(v7.version == 7);
    CHECK(v7.last_tx == 400);
    CHECK(v7.batches == v6.batches);
    CHECK(v7.stream_frames == v7.batches);
    CHECK(v7.compact_frames == v7.batches);
    // A block check of 4 bytes instead of 8 around the same blocks (the
    // send times packed in them may differ by a byte).
    INFO("protocol 6: " << v6.batch_wire_bytes << " bytes, protocol 7: " << v7.batch_wire_bytes << " bytes, "
                        << v7.batches << " batches");
    CHECK(v7.batch_wire_bytes + 3 * v7.batches <= v6.batch_wire_bytes);
}

TEST_CASE("compression: a replica member of this build pulls with short headers, over TLS",
          "[replication][compression][short_frame]") {
    ReplicationWorld w({true, {{"ccdr.batch.max_bytes", "1KiB"}}, {}});
    w.commit(1, 200, 100);
    w.create_replica();
    REQUIRE(w.replica->wait_for_tx("foo-replica", 200, 60'000));
    for (uint64_t i = 201; i <= 300; ++i) {
        w.commit(i, 1, 100);
    }
    REQUIRE(w.replica->wait_for_tx("foo-replica", 300, 60'000));
    w.check_identical(300);
    auto m = metrics_of(*w.replica);
    CHECK(m["database.foo-replica.ccdr.replica.checksum_failures"] == 0);
    CHECK(m["database.foo-replica.ccdr.replica.reconnects"] == 0);
}

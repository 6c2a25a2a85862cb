// LZ4 streaming per subscription (protocol 4) over real sockets: a replica
// that offers protocol 4 gets its BATCH frames as one LZ4 stream, and a peer
// of protocol 3 (an older release) still gets independent LZ4 blocks and
// every transaction intact, chain checked. Small batches (ccdr.batch.max_bytes
// 1 KiB) of records that repeat their field names shrink more as a stream.
// The replica member of this build against this build's upstream streams too
// (frames flagged as stream blocks reach it and it applies every one).
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

// LZ4 streaming per subscription (protocol 4) over real sockets: a replica
// that offers protocol 4 gets its BATCH frames as one LZ4 stream, and a peer
// of protocol 3 (an older release) still gets independent LZ4 blocks and
// every transaction intact, chain checked. Small batches (ccdr.batch.max_bytes
// 1 KiB) of records that repeat their field names shrink more as a stream.
// The replica member of this build against this build's upstream streams too
// (frames flagged as stream blocks reach it and it applies every one).
#include "protocol/batch.hpp"
#include "session/exchange.hpp"
#include "support/plugin_loopback.hpp"
#include "support/replication_world.hpp"
#include "transport/connector.hpp"

#include <catch2/catch.hpp>

using namespace ccdr;
using namespace ccdr::test;

namespace {

struct PeerSaw {
    std::string error;
    uint16_t version = 0;
    uint64_t last_tx = 0;
    size_t batches = 0;
    size_t stream_frames = 0;
    size_t block_frames = 0;
    size_t plain_frames = 0;
    uint64_t batch_wire_bytes = 0;
};

// Subscribes to foo from tx 1 as a replica offering protocols 1..max_version,
// reads BATCH frames until tx `until`, checking the hash chain of each.
PeerSaw subscribe_as(ReplicationWorld& w, uint16_t max_version, uint64_t until) {
    auto up = w.upstream->member("foo");
    REQUIRE(up);
    const std::string store_id = up->store_id;
    const uint64_t epoch = up->epoch;
    PluginLoopback loop(*w.replica, nullptr);
    auto strand = loop.runtime().make_strand();
    const std::string address = w.upstream_address();
    return loop.run<PeerSaw>(strand, [&]() -> asio::awaitable<PeerSaw> {
        PeerSaw s;
        auto connected = co_await loop.connect(strand, address);
        if (!connected) {
            s.error = connected.status().message();
            co_return s;
        }
        auto c = connected.value();
        protocol::Hello hello{1, max_version, "peer-cluster", "peer-1", std::string(kLoopbackPluginVersion)};
        co_await session::send(*c, hello);
        auto ok = co_await session::receive<protocol::HelloOk>(*c, 5s);
        if (!ok || ok->refused) {
            s.error = ok ? ok->refused->reason : ok.status().message();
            co_return s;
        }
        s.version = ok->message->version;
        protocol::Subscribe subscribe{"foo", store_id, epoch, 1, "foo-peer"};
        co_await session::send(*c, subscribe);
        auto subscribed = co_await session::receive<protocol::Subscribed>(*c, 5s);
        if (!subscribed || subscribed->refused) {
            s.error = subscribed ? subscribed->refused->reason : subscribed.status().message();
            co_return s;
        }
        protocol::ChainVerifier verifier(protocol::chain_seed(store_id, epoch, 1), 1);
        while (s.last_tx < until) {
            auto frame = co_await c->read_frame(10s);
            if (!frame) {
                s.error = frame.status().message();
                break;
            }
            if (frame->header.type != protocol::MessageType::kBatch) {
                continue;  // heartbeats, HOLD_STATUS
            }
            ++s.batches;
            s.batch_wire_bytes += frame->wire_bytes;
            s.stream_frames += frame->header.streamed() ? 1 : 0;
            s.block_frames += frame->header.compressed() ? 1 : 0;
            s.plain_frames += frame->header.flags == 0 ? 1 : 0;
            auto batch = protocol::decode_batch(std::move(frame->payload));
            if (!batch) {
                s.error = batch.status().message();
                break;
            }
            if (auto verified = verifier.verify(*batch); !verified) {
                s.error = verified.message();
                break;
            }
            s.last_tx = batch->txs.back().tx_id;
        }
        c->close("done");
        co_return s;
    });
}

}  // namespace

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
    CHECK(new_peer.version == protocol::kStreamCompressionProtocol);
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

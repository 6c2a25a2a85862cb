// A subscription's batches (upstream/batcher.hpp), read from the in-memory
// host's log: what the replica decodes and verifies is what was committed,
// the chain continues from batch to batch, a batch stops at its size limit,
// a pruned log is reported as such, and the two stages (chain, seal) keep
// the LZ4 stream's order.
#include "support/memory_host.hpp"
#include "upstream/batcher.hpp"

#include "protocol/batch_packing.hpp"
#include "protocol/lz4_stream.hpp"

#include <ccdr/host_adapter.hpp>

#include <catch2/catch.hpp>

#include <span>

using ccdr::HostHandle;
using ccdr::plugin::Batcher;
using ccdr::plugin::CommitPosition;
using ccdr::plugin::ProducedBatch;
using ccdr::test::MemoryHost;
namespace protocol = ccdr::protocol;

namespace {

HostHandle handle(MemoryHost& host) { return HostHandle(ccdr::host_api(), host.ctx()); }

std::vector<uint8_t> payload(uint64_t i, size_t size) {
    std::vector<uint8_t> out(size);
    for (size_t k = 0; k < size; ++k) {
        out[k] = static_cast<uint8_t>(i * 31 + k * 7);
    }
    return out;
}

void commit(MemoryHost& host, uint64_t first, uint64_t last, size_t size = 100) {
    for (uint64_t i = first; i <= last; ++i) {
        auto id = host.commit("foo", payload(i, size));
        REQUIRE(id);
        REQUIRE(*id == i);
    }
}

// The batch as the replica reads it: header and payload checked, decoded.
protocol::DecodedBatch decode(const ProducedBatch& produced) {
    protocol::FrameLimits limits;
    auto header = protocol::decode_header(std::span<const uint8_t, protocol::kFrameHeaderSize>(produced.frame.header),
                                          limits);
    REQUIRE(header);
    CHECK(header->type == protocol::MessageType::kBatch);
    auto bytes = protocol::decode_payload(*header, std::span<const uint8_t>(produced.frame.body));
    REQUIRE(bytes);
    auto batch = protocol::decode_batch(std::move(bytes.value()));
    REQUIRE(batch);
    return std::move(batch.value());
}

struct Fixture {
    MemoryHost host{"a1", {}};
    std::string store_id;
    Fixture() {
        REQUIRE(host.create_database({"foo", CCDR_KIND_STANDARD, 1, 0, "", 0, {}}));
        store_id = host.member("foo")->store_id;
    }
    Batcher batcher(uint64_t from, uint64_t batch_max = 1 << 20) {
        return Batcher(handle(host), "foo", protocol::chain_seed(store_id, 1, from), from, batch_max,
                       protocol::FrameLimits{}, true);
    }
};

}  // namespace

TEST_CASE("batcher: a batch is the log from the next tx, chained as the replica verifies it", "[upstream][batcher]") {
    Fixture f;
    commit(f.host, 1, 5);
    CommitPosition position;
    position.advance(5, 0);
    Batcher batcher = f.batcher(1);
    protocol::ChainVerifier verifier(protocol::chain_seed(f.store_id, 1, 1), 1);

    ProducedBatch first = batcher.produce(position);
    REQUIRE(first.status);
    CHECK(first.count == 5);
    CHECK(first.first_tx == 1);
    CHECK(first.last_tx == 5);
    CHECK_FALSE(first.large);
    CHECK(batcher.next_tx() == 6);
    protocol::DecodedBatch decoded = decode(first);
    REQUIRE(decoded.txs.size() == 5);
    for (uint64_t i = 1; i <= 5; ++i) {
        const ccdr_tx& tx = decoded.txs[i - 1];
        CHECK(tx.tx_id == i);
        CHECK(std::vector<uint8_t>(tx.payload.data, tx.payload.data + tx.payload.len) == payload(i, 100));
    }
    CHECK(decoded.position.last_tx == 5);
    REQUIRE(verifier.verify(decoded));

    // Nothing new: an empty answer, nothing consumed.
    batcher.recycle(std::move(first.frame));
    ProducedBatch none = batcher.produce(position);
    REQUIRE(none.status);
    CHECK(none.count == 0);
    CHECK(batcher.next_tx() == 6);

    // The chain goes on in the next batch.
    commit(f.host, 6, 7);
    position.advance(7, 0);
    ProducedBatch second = batcher.produce(position);
    REQUIRE(second.status);
    CHECK(second.first_tx == 6);
    CHECK(second.last_tx == 7);
    protocol::DecodedBatch next = decode(second);
    CHECK(verifier.verify(next));
    CHECK(verifier.next_tx() == 8);
}

TEST_CASE("batcher: a batch stops once it reaches the size limit, and says it is a backlog's",
          "[upstream][batcher]") {
    Fixture f;
    commit(f.host, 1, 20, 1000);
    CommitPosition position;
    position.advance(20, 0);
    Batcher batcher = f.batcher(1, 4096);

    // 1000 payload bytes + 28 of record each: the fourth reaches 4096.
    ProducedBatch first = batcher.produce(position);
    REQUIRE(first.status);
    CHECK(first.first_tx == 1);
    CHECK(first.count == 4);
    CHECK(first.large);
    batcher.recycle(std::move(first.frame));
    ProducedBatch second = batcher.produce(position);
    REQUIRE(second.status);
    CHECK(second.first_tx == 5);
    CHECK(second.count == 4);
}

TEST_CASE("batcher: the batch says at least its own last tx as the upstream's position", "[upstream][batcher]") {
    Fixture f;
    commit(f.host, 1, 3);
    CommitPosition unseen;  // after_commit not reported yet
    Batcher batcher = f.batcher(1);
    ProducedBatch produced = batcher.produce(unseen);
    REQUIRE(produced.status);
    CHECK(decode(produced).position.last_tx == 3);
}

TEST_CASE("batcher: a log pruned past the next tx is CCDR_LOG_PRUNED, with nothing read", "[upstream][batcher]") {
    Fixture f;
    commit(f.host, 1, 6);
    f.host.prune_log("foo", 4);
    CommitPosition position;
    position.advance(6, 0);
    Batcher batcher = f.batcher(2);
    ProducedBatch produced = batcher.produce(position);
    CHECK(produced.status.code() == CCDR_LOG_PRUNED);
    CHECK(produced.count == 0);
    CHECK(batcher.next_tx() == 2);
}

TEST_CASE("batcher: seal() takes chained batches only in chain order, so the LZ4 stream stays the replica's",
          "[upstream][batcher]") {
    Fixture f;
    commit(f.host, 1, 12, 1000);
    CommitPosition position;
    position.advance(12, 0);
    // A protocol 6 stream: one LZ4 stream, short headers, packed batches.
    Batcher batcher(handle(f.host), "foo", protocol::chain_seed(f.store_id, 1, 1), 1, 4096, protocol::FrameLimits{},
                    true, true, nullptr, true, protocol::StreamFrameForm::kCompact);
    ccdr::plugin::ChainedBatch first = batcher.chain_next(position);
    ccdr::plugin::ChainedBatch second = batcher.chain_next(position);
    REQUIRE(first.batch.status);
    REQUIRE(second.batch.status);
    CHECK(second.batch.first_tx == first.batch.last_tx + 1);
    CHECK(batcher.next_tx() == second.batch.last_tx + 1);  // chaining advanced, nothing sealed yet

    // The second before the first: refused, the stream untouched.
    ProducedBatch early = batcher.seal(std::move(second));
    CHECK(early.status.code() == CCDR_OUT_OF_ORDER);
    CHECK(early.frame.body.empty());

    ccdr::plugin::ChainedBatch again = batcher.chain_next(position);  // the third, to seal after the first
    ProducedBatch one = batcher.seal(std::move(first));
    REQUIRE(one.status);
    // The refused batch cannot come back later either: its turn was taken
    // by the one chained after it, which is now out of order as well.
    ProducedBatch three = batcher.seal(std::move(again));
    CHECK(three.status.code() == CCDR_OUT_OF_ORDER);

    // What was sealed decodes as the stream's first block.
    protocol::FrameLimits limits;
    protocol::Lz4StreamDecoder stream;
    std::vector<uint8_t> bytes(one.frame.header_bytes().begin(), one.frame.header_bytes().end());
    bytes.insert(bytes.end(), one.frame.body.begin(), one.frame.body.end());
    auto decoded = protocol::decode_frame(bytes, limits, &stream);
    REQUIRE(decoded);
    std::vector<uint8_t> unpacked;
    protocol::BatchUnpacker unpacker;
    REQUIRE(unpacker.unpack(decoded->payload, unpacked));
    auto batch = protocol::decode_batch(std::move(unpacked));
    REQUIRE(batch);
    protocol::ChainVerifier verifier(protocol::chain_seed(f.store_id, 1, 1), 1);
    CHECK(verifier.verify(*batch));
    CHECK(batch->txs.size() == one.count);
}

// Packed BATCH payloads (protocol 6): batches of every shape round trip
// byte for byte across a stream, a one-transaction batch shrinks from 56
// bytes of fields to a few, odd values (wrapping differences, ids going
// back, negative times) round trip, and malformed packed payloads are
// refused naming the field, the state left as it was.
#include "protocol/batch.hpp"
#include "protocol/batch_packing.hpp"

#include <catch2/catch.hpp>

#include <random>
#include <string>

using namespace ccdr::protocol;

namespace {

std::vector<uint8_t> batch_of(BatchBuilder& builder, uint64_t& id, int64_t& commit, size_t count, size_t size,
                              std::mt19937& rng, int64_t sent_lag = 3) {
    for (size_t i = 0; i < count; ++i) {
        std::vector<uint8_t> payload(size);
        for (auto& b : payload) b = static_cast<uint8_t>('a' + rng() % 26);
        commit += static_cast<int64_t>(rng() % 3);
        REQUIRE(builder.add(ccdr_tx{id++, commit, {payload.data(), payload.size()}}));
    }
    return builder.finish(UpstreamPosition{id - 1, commit, commit + sent_lag});
}

}  // namespace

TEST_CASE("packed batches: every batch of a stream round trips byte for byte", "[protocol][batch_packing]") {
    std::mt19937 rng(3);
    BatchBuilder builder(chain_seed("s", 1, 1), 1);
    BatchPacker packer;
    BatchUnpacker unpacker;
    ChainVerifier verifier(chain_seed("s", 1, 1), 1);
    uint64_t id = 1;
    int64_t commit = 1'765'000'000'000;
    size_t packed_total = 0;
    size_t plain_total = 0;
    for (int i = 0; i < 2000; ++i) {
        const size_t count = i % 50 == 49 ? 300 : 1 + static_cast<size_t>(i % 3);
        const size_t size = i % 7 == 0 ? 0 : 200;
        auto batch = batch_of(builder, id, commit, count, size, rng);
        std::vector<uint8_t> packed;
        REQUIRE(packer.pack(batch, packed));
        std::vector<uint8_t> back;
        REQUIRE(unpacker.unpack(packed, back));
        REQUIRE(back == batch);
        auto decoded = decode_batch(back);
        REQUIRE(decoded);
        REQUIRE(verifier.verify(*decoded));
        packed_total += packed.size();
        plain_total += batch.size();
    }
    CHECK(packed_total < plain_total);
}

TEST_CASE("packed batches: one transaction's fields take a few bytes", "[protocol][batch_packing]") {
    std::mt19937 rng(4);
    BatchBuilder builder(chain_seed("s", 1, 1), 1);
    BatchPacker packer;
    uint64_t id = 1;
    int64_t commit = 1'765'000'000'000;
    std::vector<uint8_t> packed;
    REQUIRE(packer.pack(batch_of(builder, id, commit, 1, 200, rng), packed));
    CHECK(packed.size() > 200 + 6 + 2 + 8);  // the first batch: its values against zero
    for (int i = 0; i < 10; ++i) {
        REQUIRE(packer.pack(batch_of(builder, id, commit, 1, 200, rng), packed));
        // upstream_last_tx, upstream_last_commit_ms, sent_at_ms, count,
        // tx_id, commit_time_ms: one byte each; length: two; the chain: 8.
        CHECK(packed.size() == 200 + 6 + 2 + 8);
    }
}

TEST_CASE("packed batches: wrapping differences, ids going back and negative times round trip",
          "[protocol][batch_packing]") {
    BatchPacker packer;
    BatchUnpacker unpacker;
    // Hand-made batches (no builder: ids and times need not follow each other).
    auto make = [](uint64_t last_tx, int64_t last_commit, int64_t sent, std::vector<std::pair<uint64_t, int64_t>> txs) {
        std::vector<uint8_t> b(kBatchHeaderSize);
        auto put = [&](uint64_t v, size_t n) {
            for (size_t i = 0; i < n; ++i) b.push_back(static_cast<uint8_t>(v >> (8 * i)));
        };
        for (size_t i = 0; i < 8; ++i) {
            b[i] = static_cast<uint8_t>(last_tx >> (8 * i));
            b[8 + i] = static_cast<uint8_t>(static_cast<uint64_t>(last_commit) >> (8 * i));
            b[16 + i] = static_cast<uint8_t>(static_cast<uint64_t>(sent) >> (8 * i));
        }
        for (size_t i = 0; i < 4; ++i) b[24 + i] = static_cast<uint8_t>(txs.size() >> (8 * i));
        for (auto [tx, commit] : txs) {
            put(tx, 8);
            put(static_cast<uint64_t>(commit), 8);
            put(3, 4);
            put(0x636261, 3);
            put(0xfeedfacecafebeefull, 8);
        }
        return b;
    };
    const std::vector<std::vector<uint8_t>> batches = {
        make(UINT64_MAX, INT64_MIN, INT64_MAX, {{UINT64_MAX, INT64_MAX}, {0, INT64_MIN}}),
        make(0, -1, 0, {{5, -5}, {4, -6}, {UINT64_MAX - 1, 0}}),
        make(7, 1'765'000'000'000, 1'764'999'999'000, {{7, 1'765'000'000'000}}),
    };
    for (const auto& batch : batches) {
        std::vector<uint8_t> packed;
        REQUIRE(packer.pack(batch, packed));
        std::vector<uint8_t> back;
        REQUIRE(unpacker.unpack(packed, back));
        CHECK(back == batch);
    }
}

TEST_CASE("packed batches: malformed payloads are refused naming the field", "[protocol][batch_packing]") {
    // A valid packed batch of one record (against a fresh state): deltas 5,
    // 9, 1, count 1, tx_id delta 4 (zigzag: tx 3), commit 2, length 3, "abc",
    // the chain.
    const std::vector<uint8_t> good = {10, 18, 2, 1, 4, 4, 3, 'a', 'b', 'c', 1, 2, 3, 4, 5, 6, 7, 8};
    auto refusal = [](std::vector<uint8_t> packed) {
        BatchUnpacker unpacker;
        std::vector<uint8_t> out;
        ccdr::Status s = unpacker.unpack(packed, out);
        REQUIRE_FALSE(s);
        CHECK(s.code() == CCDR_CORRUPT);
        return s.message();
    };
    {
        BatchUnpacker unpacker;
        std::vector<uint8_t> out;
        REQUIRE(unpacker.unpack(good, out));
        auto batch = decode_batch(out);
        REQUIRE(batch);
        CHECK(batch->position.last_tx == 5);
        CHECK(batch->position.last_commit_ms == 9);
        CHECK(batch->position.sent_at_ms == 10);
        CHECK(batch->txs[0].tx_id == 3);
        CHECK(batch->txs[0].commit_time_ms == 2);
    }
    CHECK_THAT(refusal({}), Catch::Contains("upstream_last_tx at offset 0 is cut off"));
    CHECK_THAT(refusal({0x80, 0x00}), Catch::Contains("upstream_last_tx at offset 0 is not in its shortest varint form"));
    CHECK_THAT(refusal({0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02}),
               Catch::Contains("upstream_last_tx at offset 0 does not fit 64 bits"));
    CHECK_THAT(refusal({10, 18, 2, 0}), Catch::Contains("count 0 is impossible"));
    CHECK_THAT(refusal({10, 18, 2, 2, 4, 4, 3, 'a', 'b', 'c', 1, 2, 3, 4, 5, 6, 7, 8}),
               Catch::Contains("count 2 is impossible in the 14 bytes left"));
    auto long_length = good;
    long_length[6] = 9;
    CHECK_THAT(refusal(long_length), Catch::Contains("record 0 payload and chain of 17 bytes"));
    auto trailing = good;
    trailing.push_back(0);
    CHECK_THAT(refusal(trailing), Catch::Contains("1 bytes after the last record"));
    auto cut = good;
    cut[5] = 0x80;  // commit_time_ms runs into the length byte and beyond
    CHECK_THAT(refusal(cut), Catch::Contains("record 0 "));

    // A refused payload leaves the state as it was: the good one after it
    // unpacks as against a fresh state.
    BatchUnpacker unpacker;
    std::vector<uint8_t> out;
    CHECK_FALSE(unpacker.unpack(trailing, out));
    REQUIRE(unpacker.unpack(good, out));
    auto batch = decode_batch(out);
    REQUIRE(batch);
    CHECK(batch->txs[0].tx_id == 3);
}

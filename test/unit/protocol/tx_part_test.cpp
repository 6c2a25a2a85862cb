// TX_PART (protocol 5): a transaction larger than a batch in parts. The
// parts' bytes round trip, their chain value is the one a BATCH would carry
// for the same transaction, and the receiving end refuses what is malformed,
// out of order, or forged, naming the tx.
#include "protocol/batch.hpp"
#include "protocol/tx_part.hpp"
#include "protocol/wire.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <vector>

using namespace ccdr;
using namespace ccdr::protocol;

namespace {

std::vector<uint8_t> payload_of(uint64_t id, size_t bytes) {
    std::vector<uint8_t> p(bytes);
    for (size_t i = 0; i < bytes; ++i) {
        p[i] = static_cast<uint8_t>(id * 131 + i * 7);
    }
    return p;
}

// The chain value tx `tx` gets in a BATCH after `previous`.
uint64_t batch_chain(uint64_t previous, const ccdr_tx& tx) {
    BatchBuilder builder(previous, tx.tx_id);
    REQUIRE(builder.add(tx));
    return builder.chain();
}

// `tx` cut into parts of at most `part_bytes`, the last with `chain`.
std::vector<TxPart> parts_of(const ccdr_tx& tx, size_t part_bytes, uint64_t chain) {
    std::vector<TxPart> out;
    for (size_t at = 0; at < tx.payload.len; at += part_bytes) {
        const size_t len = std::min(part_bytes, tx.payload.len - at);
        TxPartHeader h{{tx.tx_id + 5, tx.commit_time_ms, 99}, tx.tx_id, tx.commit_time_ms,
                       static_cast<uint32_t>(tx.payload.len), static_cast<uint32_t>(at)};
        const bool last = at + len == tx.payload.len;
        auto part = decode_tx_part(encode_tx_part(h, {tx.payload.data + at, len},
                                                  last ? std::optional<uint64_t>(chain) : std::nullopt));
        REQUIRE(part);
        out.push_back(std::move(part.value()));
    }
    return out;
}

}  // namespace

TEST_CASE("tx part: the parts carry the bytes, and the chain value a BATCH gives the same transaction",
          "[protocol][tx_part]") {
    const uint64_t seed = chain_seed("store-1", 3, 7);
    auto payload = payload_of(7, 10'000);
    const ccdr_tx tx{7, 1'700'000'000'123, {payload.data(), payload.size()}};
    const uint64_t chain = batch_chain(seed, tx);
    auto parts = parts_of(tx, 4096, chain);
    REQUIRE(parts.size() == 3);
    CHECK(parts[0].first());
    CHECK_FALSE(parts[0].last());
    CHECK(parts[2].last());
    CHECK(parts[2].bytes.size() == 10'000 - 2 * 4096);
    CHECK(parts[1].header.position.sent_at_ms == 99);

    ChainVerifier verifier(seed, 7);
    TxPartVerifier receiver;
    TxPartAssembler assembler;
    std::vector<uint8_t> joined;
    for (const TxPart& part : parts) {
        REQUIRE(receiver.accept(part, verifier));
        assembler.add(part);
        joined.insert(joined.end(), part.bytes.begin(), part.bytes.end());
        CHECK(receiver.open() == !part.last());
    }
    CHECK(joined == payload);
    CHECK(verifier.next_tx() == 8);
    CHECK(verifier.chain() == chain);

    // Put back together, it is the batch of that one transaction, whose
    // chain a fresh verifier accepts.
    auto batch = assembler.finish();
    REQUIRE(batch);
    REQUIRE(batch->txs.size() == 1);
    CHECK(batch->txs[0].tx_id == 7);
    CHECK(batch->txs[0].commit_time_ms == tx.commit_time_ms);
    CHECK(std::vector<uint8_t>(batch->txs[0].payload.data, batch->txs[0].payload.data + batch->txs[0].payload.len) ==
          payload);
    ChainVerifier fresh(seed, 7);
    CHECK(fresh.verify(*batch));

    // A batch continues the chain after the parts.
    auto next_payload = payload_of(8, 30);
    BatchBuilder builder(verifier.chain(), 8);
    REQUIRE(builder.add({8, tx.commit_time_ms + 1, {next_payload.data(), next_payload.size()}}));
    auto next = decode_batch(builder.finish({8, 0, 0}));
    REQUIRE(next);
    CHECK(verifier.verify(*next));
}

TEST_CASE("tx part: malformed parts are refused, naming the field", "[protocol][tx_part]") {
    auto payload = payload_of(1, 100);
    const TxPartHeader h{{1, 0, 0}, 1, 5, 100, 0};
    auto refused = [](std::vector<uint8_t> bytes) {
        auto part = decode_tx_part(std::move(bytes));
        REQUIRE_FALSE(part);
        CHECK(part.status().code() == CCDR_CORRUPT);
        return part.status().message();
    };
    // No bytes.
    CHECK(refused(encode_tx_part(h, {}, std::nullopt)).find("tx part length") != std::string::npos);
    // Past the transaction's length.
    TxPartHeader past = h;
    past.offset = 60;
    CHECK(refused(encode_tx_part(past, {payload.data(), 50}, 1u)).find("passes the transaction") != std::string::npos);
    // The last part without its chain value.
    CHECK(refused(encode_tx_part(h, {payload.data(), 100}, std::nullopt)).find("tx part chain") != std::string::npos);
    // A part that is not the last, with a chain value (trailing bytes).
    CHECK(refused(encode_tx_part(h, {payload.data(), 40}, 7u)).find("trailing") != std::string::npos);
    // Cut short.
    auto whole = encode_tx_part(h, {payload.data(), 40}, std::nullopt);
    whole.resize(whole.size() - 1);
    CHECK(refused(std::move(whole)).find("tx part bytes") != std::string::npos);
}

TEST_CASE("tx part: a gap, a part out of place, an interleaved tx or a forged byte is refused at the tx",
          "[protocol][tx_part]") {
    const uint64_t seed = chain_seed("store-1", 1, 1);
    auto payload = payload_of(1, 300);
    const ccdr_tx tx{1, 10, {payload.data(), payload.size()}};
    const uint64_t chain = batch_chain(seed, tx);

    SECTION("a gap before the first part") {
        auto p2 = payload_of(2, 300);
        auto parts = parts_of({2, 10, {p2.data(), p2.size()}}, 100, 0);
        ChainVerifier verifier(seed, 1);
        TxPartVerifier receiver;
        auto st = receiver.accept(parts[0], verifier);
        REQUIRE_FALSE(st);
        CHECK(st.message().find("gap at tx 1") != std::string::npos);
    }
    SECTION("a part skipped") {
        auto parts = parts_of(tx, 100, chain);
        ChainVerifier verifier(seed, 1);
        TxPartVerifier receiver;
        REQUIRE(receiver.accept(parts[0], verifier));
        auto st = receiver.accept(parts[2], verifier);
        REQUIRE_FALSE(st);
        CHECK(st.message().find("part at byte 200 of tx 1 in parts, expected byte 100") != std::string::npos);
    }
    SECTION("a part with no transaction begun") {
        auto parts = parts_of(tx, 100, chain);
        ChainVerifier verifier(seed, 1);
        TxPartVerifier receiver;
        auto st = receiver.accept(parts[1], verifier);
        REQUIRE_FALSE(st);
        CHECK(st.message().find("no transaction begun") != std::string::npos);
    }
    SECTION("another transaction begun before the last part") {
        auto parts = parts_of(tx, 100, chain);
        ChainVerifier verifier(seed, 1);
        TxPartVerifier receiver;
        REQUIRE(receiver.accept(parts[0], verifier));
        auto st = receiver.accept(parts[0], verifier);
        REQUIRE_FALSE(st);
        CHECK(st.message().find("tx 1 began before the last part of tx 1") != std::string::npos);
    }
    SECTION("a changed byte fails the chain on the last part, and the verifier does not move") {
        auto forged = payload;
        forged[150] ^= 0x01;
        auto parts = parts_of({1, 10, {forged.data(), forged.size()}}, 100, chain);
        ChainVerifier verifier(seed, 1);
        TxPartVerifier receiver;
        REQUIRE(receiver.accept(parts[0], verifier));
        REQUIRE(receiver.accept(parts[1], verifier));
        auto st = receiver.accept(parts[2], verifier);
        REQUIRE_FALSE(st);
        CHECK(st.message().find("hash chain mismatch at tx 1") != std::string::npos);
        CHECK(verifier.next_tx() == 1);
        CHECK(verifier.chain() == seed);
    }
}

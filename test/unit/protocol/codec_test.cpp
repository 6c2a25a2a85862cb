// Frame and batch codec: round trips, corruption of any single bit, cut-off
// frames, absurd lengths refused before allocation, and the hash chain
// catching gaps, reorders and changed bytes at the exact transaction.
#include "protocol/batch.hpp"
#include "protocol/frame.hpp"
#include "protocol/messages.hpp"

#include <catch2/catch.hpp>
#include <xxhash.h>

#include <random>
#include <string>

using namespace ccdr::protocol;

namespace {

// Transaction-like records: repetitive enough for LZ4 to shrink them,
// varied enough to be realistic.
std::vector<uint8_t> sample_payload(size_t n, uint32_t seed = 7) {
    std::mt19937 rng(seed);
    std::vector<uint8_t> out;
    while (out.size() < n) {
        std::string rec = "CREATE (:Person {id: " + std::to_string(rng() % 100000) + ", name: 'user" +
                          std::to_string(rng() % 977) + "', score: " + std::to_string(rng() % 1000) + "})\n";
        out.insert(out.end(), rec.begin(), rec.end());
    }
    out.resize(n);
    return out;
}

std::vector<uint8_t> random_bytes(size_t n, uint32_t seed = 3) {
    std::mt19937 rng(seed);
    std::vector<uint8_t> out(n);
    for (auto& b : out) {
        b = static_cast<uint8_t>(rng());
    }
    return out;
}

std::vector<uint8_t> wire_of(const EncodedFrame& f) {
    std::vector<uint8_t> out(f.header.begin(), f.header.end());
    out.insert(out.end(), f.body.begin(), f.body.end());
    return out;
}

EncodedFrame frame_of(MessageType type, std::vector<uint8_t> payload, bool compress) {
    auto f = encode_frame(type, std::move(payload), compress, FrameLimits{});
    REQUIRE(f);
    return std::move(f.value());
}

// A header with valid magic and checksum but chosen fields.
std::array<uint8_t, kFrameHeaderSize> forged_header(uint8_t type, uint8_t flags, uint32_t len, uint32_t wire_len) {
    std::array<uint8_t, kFrameHeaderSize> h{};
    store_le(h.data(), kFrameMagic, 4);
    store_le(h.data() + 4, kFrameVersion, 2);
    h[6] = type;
    h[7] = flags;
    store_le(h.data() + 8, len, 4);
    store_le(h.data() + 12, wire_len, 4);
    store_le(h.data() + 16, 0, 8);
    store_le(h.data() + 24, 0, 8);
    store_le(h.data() + 32, XXH3_64bits(h.data(), 32), 8);
    return h;
}

std::vector<ccdr_tx> make_txs(uint64_t first, size_t n, std::vector<std::vector<uint8_t>>& storage) {
    storage.clear();
    for (size_t i = 0; i < n; ++i) {
        storage.push_back(sample_payload(40 + i * 13, static_cast<uint32_t>(first + i)));
    }
    std::vector<ccdr_tx> txs;
    for (size_t i = 0; i < n; ++i) {
        txs.push_back(ccdr_tx{first + i, 1'700'000'000'000 + static_cast<int64_t>(first + i),
                              ccdr_bytes{storage[i].data(), storage[i].size()}});
    }
    return txs;
}

DecodedBatch build_batch(uint64_t& chain, uint64_t first, const std::vector<ccdr_tx>& txs) {
    BatchBuilder b(chain, first);
    for (const auto& tx : txs) {
        REQUIRE(b.add(tx));
    }
    chain = b.chain();
    auto decoded = decode_batch(b.finish(UpstreamPosition{txs.back().tx_id, txs.back().commit_time_ms, 42}));
    REQUIRE(decoded);
    return std::move(decoded.value());
}

}  // namespace

TEST_CASE("frames round-trip, compressed where LZ4 shrinks the payload", "[protocol][frame]") {
    for (bool compress : {false, true}) {
        for (auto payload : {sample_payload(8192), random_bytes(4096), std::vector<uint8_t>{}, sample_payload(1)}) {
            auto f = frame_of(MessageType::kBatch, payload, compress);
            auto wire = wire_of(f);
            auto d = decode_frame(wire, FrameLimits{});
            REQUIRE(d);
            CHECK(d->payload == payload);
            CHECK(d->consumed == wire.size());
            CHECK(d->header.type == MessageType::kBatch);
            const bool shrinks = compress && payload.size() == 8192;
            CHECK(d->header.compressed() == shrinks);
            if (shrinks) {
                CHECK(f.body.size() < payload.size() / 2);
            }
        }
    }
}

TEST_CASE("every single-bit flip in header or payload is detected", "[protocol][frame]") {
    for (bool compress : {true, false}) {
        auto f = frame_of(MessageType::kBatch, sample_payload(1500), compress);
        REQUIRE(f.header[7] == (compress ? kFlagLz4 : 0));
        const auto wire = wire_of(f);
        size_t detected = 0;
        for (size_t bit = 0; bit < wire.size() * 8; ++bit) {
            auto bad = wire;
            bad[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
            auto d = decode_frame(bad, FrameLimits{});
            if (!d) {
                CHECK(d.status().code() == CCDR_CORRUPT);
                ++detected;
            } else {
                FAIL("undetected flip of bit " << bit << " (byte " << bit / 8 << "), compress=" << compress);
            }
        }
        CHECK(detected == wire.size() * 8);
    }
}

TEST_CASE("a flipped header bit is reported as a header checksum mismatch", "[protocol][frame]") {
    auto wire = wire_of(frame_of(MessageType::kAck, encode_message(Ack{12, std::nullopt}), false));
    wire[9] ^= 0x10;  // uncompressed length
    auto d = decode_frame(wire, FrameLimits{});
    REQUIRE_FALSE(d);
    CHECK_THAT(d.status().message(), Catch::Contains("header checksum mismatch"));
}

TEST_CASE("truncated frames are refused, saying how much is missing", "[protocol][frame]") {
    const auto wire = wire_of(frame_of(MessageType::kBatch, sample_payload(3000), true));
    for (size_t n = 0; n < wire.size(); ++n) {
        auto d = decode_frame(std::span<const uint8_t>(wire.data(), n), FrameLimits{});
        REQUIRE_FALSE(d);
        CHECK_THAT(d.status().message(), Catch::Contains("truncated frame"));
    }
    REQUIRE(decode_frame(wire, FrameLimits{}));
}

TEST_CASE("oversize lengths are refused from the header alone, before any allocation", "[protocol][frame]") {
    FrameLimits limits{1u << 20};
    // Only the 32 header bytes are present: the decoder must refuse the length
    // rather than ask for (and allocate) the 2 GiB it announces.
    auto h = forged_header(static_cast<uint8_t>(MessageType::kBatch), 0, 0x80000000u, 0x80000000u);
    auto d = decode_frame(h, limits);
    REQUIRE_FALSE(d);
    CHECK_THAT(d.status().message(), Catch::Contains("exceeds the limit of 1048576 bytes"));
    CHECK_THAT(d.status().message(), Catch::Contains("ccdr.frame.max_bytes"));

    auto lz = forged_header(static_cast<uint8_t>(MessageType::kBatch), kFlagLz4, (1u << 20) + 1, 100);
    CHECK_FALSE(decode_header(lz, limits));
    // Impossible combinations of the two lengths.
    CHECK_FALSE(decode_header(forged_header(7, kFlagLz4, 100, 100), limits));
    CHECK_FALSE(decode_header(forged_header(7, kFlagLz4, 0, 0), limits));
    CHECK_FALSE(decode_header(forged_header(7, 0, 100, 99), limits));
    CHECK_FALSE(decode_header(forged_header(7, kFlagLz4, 10, 9000), limits));
    // Unknown type and flags.
    CHECK_FALSE(decode_header(forged_header(0, 0, 0, 0), limits));
    CHECK_FALSE(decode_header(forged_header(kLastMessageType + 1, 0, 0, 0), limits));
    CHECK_FALSE(decode_header(forged_header(7, 0x80, 0, 0), limits));
    CHECK(decode_header(forged_header(7, 0, 100, 100), limits));

    // The encoder refuses what the decoder would.
    auto big = encode_frame(MessageType::kBatch, std::vector<uint8_t>((1u << 20) + 1), true, limits);
    REQUIRE_FALSE(big);
    CHECK_THAT(big.status().message(), Catch::Contains("exceeds the frame limit"));
}

TEST_CASE("a TLS record on a plaintext connection is named as such", "[protocol][frame]") {
    std::array<uint8_t, kFrameHeaderSize> h{0x16, 0x03, 0x01, 0x02, 0x00};
    auto d = decode_frame(h, FrameLimits{});
    REQUIRE_FALSE(d);
    CHECK_THAT(d.status().message(), Catch::Contains("speaks TLS"));
}

TEST_CASE("batches round-trip and the chain verifies across batches", "[protocol][chain]") {
    std::vector<std::vector<uint8_t>> s1, s2;
    auto txs1 = make_txs(1, 5, s1);
    auto txs2 = make_txs(6, 5, s2);
    const uint64_t seed = chain_seed("store-a", 3, 1);
    uint64_t chain = seed;
    auto b1 = build_batch(chain, 1, txs1);
    auto b2 = build_batch(chain, 6, txs2);
    REQUIRE(b1.txs.size() == 5);
    CHECK(b1.position.last_tx == 5);
    CHECK(b1.position.sent_at_ms == 42);
    for (size_t i = 0; i < 5; ++i) {
        CHECK(b2.txs[i].tx_id == 6 + i);
        CHECK(b2.txs[i].commit_time_ms == txs2[i].commit_time_ms);
        CHECK(std::vector<uint8_t>(b2.txs[i].payload.data, b2.txs[i].payload.data + b2.txs[i].payload.len) == s2[i]);
    }
    ChainVerifier v(seed, 1);
    REQUIRE(v.verify(b1));
    REQUIRE(v.verify(b2));
    CHECK(v.next_tx() == 11);
    CHECK(v.chain() == chain);
}

TEST_CASE("the chain catches a gap, a reorder, a duplicate and a changed byte at the exact tx", "[protocol][chain]") {
    std::vector<std::vector<uint8_t>> s1, s2;
    auto txs1 = make_txs(1, 5, s1);
    auto txs2 = make_txs(6, 5, s2);
    const uint64_t seed = chain_seed("store-a", 3, 1);
    uint64_t chain = seed;
    auto b1 = build_batch(chain, 1, txs1);
    auto b2 = build_batch(chain, 6, txs2);

    SECTION("gap inside a batch") {
        ChainVerifier v(seed, 1);
        REQUIRE(v.verify(b1));
        auto bad = b2;
        bad.txs.erase(bad.txs.begin() + 2);  // tx 8 missing
        bad.chains.erase(bad.chains.begin() + 2);
        auto st = v.verify(bad);
        REQUIRE_FALSE(st);
        CHECK_THAT(st.message(), Catch::Contains("gap at tx 8") && Catch::Contains("received tx 9"));
        CHECK(v.next_tx() == 6);  // nothing of the bad batch was accepted
    }
    SECTION("a whole batch missing") {
        ChainVerifier v(seed, 1);
        auto st = v.verify(b2);
        REQUIRE_FALSE(st);
        CHECK_THAT(st.message(), Catch::Contains("at tx 1:") && Catch::Contains("received tx 6"));
    }
    SECTION("reorder inside a batch") {
        ChainVerifier v(seed, 1);
        REQUIRE(v.verify(b1));
        auto bad = b2;
        std::swap(bad.txs[1], bad.txs[2]);
        std::swap(bad.chains[1], bad.chains[2]);
        auto st = v.verify(bad);
        REQUIRE_FALSE(st);
        CHECK_THAT(st.message(), Catch::Contains("at tx 7:") && Catch::Contains("received tx 8"));
    }
    SECTION("a batch delivered twice") {
        ChainVerifier v(seed, 1);
        REQUIRE(v.verify(b1));
        auto st = v.verify(b1);
        REQUIRE_FALSE(st);
        CHECK_THAT(st.message(), Catch::Contains("reorder at tx 6") && Catch::Contains("received tx 1"));
    }
    SECTION("a changed payload byte with every other field intact") {
        ChainVerifier v(seed, 1);
        REQUIRE(v.verify(b1));
        auto bad = b2;
        const_cast<uint8_t*>(bad.txs[3].payload.data)[5] ^= 1;  // tx 9
        auto st = v.verify(bad);
        REQUIRE_FALSE(st);
        CHECK_THAT(st.message(), Catch::Contains("hash chain mismatch at tx 9"));
    }
    SECTION("a changed commit time") {
        ChainVerifier v(seed, 1);
        auto bad = b1;
        bad.txs[0].commit_time_ms += 1;
        auto st = v.verify(bad);
        REQUIRE_FALSE(st);
        CHECK_THAT(st.message(), Catch::Contains("hash chain mismatch at tx 1"));
    }
    SECTION("another lineage's stream") {
        ChainVerifier v(chain_seed("store-b", 3, 1), 1);
        auto st = v.verify(b1);
        REQUIRE_FALSE(st);
        CHECK_THAT(st.message(), Catch::Contains("hash chain mismatch at tx 1"));
        ChainVerifier w(chain_seed("store-a", 4, 1), 1);
        CHECK_FALSE(w.verify(b1));
    }
}

TEST_CASE("the batch builder refuses transactions out of order", "[protocol][chain]") {
    std::vector<std::vector<uint8_t>> s;
    auto txs = make_txs(3, 2, s);
    BatchBuilder b(0, 4);
    CHECK_FALSE(b.add(txs[0]));
    CHECK(b.add(txs[1]));
}

TEST_CASE("malformed batches are refused naming the field", "[protocol][chain]") {
    std::vector<std::vector<uint8_t>> s;
    auto txs = make_txs(1, 3, s);
    BatchBuilder b(0, 1);
    for (const auto& tx : txs) {
        REQUIRE(b.add(tx));
    }
    auto payload = b.finish({3, 0, 0});
    SECTION("cut short") {
        for (size_t n = 0; n < payload.size(); ++n) {
            CHECK_FALSE(decode_batch(std::vector<uint8_t>(payload.begin(), payload.begin() + n)));
        }
    }
    SECTION("trailing bytes") {
        payload.push_back(0);
        auto d = decode_batch(payload);
        REQUIRE_FALSE(d);
        CHECK_THAT(d.status().message(), Catch::Contains("trailing"));
    }
    SECTION("a count the payload cannot hold") {
        store_le(payload.data() + 24, 0xffffffffu, 4);
        auto d = decode_batch(payload);
        REQUIRE_FALSE(d);
        CHECK_THAT(d.status().message(), Catch::Contains("batch count"));
    }
    SECTION("an empty batch") {
        std::vector<uint8_t> empty(kBatchHeaderSize, 0);
        CHECK_FALSE(decode_batch(empty));
    }
}

TEST_CASE("session messages round-trip and refuse trailing or missing bytes", "[protocol][messages]") {
    auto round = [](const auto& m) {
        using M = std::decay_t<decltype(m)>;
        auto bytes = encode_message(m);
        auto back = decode_message_as<M>(bytes);
        REQUIRE(back);
        auto again = encode_message(back.value());
        CHECK(again == bytes);
        auto any = decode_message(M::kType, bytes);
        REQUIRE(any);
        CHECK(std::holds_alternative<M>(any.value()));
        auto longer = bytes;
        longer.push_back(1);
        CHECK_FALSE(decode_message_as<M>(longer));
        if (!bytes.empty() && M::kType != MessageType::kSnapshotChunk) {
            CHECK_FALSE(decode_message_as<M>(std::span<const uint8_t>(bytes.data(), bytes.size() - 1)));
        }
        return back.value();
    };
    auto h = round(Hello{1, 1, "cluster-a", "server-1", ""});
    CHECK(h.cluster_id == "cluster-a");
    round(HelloOk{1, "cluster-b", "server-2", ""});
    round(DatabaseInfoRequest{"foo"});
    auto info = round(DatabaseInfoReply{"foo", true, true, CCDR_KIND_STANDARD, "abc", 2, 99, 1234, 50, ""});
    CHECK(info.last_tx == 99);
    CHECK(info.oldest_retained_tx == 50);
    auto sub = round(Subscribe{"foo", "abc", 2, 100, "foo-replica"});
    CHECK(sub.from_tx == 100);
    round(Subscribed{100, {99, 1234, 5678}});
    round(Heartbeat{{99, 1234, 5678}});
    round(Ack{77, std::nullopt});
    round(LogPruned{5, 50, 99});
    round(SnapshotRequest{"foo", "abc", 2, 0x1234, 4096, "foo-replica"});
    round(SnapshotBegin{0x1234, 99, 1234, 10000, 4096, 4096});
    round(SnapshotAck{0x1234, 8192});
    round(SnapshotEnd{0x1234, 10000, 0xabcdef});
    auto r = round(Refused{RefusalCode::kLineageMismatch, "store id differs"});
    CHECK(r.code == RefusalCode::kLineageMismatch);
    std::vector<uint8_t> data{1, 2, 3, 4};
    auto chunk_bytes = encode_message(SnapshotChunk{7, 4096, 99, data});
    auto chunk = decode_message_as<SnapshotChunk>(chunk_bytes);
    REQUIRE(chunk);
    CHECK(std::vector<uint8_t>(chunk->data.begin(), chunk->data.end()) == data);
}

TEST_CASE("session messages refuse impossible values", "[protocol][messages]") {
    CHECK_FALSE(decode_message_as<Hello>(encode_message(Hello{3, 1, "a", "b", ""})));
    CHECK_FALSE(decode_message_as<Subscribe>(encode_message(Subscribe{"foo", "abc", 1, 0, ""})));
    CHECK_FALSE(decode_message_as<SnapshotBegin>(encode_message(SnapshotBegin{1, 1, 1, 100, 101, 10})));
    auto refused = encode_message(Refused{RefusalCode::kInternal, "x"});
    store_le(refused.data(), 999, 2);
    auto d = decode_message_as<Refused>(refused);
    REQUIRE_FALSE(d);
    CHECK_THAT(d.status().message(), Catch::Contains("not a refusal code"));
    // A string length beyond what remains.
    std::vector<uint8_t> bad;
    WireWriter w(bad);
    w.u32(1000);
    w.u8('x');
    auto req = decode_message_as<DatabaseInfoRequest>(bad);
    REQUIRE_FALSE(req);
    CHECK_THAT(req.status().message(), Catch::Contains("needs 1000 bytes"));
}

TEST_CASE("a copied batch views its own buffer", "[protocol][chain]") {
    std::vector<std::vector<uint8_t>> s;
    auto txs = make_txs(1, 4, s);
    const uint64_t seed = chain_seed("store-a", 1, 1);
    uint64_t chain = seed;
    auto original = std::make_unique<DecodedBatch>(build_batch(chain, 1, txs));
    DecodedBatch copy = *original;
    original.reset();  // the copy must not point into freed memory
    for (size_t i = 0; i < 4; ++i) {
        CHECK(copy.txs[i].payload.data >= copy.buffer.data());
        CHECK(std::vector<uint8_t>(copy.txs[i].payload.data, copy.txs[i].payload.data + copy.txs[i].payload.len) ==
              s[i]);
    }
    ChainVerifier v(seed, 1);
    CHECK(v.verify(copy));
}

TEST_CASE("a builder reusing a sent batch's buffer builds the same bytes", "[protocol][chain]") {
    std::vector<std::vector<uint8_t>> s;
    auto txs = make_txs(1, 6, s);
    BatchBuilder fresh(7, 1, 4096);
    BatchBuilder reusing(7, 1, 4096);
    for (int i = 0; i < 3; ++i) {
        REQUIRE(fresh.add(txs[static_cast<size_t>(i)]));
        REQUIRE(reusing.add(txs[static_cast<size_t>(i)]));
    }
    auto a1 = fresh.finish({3, 0, 0});
    auto b1 = reusing.finish({3, 0, 0});
    CHECK(a1 == b1);
    reusing.recycle(std::move(b1));
    for (int i = 3; i < 6; ++i) {
        REQUIRE(fresh.add(txs[static_cast<size_t>(i)]));
        REQUIRE(reusing.add(txs[static_cast<size_t>(i)]));
    }
    CHECK(fresh.finish({6, 0, 0}) == reusing.finish({6, 0, 0}));
}

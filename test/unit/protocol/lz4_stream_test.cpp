// LZ4 streaming frames (protocol 4): many batches round trip through one
// stream in order, small batches shrink with the stream's history where an
// independent block barely does, a reset starts both sides afresh, and a
// corrupt, reordered, skipped or unexpected stream block is refused and
// breaks the decoder for good, never read out of bounds.
#include "protocol/batch.hpp"
#include "protocol/frame.hpp"
#include "protocol/lz4_stream.hpp"
#include "protocol/wire.hpp"

#include <catch2/catch.hpp>
#include <xxhash.h>

#include <random>
#include <string>

using namespace ccdr::protocol;

namespace {

// A ~200-byte change record like the benchmark's: labels, property names
// and values from small vocabularies, ids random.
std::vector<uint8_t> record(std::mt19937& rng, size_t n = 200) {
    const char* labels[] = {"Person", "Company", "Order", "Product", "Review"};
    const char* names[] = {"alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi"};
    std::string tx;
    while (tx.size() < n) {
        tx += "CREATE (n:" + std::string(labels[rng() % 5]) + " {id: " + std::to_string(rng() % 1'000'000) +
              ", name: '" + names[rng() % 8] + std::to_string(rng() % 1000) + "', score: " +
              std::to_string(rng() % 100) + "});";
    }
    tx.resize(n);
    return {tx.begin(), tx.end()};
}

std::vector<uint8_t> wire_of(const EncodedFrame& f) {
    std::vector<uint8_t> out(f.header.begin(), f.header.end());
    out.insert(out.end(), f.body.begin(), f.body.end());
    return out;
}

EncodedFrame stream_frame(Lz4StreamEncoder& enc, std::vector<uint8_t> payload,
                          MessageType type = MessageType::kBatch) {
    auto f = encode_frame(type, std::move(payload), enc, FrameLimits{});
    REQUIRE(f);
    return std::move(f.value());
}

}  // namespace

TEST_CASE("LZ4 stream: thousands of batches of every size round trip in order", "[protocol][lz4_stream]") {
    std::mt19937 rng(11);
    Lz4StreamEncoder enc;
    Lz4StreamDecoder dec;
    size_t total = 0;
    // One- and two-record batches, then some large ones (past the window's
    // 1 MiB, so the history moves to the front and the window grows), then
    // small ones again.
    std::vector<size_t> counts;
    for (int i = 0; i < 3000; ++i) counts.push_back(1 + i % 2);
    for (int i = 0; i < 6; ++i) counts.push_back(3000 + 1000 * i);  // 600 KiB .. 1.6 MiB
    for (int i = 0; i < 2000; ++i) counts.push_back(1 + i % 3);
    for (size_t n : counts) {
        std::vector<uint8_t> payload;
        for (size_t k = 0; k < n; ++k) {
            auto r = record(rng);
            payload.insert(payload.end(), r.begin(), r.end());
        }
        auto frame = stream_frame(enc, payload);
        CHECK(frame.header[7] == kFlagLz4Stream);
        auto d = decode_frame(wire_of(frame), FrameLimits{}, &dec);
        REQUIRE(d);
        REQUIRE(d->header.streamed());
        REQUIRE(d->payload == payload);
        total += payload.size();
    }
    CHECK(dec.blocks() == counts.size());
    CHECK(enc.blocks() == counts.size());
    CHECK(total > 4u << 20);
}

TEST_CASE("LZ4 stream: one-record batches shrink with the history, not alone", "[protocol][lz4_stream]") {
    std::mt19937 rng(5);
    Lz4StreamEncoder enc;
    size_t raw = 0, block = 0, streamed = 0;
    for (int i = 0; i < 2000; ++i) {
        auto r = record(rng);
        raw += r.size();
        auto b = encode_frame(MessageType::kBatch, r, true, FrameLimits{});
        REQUIRE(b);
        block += b->body.size();
        streamed += stream_frame(enc, r).body.size();
    }
    INFO("raw " << raw << ", independent blocks " << block << ", stream " << streamed);
    // Alone, 200 bytes shrink to about two thirds here (the record repeats
    // itself within 200 bytes); with the history, to about a third.
    CHECK(streamed * 3 < block * 2);
    CHECK(streamed * 2 < raw);
}

TEST_CASE("LZ4 stream: a reset on both sides starts a new stream", "[protocol][lz4_stream]") {
    std::mt19937 rng(3);
    Lz4StreamEncoder enc;
    Lz4StreamDecoder dec;
    for (int i = 0; i < 50; ++i) {
        auto r = record(rng);
        REQUIRE(decode_frame(wire_of(stream_frame(enc, r)), FrameLimits{}, &dec));
    }
    auto same = record(rng);
    enc.reset();
    auto fresh = stream_frame(enc, same);
    SECTION("a decoder reset with it decodes the first block of the new stream") {
        dec.reset();
        auto d = decode_frame(wire_of(fresh), FrameLimits{}, &dec);
        REQUIRE(d);
        CHECK(d->payload == same);
        CHECK(dec.blocks() == 1);
    }
    SECTION("a fresh decoder too (a new connection)") {
        Lz4StreamDecoder other;
        auto d = decode_frame(wire_of(fresh), FrameLimits{}, &other);
        REQUIRE(d);
        CHECK(d->payload == same);
    }
}

TEST_CASE("LZ4 stream: bad blocks are refused and break the stream", "[protocol][lz4_stream]") {
    std::mt19937 rng(9);
    Lz4StreamEncoder enc;
    std::vector<std::vector<uint8_t>> payloads;
    std::vector<std::vector<uint8_t>> wires;
    for (int i = 0; i < 20; ++i) {
        payloads.push_back(record(rng, 150 + i * 10));
        wires.push_back(wire_of(stream_frame(enc, payloads.back())));
    }
    Lz4StreamDecoder dec;
    for (int i = 0; i < 10; ++i) {
        REQUIRE(decode_frame(wires[static_cast<size_t>(i)], FrameLimits{}, &dec));
    }
    SECTION("a skipped block: the next one is decoded against the wrong history") {
        auto d = decode_frame(wires[11], FrameLimits{}, &dec);
        CHECK_FALSE(d);
        CHECK(dec.broken());
        auto next = decode_frame(wires[10], FrameLimits{}, &dec);
        REQUIRE_FALSE(next);  // even the right one: the history is gone
        CHECK_THAT(next.status().message(), Catch::Contains("earlier block of this stream failed"));
    }
    SECTION("a flipped bit in the block is caught by the wire checksum") {
        auto bad = wires[10];
        bad[kFrameHeaderSize + 3] ^= 0x10;
        auto d = decode_frame(bad, FrameLimits{}, &dec);
        REQUIRE_FALSE(d);
        CHECK_THAT(d.status().message(), Catch::Contains("wire checksum"));
        CHECK(dec.broken());
    }
    SECTION("a stream block where no stream is expected") {
        Lz4StreamDecoder unused;
        auto d = decode_frame(wires[10], FrameLimits{});
        REQUIRE_FALSE(d);
        CHECK_THAT(d.status().message(), Catch::Contains("no LZ4 stream was expected"));
    }
    SECTION("every single-bit flip of a frame is refused") {
        for (size_t bit = 0; bit < wires[10].size() * 8; ++bit) {
            Lz4StreamDecoder copy;
            for (int i = 0; i < 10; ++i) {
                REQUIRE(decode_frame(wires[static_cast<size_t>(i)], FrameLimits{}, &copy));
            }
            auto bad = wires[10];
            bad[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
            INFO("bit " << bit);
            CHECK_FALSE(decode_frame(bad, FrameLimits{}, &copy));
        }
    }
    SECTION("the decoder itself, on blocks made up to copy from outside the history") {
        // A block whose first sequence is a match 60 000 bytes back, with
        // only ten blocks (~2 KiB) of history: LZ4's safe decoder refuses it.
        std::vector<uint8_t> forged = {0x0f, 0x60, 0xea};  // no literals, match length 19, offset 60000
        forged.push_back(0x00);
        std::vector<uint8_t> out;
        Lz4StreamDecoder fresh;
        CHECK_FALSE(fresh.decompress(forged, 19, out));
        CHECK(fresh.broken());
        // Random garbage of every length up to 300 bytes, decoded into 4 KiB.
        std::mt19937 g(1);
        for (size_t n = 1; n <= 300; ++n) {
            std::vector<uint8_t> junk(n);
            for (auto& b : junk) b = static_cast<uint8_t>(g());
            Lz4StreamDecoder d2;
            (void)d2.decompress(junk, 4096, out);  // must not crash or read out of bounds (ASan run)
        }
    }
}

TEST_CASE("LZ4 stream: headers of stream blocks are checked before anything is read", "[protocol][lz4_stream]") {
    std::mt19937 rng(2);
    Lz4StreamEncoder enc;
    auto wire = wire_of(stream_frame(enc, record(rng)));
    auto reforge = [&](uint8_t flags, uint32_t len, uint32_t wire_len) {
        std::array<uint8_t, kFrameHeaderSize> h{};
        std::copy(wire.begin(), wire.begin() + kFrameHeaderSize, h.begin());
        h[7] = flags;
        store_le(h.data() + 8, len, 4);
        store_le(h.data() + 12, wire_len, 4);
        store_le(h.data() + 32, XXH3_64bits(h.data(), 32), 8);
        return decode_header(h, FrameLimits{});
    };
    CHECK(reforge(kFlagLz4Stream, 200, 150));
    CHECK(reforge(kFlagLz4Stream, 200, 200));   // a stream block may not shrink
    CHECK(reforge(kFlagLz4Stream, 200, 216));   // up to LZ4's bound
    CHECK_FALSE(reforge(kFlagLz4Stream, 200, 300));
    CHECK_FALSE(reforge(kFlagLz4Stream, 0, 0));
    CHECK_FALSE(reforge(kFlagLz4Stream, 200, 0));
    CHECK_FALSE(reforge(kFlagLz4Stream | kFlagLz4, 200, 150));
    CHECK_FALSE(reforge(0x04, 200, 200));
}

TEST_CASE("LZ4 stream: an empty payload travels uncompressed and leaves the stream as it was",
          "[protocol][lz4_stream]") {
    std::mt19937 rng(4);
    Lz4StreamEncoder enc;
    Lz4StreamDecoder dec;
    auto first = record(rng);
    REQUIRE(decode_frame(wire_of(stream_frame(enc, first)), FrameLimits{}, &dec));
    auto empty = stream_frame(enc, {}, MessageType::kHeartbeat);
    CHECK(empty.header[7] == 0);
    REQUIRE(decode_frame(wire_of(empty), FrameLimits{}, &dec));
    auto second = record(rng);
    auto d = decode_frame(wire_of(stream_frame(enc, second)), FrameLimits{}, &dec);
    REQUIRE(d);
    CHECK(d->payload == second);
    CHECK(dec.blocks() == 2);
}

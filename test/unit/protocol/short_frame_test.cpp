// Short frame headers (protocol 6) and compact ones (protocol 7): stream
// blocks round trip with 15 to 23 (11 to 19) header bytes instead of 40 and
// the same body, the layouts are pinned, every single-bit flip is refused
// (and a flipped block breaks the stream), malformed headers are refused
// naming the field, and lengths are checked before anything is allocated.
#include "protocol/frame.hpp"
#include "protocol/lz4_stream.hpp"
#include "protocol/short_frame.hpp"
#include "protocol/wire.hpp"

#include <catch2/catch.hpp>
#include <xxhash.h>

#include <random>
#include <string>

using namespace ccdr::protocol;

namespace {

std::vector<uint8_t> record(std::mt19937& rng, size_t n = 200) {
    const char* labels[] = {"Person", "Company", "Order", "Product", "Review"};
    std::string tx;
    while (tx.size() < n) {
        tx += "CREATE (n:" + std::string(labels[rng() % 5]) + " {id: " + std::to_string(rng() % 1'000'000) +
              ", score: " + std::to_string(rng() % 100) + "});";
    }
    tx.resize(n);
    return {tx.begin(), tx.end()};
}

std::vector<uint8_t> wire_of(const EncodedFrame& f) {
    std::vector<uint8_t> out(f.header.begin(), f.header.begin() + f.header_size);
    out.insert(out.end(), f.body.begin(), f.body.end());
    return out;
}

EncodedFrame short_frame(Lz4StreamEncoder& enc, std::vector<uint8_t> payload,
                         MessageType type = MessageType::kBatch, StreamFrameForm form = StreamFrameForm::kShort) {
    auto f = encode_frame(type, std::move(payload), enc, FrameLimits{}, {}, form);
    REQUIRE(f);
    return std::move(f.value());
}

void put_varint(std::vector<uint8_t>& out, uint64_t v) {
    while (v >= 0x80) {
        out.push_back(static_cast<uint8_t>(v | 0x80));
        v >>= 7;
    }
    out.push_back(static_cast<uint8_t>(v));
}

// A short header with a valid header checksum around chosen varint bytes.
std::vector<uint8_t> forged(uint8_t first, const std::vector<uint8_t>& varints) {
    std::vector<uint8_t> h{first};
    h.insert(h.end(), varints.begin(), varints.end());
    const auto check = static_cast<uint32_t>(XXH3_64bits(h.data(), h.size()));
    const size_t checks = 4 + (is_compact_frame(first) ? 4 : 8);
    h.resize(h.size() + checks);
    store_le(h.data() + h.size() - checks, check, 4);
    return h;
}

std::vector<uint8_t> lengths(uint64_t uncompressed, uint64_t wire) {
    std::vector<uint8_t> v;
    put_varint(v, uncompressed);
    put_varint(v, wire);
    return v;
}

}  // namespace

TEST_CASE("short frames: stream blocks round trip with a short header and the same body",
          "[protocol][short_frame]") {
    const StreamFrameForm form = GENERATE(StreamFrameForm::kShort, StreamFrameForm::kCompact);
    const bool compact = form == StreamFrameForm::kCompact;
    INFO((compact ? "compact (protocol 7)" : "short (protocol 6)"));
    std::mt19937 rng(5);
    Lz4StreamEncoder full_enc;
    Lz4StreamEncoder short_enc;
    Lz4StreamDecoder dec;
    std::vector<size_t> sizes;
    for (int i = 0; i < 500; ++i) sizes.push_back(1 + i % 3);
    sizes.push_back(700);   // ~140 KiB: three-byte varints
    sizes.push_back(6000);  // ~1.2 MiB
    for (int i = 0; i < 200; ++i) sizes.push_back(1);
    for (size_t n : sizes) {
        std::vector<uint8_t> payload;
        for (size_t k = 0; k < n; ++k) {
            auto r = record(rng);
            payload.insert(payload.end(), r.begin(), r.end());
        }
        auto full = encode_frame(MessageType::kBatch, payload, full_enc, FrameLimits{});
        REQUIRE(full);
        auto small = short_frame(short_enc, payload, MessageType::kBatch, form);
        // The same stream, the same block; only the header differs.
        REQUIRE(small.body == full->body);
        CHECK(small.header_size >= kShortHeaderMin + (compact ? 0 : 4));
        CHECK(small.header_size <= kShortHeaderMax - (compact ? 4 : 0));
        CHECK(small.header[0] ==
              ((compact ? kCompactFrameMark : kShortFrameMark) | static_cast<uint8_t>(MessageType::kBatch)));
        CHECK(small.wire_size() + kFrameHeaderSize - small.header_size == full->wire_size());
        auto wire = wire_of(small);
        auto size = frame_header_size(std::span<const uint8_t, kFramePrefixSize>(wire.data(), kFramePrefixSize));
        REQUIRE(size);
        CHECK(*size == small.header_size);
        auto d = decode_frame(wire, FrameLimits{2u << 20}, &dec);
        REQUIRE(d);
        CHECK(d->header.short_form());
        CHECK(d->header.form == form);
        CHECK(d->header.streamed());
        CHECK(d->header.type == MessageType::kBatch);
        CHECK(d->consumed == wire.size());
        REQUIRE(d->payload == payload);
    }
    CHECK(dec.blocks() == sizes.size());
}

TEST_CASE("short frames: the header's bytes are as documented", "[protocol][short_frame]") {
    Lz4StreamEncoder enc;
    auto f = short_frame(enc, std::vector<uint8_t>(200, 'a'), MessageType::kTxPart);
    const size_t n = f.body.size();
    REQUIRE(n < 128);  // one varint byte
    REQUIRE(f.header_size == 1 + 2 + 1 + 4 + 8);
    const uint8_t* h = f.header.data();
    CHECK(h[0] == 0x80 + 31);  // TX_PART
    CHECK(h[1] == 0xc8);       // 200 = 0b1'1001000: 0x48 | 0x80, then 0x01
    CHECK(h[2] == 0x01);
    CHECK(h[3] == n);
    CHECK(load_le(h + 4, 4) == static_cast<uint32_t>(XXH3_64bits(h, 4)));
    CHECK(load_le(h + 8, 8) == XXH3_64bits(f.body.data(), n));
    // A full frame is read whole by the same reader.
    auto full = encode_frame(MessageType::kAck, std::vector<uint8_t>(8, 1), false, FrameLimits{});
    REQUIRE(full);
    auto size = frame_header_size(std::span<const uint8_t, kFramePrefixSize>(full->header.data(), kFramePrefixSize));
    REQUIRE(size);
    CHECK(*size == kFrameHeaderSize);
}

TEST_CASE("short frames: the compact header's bytes are as documented (protocol 7)", "[protocol][short_frame]") {
    Lz4StreamEncoder enc;
    auto f = short_frame(enc, std::vector<uint8_t>(200, 'a'), MessageType::kBatch, StreamFrameForm::kCompact);
    const size_t n = f.body.size();
    REQUIRE(n < 128);  // one varint byte
    REQUIRE(f.header_size == 1 + 2 + 1 + 4 + 4);
    const uint8_t* h = f.header.data();
    CHECK(h[0] == 0xC0 + 7);  // BATCH
    CHECK(h[1] == 0xc8);      // 200
    CHECK(h[2] == 0x01);
    CHECK(h[3] == n);
    CHECK(load_le(h + 4, 4) == static_cast<uint32_t>(XXH3_64bits(h, 4)));
    CHECK(load_le(h + 8, 4) == static_cast<uint32_t>(XXH3_64bits(f.body.data(), n)));
    // The prefix a reader reads first is the shortest header.
    CHECK(kFramePrefixSize == 11);
    auto size = frame_header_size(std::span<const uint8_t, kFramePrefixSize>(h, kFramePrefixSize));
    REQUIRE(size);
    CHECK(*size == 12);
}

TEST_CASE("short frames: every single-bit flip is refused, and a bad block breaks the stream",
          "[protocol][short_frame]") {
    const StreamFrameForm form = GENERATE(StreamFrameForm::kShort, StreamFrameForm::kCompact);
    INFO((form == StreamFrameForm::kCompact ? "compact (protocol 7)" : "short (protocol 6)"));
    std::mt19937 rng(7);
    Lz4StreamEncoder enc;
    std::vector<std::vector<uint8_t>> wires;
    for (int i = 0; i < 12; ++i) {
        wires.push_back(wire_of(short_frame(enc, record(rng, 150 + 10 * i), MessageType::kBatch, form)));
    }
    const auto& target = wires[10];
    for (size_t bit = 0; bit < target.size() * 8; ++bit) {
        Lz4StreamDecoder dec;
        for (int i = 0; i < 10; ++i) {
            REQUIRE(decode_frame(wires[static_cast<size_t>(i)], FrameLimits{}, &dec));
        }
        auto bad = target;
        bad[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
        INFO("bit " << bit);
        CHECK_FALSE(decode_frame(bad, FrameLimits{}, &dec));
    }
    SECTION("a flipped body bit: the wire checksum, and later blocks refused") {
        Lz4StreamDecoder dec;
        for (int i = 0; i < 10; ++i) {
            REQUIRE(decode_frame(wires[static_cast<size_t>(i)], FrameLimits{}, &dec));
        }
        auto bad = target;
        bad.back() ^= 0x01;
        auto d = decode_frame(bad, FrameLimits{}, &dec);
        REQUIRE_FALSE(d);
        CHECK_THAT(d.status().message(), Catch::Contains("wire checksum mismatch"));
        CHECK(dec.broken());
        auto next = decode_frame(wires[11], FrameLimits{}, &dec);
        REQUIRE_FALSE(next);
        CHECK_THAT(next.status().message(), Catch::Contains("earlier block of this stream failed"));
    }
    SECTION("a flipped length bit: the header checksum, before the payload is read") {
        auto bad = target;
        bad[3] ^= 0x02;  // wire_length
        Lz4StreamDecoder dec;
        auto d = decode_header(std::span<const uint8_t>(bad.data(), form == StreamFrameForm::kCompact ? 12 : 16),
                               FrameLimits{});
        REQUIRE_FALSE(d);
        CHECK_THAT(d.status().message(), Catch::Contains("short frame header checksum mismatch"));
    }
    SECTION("a short frame where no stream is expected") {
        auto d = decode_frame(wires[0], FrameLimits{});
        REQUIRE_FALSE(d);
        CHECK_THAT(d.status().message(), Catch::Contains("no LZ4 stream was expected"));
    }
    SECTION("every cut of a frame is refused as truncated") {
        for (size_t n = 0; n < target.size(); ++n) {
            Lz4StreamDecoder dec;
            auto d = decode_frame(std::span<const uint8_t>(target.data(), n), FrameLimits{}, &dec);
            REQUIRE_FALSE(d);
            CHECK_THAT(d.status().message(), Catch::Contains("truncated"));
        }
    }
}

TEST_CASE("short frames: malformed headers are refused naming the field", "[protocol][short_frame]") {
    const FrameLimits limits{1u << 20};
    const uint8_t mark = GENERATE(kShortFrameMark, kCompactFrameMark);
    INFO("mark " << int(mark));
    const uint8_t batch = mark | static_cast<uint8_t>(MessageType::kBatch);
    auto refusal = [&](const std::vector<uint8_t>& h) {
        auto d = decode_header(h, limits);
        REQUIRE_FALSE(d);
        return d.status().message();
    };
    CHECK(decode_header(forged(batch, lengths(200, 80)), limits));
    CHECK(decode_header(forged(batch, lengths(200, 216)), limits));  // up to LZ4's bound
    // Lengths against the limit and each other, from the header alone: a
    // 2 GiB frame is refused before anything is allocated.
    CHECK_THAT(refusal(forged(batch, lengths(0x80000000u, 100))),
               Catch::Contains("uncompressed_length 2147483648") && Catch::Contains("ccdr.frame.max_bytes"));
    CHECK_THAT(refusal(forged(batch, lengths(0, 1))), Catch::Contains("uncompressed_length 0"));
    CHECK_THAT(refusal(forged(batch, lengths(200, 0))), Catch::Contains("wire_length 0"));
    CHECK_THAT(refusal(forged(batch, lengths(200, 217))), Catch::Contains("wire_length 217"));
    // Varints: the shortest form only, at most 5 bytes, within 32 bits.
    CHECK_THAT(refusal(forged(batch, {0xc8, 0x81, 0x00, 0x50})),
               Catch::Contains("uncompressed_length is not in its shortest varint form"));
    CHECK_THAT(refusal(forged(batch, {0xc8, 0x01, 0xd0, 0x00})),
               Catch::Contains("wire_length is not in its shortest varint form"));
    CHECK_THAT(refusal(forged(batch, {0xff, 0xff, 0xff, 0xff, 0x7f, 0x50})),
               Catch::Contains("uncompressed_length of 34359738367 does not fit 32 bits"));
    CHECK_THAT(refusal(forged(batch, {0x80, 0x80, 0x80, 0x80, 0x80, 0x01, 0x50})),
               Catch::Contains("longer than 5 bytes"));
    // The type.
    CHECK_THAT(refusal(forged(mark, lengths(200, 80))), Catch::Contains("unknown message type 0"));
    CHECK_THAT(refusal(forged(mark | (kLastMessageType + 1), lengths(200, 80))),
               Catch::Contains("unknown message type"));
    // The header checksum.
    auto h = forged(batch, lengths(200, 80));
    h[4] ^= 0x01;
    CHECK_THAT(refusal(h), Catch::Contains("short frame header checksum mismatch"));
    // A header cut inside its lengths.
    CHECK_THAT(refusal({batch, 0xc8}), Catch::Contains("truncated short frame header"));
    // A header cut inside its checks.
    auto cut = forged(batch, lengths(200, 80));
    cut.pop_back();
    CHECK_THAT(refusal(cut), Catch::Contains("truncated short frame header"));
}

TEST_CASE("short frames: a compact frame's block check is 32 bits, an untouched block's is right",
          "[protocol][short_frame]") {
    // The check is the low half of the block's xxHash3-64: a protocol-6
    // header of the same block with its 64 bits cut to 32 and re-marked is
    // exactly the compact header.
    std::mt19937 rng(11);
    Lz4StreamEncoder short_enc;
    Lz4StreamEncoder compact_enc;
    for (int i = 0; i < 20; ++i) {
        auto payload = record(rng, 100 + 37 * static_cast<size_t>(i));
        auto s6 = short_frame(short_enc, payload, MessageType::kBatch, StreamFrameForm::kShort);
        auto s7 = short_frame(compact_enc, payload, MessageType::kBatch, StreamFrameForm::kCompact);
        REQUIRE(s6.body == s7.body);
        REQUIRE(s7.header_size + 4 == s6.header_size);
        const size_t lengths_end = s7.header_size - 8;
        CHECK(std::equal(s6.header.begin() + 1, s6.header.begin() + static_cast<long>(lengths_end),
                         s7.header.begin() + 1));
        CHECK(load_le(s7.header.data() + lengths_end + 4, 4) == (load_le(s6.header.data() + lengths_end + 4, 8) &
                                                                 0xffffffffu));
    }
}

TEST_CASE("short frames: an empty payload gets a full header and no stream block", "[protocol][short_frame]") {
    Lz4StreamEncoder enc;
    auto f = short_frame(enc, {}, MessageType::kHeartbeat);
    CHECK(f.header_size == kFrameHeaderSize);
    CHECK(f.header[7] == 0);
    auto d = decode_frame(wire_of(f), FrameLimits{});
    REQUIRE(d);
    CHECK_FALSE(d->header.short_form());
    CHECK(enc.blocks() == 0);
}

// Chunked framing: split and reassembled messages, several per read, NOOPs,
// the size limit.
#include "bolt/chunking.hpp"

#include <catch2/catch.hpp>

#include <numeric>

using namespace refhost::bolt;

namespace {

std::vector<uint8_t> bytes_of(size_t n, uint8_t seed) {
    std::vector<uint8_t> v(n);
    std::iota(v.begin(), v.end(), seed);
    return v;
}

}  // namespace

TEST_CASE("a message is chunked with big-endian lengths and an end marker", "[framing]") {
    std::vector<uint8_t> out;
    append_chunked(out, bytes_of(3, 1));
    CHECK(out == std::vector<uint8_t>{0x00, 0x03, 1, 2, 3, 0x00, 0x00});

    out.clear();
    append_chunked(out, bytes_of(70000, 0));
    // 65535 + 4465 bytes: two chunks and the end marker.
    CHECK(out.size() == 70000 + 2 + 2 + 2);
    CHECK(out[0] == 0xFF);
    CHECK(out[1] == 0xFF);
    CHECK(out[2 + 65535] == 0x11);
    CHECK(out[3 + 65535] == 0x71);
}

TEST_CASE("messages are reassembled however the bytes arrive", "[framing]") {
    auto a = bytes_of(5000, 3);
    auto b = bytes_of(10, 9);
    std::vector<uint8_t> stream;
    append_chunked(stream, a, 1000);  // a multi-chunk message
    stream.insert(stream.end(), {0x00, 0x00, 0x00, 0x00});  // NOOPs between messages
    append_chunked(stream, b);

    SECTION("in one read") {
        ChunkDecoder d(1 << 20);
        std::vector<std::vector<uint8_t>> msgs;
        REQUIRE(d.feed(stream, msgs).ok());
        REQUIRE(msgs.size() == 2);
        CHECK(msgs[0] == a);
        CHECK(msgs[1] == b);
        CHECK(d.between_messages());
    }
    SECTION("byte by byte") {
        ChunkDecoder d(1 << 20);
        std::vector<std::vector<uint8_t>> msgs;
        for (uint8_t x : stream) {
            REQUIRE(d.feed(std::span<const uint8_t>(&x, 1), msgs).ok());
        }
        REQUIRE(msgs.size() == 2);
        CHECK(msgs[0] == a);
        CHECK(msgs[1] == b);
    }
    SECTION("split inside a chunk header") {
        ChunkDecoder d(1 << 20);
        std::vector<std::vector<uint8_t>> msgs;
        size_t cut = 1000 + 2 + 1;  // after the first chunk, in the second chunk's header
        REQUIRE(d.feed(std::span<const uint8_t>(stream.data(), cut), msgs).ok());
        CHECK(msgs.empty());
        CHECK_FALSE(d.between_messages());
        REQUIRE(d.feed(std::span<const uint8_t>(stream.data() + cut, stream.size() - cut), msgs).ok());
        CHECK(msgs.size() == 2);
    }
}

TEST_CASE("a NOOP alone yields no message", "[framing]") {
    ChunkDecoder d(100);
    std::vector<std::vector<uint8_t>> msgs;
    std::vector<uint8_t> noop{0x00, 0x00};
    REQUIRE(d.feed(noop, msgs).ok());
    CHECK(msgs.empty());
    CHECK(d.between_messages());
}

TEST_CASE("a message beyond the size limit is refused and the decoder stays failed", "[framing]") {
    ChunkDecoder d(100);
    std::vector<std::vector<uint8_t>> msgs;
    std::vector<uint8_t> stream;
    append_chunked(stream, bytes_of(60, 0));
    append_chunked(stream, bytes_of(60, 0), 30);  // fine: 60 bytes
    REQUIRE(d.feed(stream, msgs).ok());
    CHECK(msgs.size() == 2);

    std::vector<uint8_t> big;
    append_chunked(big, bytes_of(101, 0), 50);
    auto r = d.feed(big, msgs);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message.find("limit of 100 bytes") != std::string::npos);
    CHECK_FALSE(d.feed(stream, msgs).ok());
}

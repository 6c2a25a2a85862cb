// plugin/protocol/lz4_stream.hpp: LZ4 in streaming mode, one stream per
// direction of a connection (protocol 4 and later, frame flag kFlagLz4Stream).
//
// Why: at 1 000 tx/s most batches hold one or two ~200-byte transactions, and
// LZ4 on 200 bytes alone finds almost nothing to match. In streaming mode each
// block may copy from the last 64 KiB of everything sent before it on the same
// stream, which holds the labels, property names and values the previous
// transactions used, so a small batch compresses about as well as a large one.
//
// Both ends keep the same history: the encoder compresses each block as the
// continuation of the ones before (LZ4_compress_fast_continue over a window
// where the history sits right before the new block), the decoder
// decompresses each with the last 64 KiB of what it decoded before as the
// dictionary (LZ4_decompress_safe_usingDict, which never reads outside the
// dictionary or the block). Blocks must be decoded in the order they were
// encoded and none may be skipped: a stream lives exactly as long as its
// connection, and a new connection starts a new, empty stream on both sides.
// A block that fails to decode breaks the decoder for good (its history is
// no longer the encoder's), so every later block is refused too.
#pragma once

#include <ccdr/status.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

union LZ4_stream_u;

namespace ccdr::protocol {

// How far back a block may copy from: LZ4's largest match offset.
inline constexpr size_t kLz4StreamHistory = 64 * 1024;

class Lz4StreamEncoder {
public:
    Lz4StreamEncoder();
    ~Lz4StreamEncoder();
    Lz4StreamEncoder(const Lz4StreamEncoder&) = delete;
    Lz4StreamEncoder& operator=(const Lz4StreamEncoder&) = delete;

    // Compresses `input` (non-empty) as the stream's next block into `out`
    // (resized to the block's length; at most LZ4_compressBound of the
    // input, which may exceed the input for incompressible data: a stream
    // block is always sent compressed, so both histories stay the same).
    // CCDR_INTERNAL if LZ4 fails (it does not for a bound-sized output).
    Status compress(std::span<const uint8_t> input, std::vector<uint8_t>& out);
    // Forgets the history: the next block starts a new stream.
    void reset();
    uint64_t blocks() const { return blocks_; }

private:
    LZ4_stream_u* stream_;
    // [0, end_): the stream's data; its last kLz4StreamHistory bytes are the
    // history the next block may copy from, and the next block is copied in
    // right after them (LZ4's contiguous "prefix" mode, no re-hashing).
    std::vector<char> window_;
    size_t end_ = 0;
    uint64_t blocks_ = 0;
};

class Lz4StreamDecoder {
public:
    // Decompresses the stream's next block, `wire`, which must yield exactly
    // `length` bytes, into `out`. CCDR_CORRUPT when it does not (and from
    // then on for every block: see above).
    Status decompress(std::span<const uint8_t> wire, uint32_t length, std::vector<uint8_t>& out);
    // Forgets the history and a failure: the next block starts a new stream.
    void reset();
    // Refuses every later block: the frame around the last one failed a
    // check, so the history may no longer be the encoder's.
    void mark_broken() { broken_ = true; }
    bool broken() const { return broken_; }
    uint64_t blocks() const { return blocks_; }

private:
    void remember(std::span<const uint8_t> block);

    std::vector<uint8_t> history_;  // the last <= kLz4StreamHistory bytes decoded
    bool broken_ = false;
    uint64_t blocks_ = 0;
};

}  // namespace ccdr::protocol

// plugin/protocol/short_frame.hpp: the short frame header (protocol 6), for
// the blocks of a subscription's LZ4 stream.
//
// Why: at 1 000 tx/s a BATCH frame holds one or two transactions, about 85
// bytes once the stream has compressed them, and the 40-byte full header
// (frame.hpp) was a third of every such frame. A stream block needs less:
// its flags are implied (it is always the next block of the connection's
// LZ4 stream), its lengths are small, and one checksum of the block as it
// travels covers its bytes. Header: 15 to 23 bytes, then `wire_length`
// bytes of the LZ4 stream block. A BATCH in a short frame carries its
// payload packed (batch_packing.hpp).
//
//   size field
//      1 0x80 | message type (a full frame starts with 'C' (0x43) of its
//        magic, a TLS record with 0x14..0x17: the top bit tells the forms apart)
//   1..5 uncompressed payload length, LEB128 varint (shortest form), >= 1
//   1..5 payload length on the wire, LEB128 varint (shortest form), >= 1 and
//        at most LZ4's bound of the uncompressed length
//      4 the low 32 bits of xxHash3-64 of the header bytes before it
//      8 xxHash3-64 of the payload as it travels (the LZ4 stream block)
//
// What the full header has and this one has not, and why it is still safe:
// - No magic and no format version: a short frame is sent only on a session
//   that negotiated protocol 6 in HELLO (full frames), so the receiver
//   expects it; the marker bit and the header checksum refuse anything else.
// - A 32-bit header checksum instead of 64 bits: it guards four to ten bytes
//   (type and lengths) so that a corrupt length is refused before anything
//   is allocated or read; the lengths are also capped (FrameLimits) and
//   bounded by each other (LZ4's bound) as in a full header.
// - No checksum of the uncompressed payload: the block's wire checksum pins
//   every byte received, LZ4 stream decoding is a function of the block and
//   the history (the blocks before, each verified the same way), and the
//   block must decode to exactly the stated length. The transactions inside
//   are verified once more end to end by the hash chain (batch.hpp), which
//   the replica recomputes from the decoded records. Every single-bit flip
//   of a short frame is still detected (unit test).
#pragma once

#include "protocol/message_type.hpp"

#include <ccdr/status.hpp>

#include <cstddef>
#include <cstdint>
#include <span>

namespace ccdr::protocol {

inline constexpr uint8_t kShortFrameMark = 0x80;
inline constexpr size_t kShortHeaderMin = 1 + 1 + 1 + 4 + 8;
inline constexpr size_t kShortHeaderMax = 1 + 5 + 5 + 4 + 8;

// The layout of a short header: where its checksums sit, and the lengths.
struct ShortHeader {
    MessageType type = MessageType::kBatch;
    uint32_t uncompressed_length = 0;
    uint32_t wire_length = 0;
    uint64_t wire_hash = 0;
    size_t size = 0;  // header bytes
};

// Whether `first` (a frame's first byte) starts a short frame.
inline bool is_short_frame(uint8_t first) { return (first & kShortFrameMark) != 0; }

// The size of the short header starting `bytes` (which need hold only the
// two varints). CCDR_CORRUPT when a varint is longer than 5 bytes or does
// not end within `bytes`.
Result<size_t> short_header_size(std::span<const uint8_t> bytes);

// Checks and parses a short header: its varints, its checksum, then the
// type, and the lengths against `max_payload` and each other. `bytes` holds
// at least the header. CCDR_CORRUPT naming the field that failed.
Result<ShortHeader> decode_short_header(std::span<const uint8_t> bytes, uint32_t max_payload);

// Writes the header of a stream block of `uncompressed_length` bytes whose
// wire form is `wire` into `out` (at least kShortHeaderMax bytes); returns
// the header's size.
size_t encode_short_header(MessageType type, uint32_t uncompressed_length, std::span<const uint8_t> wire,
                           uint8_t* out);

}  // namespace ccdr::protocol

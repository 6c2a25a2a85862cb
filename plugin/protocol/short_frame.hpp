// plugin/protocol/short_frame.hpp: the short frame headers, for the blocks
// of a subscription's LZ4 stream: the short header of protocol 6 and the
// compact one of protocol 7.
//
// Why: at 1 000 tx/s a BATCH frame holds one or two transactions, about 85
// bytes once the stream has compressed them, and the 40-byte full header
// (frame.hpp) was a third of every such frame. A stream block needs less:
// its flags are implied (it is always the next block of the connection's
// LZ4 stream), its lengths are small, and one checksum of the block as it
// travels covers its bytes. Header: 11 to 23 bytes, then `wire_length`
// bytes of the LZ4 stream block. A BATCH in a short frame carries its
// payload packed (batch_packing.hpp).
//
//   size field
//      1 0x80 | message type (protocol 6), 0xC0 | message type (protocol 7,
//        compact); message types are below 64. A full frame starts with 'C'
//        (0x43) of its magic, a TLS record with 0x14..0x17: the top bit tells
//        the forms apart, the next one the two short forms
//   1..5 uncompressed payload length, LEB128 varint (shortest form), >= 1
//   1..5 payload length on the wire, LEB128 varint (shortest form), >= 1 and
//        at most LZ4's bound of the uncompressed length
//      4 the low 32 bits of xxHash3-64 of the header bytes before it
//    8|4 xxHash3-64 of the payload as it travels (the LZ4 stream block); in
//        the compact form its low 32 bits
//
// What the full header has and this one has not, and why it is still safe:
// - No magic and no format version: a short frame is sent only on a session
//   that negotiated protocol 6 (7 for the compact form) in HELLO (full
//   frames), so the receiver expects it; the marker bits and the header
//   checksum refuse anything else.
// - A 32-bit header checksum instead of 64 bits: it guards two to ten bytes
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
// - The compact form's block check is 32 bits: what a corrupt block could
//   carry past it (one chance in 2^32 for a random error, after TCP's and,
//   in production, TLS's own checks) is refused by the 64-bit hash chain
//   whenever it touches a transaction (its id, time, length, payload or
//   chain value); only a BATCH's position fields (the upstream's last tx
//   and commit time, the send time: lag figures, never applied) rest on the
//   32-bit check alone (docs/protocol.md §2 says why that is acceptable).
#pragma once

#include "protocol/message_type.hpp"

#include <ccdr/status.hpp>

#include <cstddef>
#include <cstdint>
#include <span>

namespace ccdr::protocol {

// How a stream block's frame is headed: the full 40-byte header
// (frame.hpp), the short one (protocol 6) or the compact one (protocol 7).
enum class StreamFrameForm : uint8_t { kFull, kShort, kCompact };

inline constexpr uint8_t kShortFrameMark = 0x80;
inline constexpr uint8_t kCompactFrameMark = 0xC0;  // both top bits
inline constexpr uint8_t kShortTypeMask = 0x3f;
inline constexpr size_t kShortHeaderMin = 1 + 1 + 1 + 4 + 4;  // the compact form
inline constexpr size_t kShortHeaderMax = 1 + 5 + 5 + 4 + 8;  // the form of protocol 6

// The layout of a short header: where its checksums sit, and the lengths.
struct ShortHeader {
    MessageType type = MessageType::kBatch;
    StreamFrameForm form = StreamFrameForm::kShort;  // kShort or kCompact
    uint32_t uncompressed_length = 0;
    uint32_t wire_length = 0;
    uint64_t wire_hash = 0;  // the compact form: 32 bits
    size_t size = 0;         // header bytes
};

// Whether `first` (a frame's first byte) starts a short frame of either form.
inline bool is_short_frame(uint8_t first) { return (first & kShortFrameMark) != 0; }
// Whether it starts a compact one (protocol 7).
inline bool is_compact_frame(uint8_t first) { return (first & kCompactFrameMark) == kCompactFrameMark; }
// The bytes of a short header's block check.
inline size_t block_check_size(StreamFrameForm form) { return form == StreamFrameForm::kCompact ? 4 : 8; }
// The block check a short header of `form` carries for xxHash3-64 `hash`.
inline uint64_t block_check(StreamFrameForm form, uint64_t hash) {
    return form == StreamFrameForm::kCompact ? hash & 0xffffffffu : hash;
}

// The size of the short header starting `bytes` (which need hold only the
// first byte and the two varints). CCDR_CORRUPT when a varint is longer than 5 bytes or does
// not end within `bytes`.
Result<size_t> short_header_size(std::span<const uint8_t> bytes);

// Checks and parses a short header: its varints, its checksum, then the
// type, and the lengths against `max_payload` and each other. `bytes` holds
// at least the header. CCDR_CORRUPT naming the field that failed.
Result<ShortHeader> decode_short_header(std::span<const uint8_t> bytes, uint32_t max_payload);

// Writes the header of `form` (kShort or kCompact) of a stream block of
// `uncompressed_length` bytes whose wire form is `wire` into `out` (at least
// kShortHeaderMax bytes); returns the header's size.
size_t encode_short_header(MessageType type, uint32_t uncompressed_length, std::span<const uint8_t> wire,
                           uint8_t* out, StreamFrameForm form = StreamFrameForm::kShort);

}  // namespace ccdr::protocol

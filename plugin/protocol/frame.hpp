// plugin/protocol/frame.hpp: the frame every replication message travels in.
//
// Frame header: 40 bytes, little-endian, then `wire_length` payload bytes.
//
//   offset size field
//        0    4 magic, the bytes "CCDR" (0x52444343 read as a little-endian u32)
//        4    2 frame format version (kFrameVersion, 1): the layout of this
//               header. It is not the session's protocol version, which HELLO
//               negotiates (kMinProtocolVersion..kMaxProtocolVersion): a
//               release of protocol 1 reads only frames of version 1, so every
//               release keeps writing 1 while this header stays as it is.
//        6    1 message type (MessageType)
//        7    1 flags: bit 0 = the payload is one LZ4 block (independent);
//               bit 1 = the payload is the next block of the connection's
//               LZ4 stream (lz4_stream.hpp; sent only on sessions of
//               protocol 4 and later); at most one of the two; other bits 0
//        8    4 uncompressed payload length
//       12    4 payload length on the wire (equal to the uncompressed length
//               when bits 0 and 1 are clear, smaller than it with bit 0, at
//               most LZ4's bound of it with bit 1: a stream block is sent
//               even when it did not shrink, so both ends' history agrees)
//       16    8 xxHash3-64 of the uncompressed payload
//       24    8 xxHash3-64 of the payload as it travels (equal to the field
//               above when the payload is not compressed)
//       32    8 xxHash3-64 of header bytes 0..31
//
// The header checksum is verified before any length is believed, so a
// corrupt length is refused before anything is allocated; both lengths are
// capped (FrameLimits). The wire checksum is verified before the LZ4 block is
// decompressed: a changed bit of a compressed block can decompress to the
// very same bytes (a match offset pointing at an identical run), and such a
// flip is still a transport fault worth counting. The payload checksum then
// covers the uncompressed bytes, catching any decompressor disagreement. A
// frame that fails any check is an error value; its payload is never
// returned. A stream block needs the receiving connection's stream decoder
// (decode_payload's `stream`); without one it is refused, never guessed at.
//
// On a session of protocol 6 the stream's blocks travel with a short header
// instead (short_frame.hpp: 15 to 23 bytes, one checksum of the block), on
// one of protocol 7 with the compact one (11 to 19 bytes, a 32-bit check of
// the block); every other frame keeps the full one. A frame's first byte tells the two
// forms apart, so a reader reads kFramePrefixSize bytes, asks
// frame_header_size how long the header is, and reads the rest of it.
#pragma once

#include "protocol/lz4_stream.hpp"
#include "protocol/message_type.hpp"
#include "protocol/short_frame.hpp"

#include <ccdr/status.hpp>

#include <array>
#include <cstdint>
#include <span>
#include <vector>

namespace ccdr::protocol {

inline constexpr size_t kFrameHeaderSize = 40;
inline constexpr uint32_t kFrameMagic = 0x52444343;  // "CCDR"
inline constexpr uint16_t kFrameVersion = 1;
// The session protocol versions this release speaks, negotiated in HELLO.
// Version 2 adds each side's plugin release version to HELLO and HELLO_OK
// (messages.hpp); version 3 adds HOLD_STATUS, HOLD_RELEASE and HOLD_RELEASED
// (the log held for replicas), sent only on sessions of version 3; every
// other message is the same in all three. Version 4 lets the upstream send
// BATCH frames as blocks of one LZ4 stream per subscription (kFlagLz4Stream);
// a session of version 3 or older gets independent LZ4 blocks as before.
// Version 5 adds TX_PART: a transaction larger than ccdr.batch.max_bytes
// travels in parts of at most that size (tx_part.hpp); a session of version 4
// or older gets it whole in one BATCH, as before. Version 6 sends the LZ4
// stream's blocks with the short header (short_frame.hpp); a session of
// version 5 or older gets them with the full header, as before. Version 7
// sends them with the compact short header (a 32-bit block check); a
// session of version 6 gets the short header of version 6, as before.
// Version 8 lets a fan-out puller say where its hold must start (ACK's
// trailing hold_tx: the lowest position its followers still need) and a
// member that turned to follow release its own hold (HOLD_RELEASE's
// trailing replica_server_id); a session of version 7 or older carries
// neither, and the upstream holds from each member's ACK, as before.
inline constexpr uint16_t kMinProtocolVersion = 1;
inline constexpr uint16_t kMaxProtocolVersion = 8;
inline constexpr uint16_t kLogHoldProtocol = 3;
inline constexpr uint16_t kStreamCompressionProtocol = 4;
inline constexpr uint16_t kTxPartProtocol = 5;
inline constexpr uint16_t kShortFrameProtocol = 6;
inline constexpr uint16_t kCompactFrameProtocol = 7;
inline constexpr uint16_t kHoldCoverProtocol = 8;
inline constexpr uint8_t kFlagLz4 = 0x01;
inline constexpr uint8_t kFlagLz4Stream = 0x02;
inline constexpr uint8_t kKnownFlags = kFlagLz4 | kFlagLz4Stream;
// The largest cap a configuration may choose (ccdr.frame.max_bytes is
// validated against it); lengths are u32 on the wire.
inline constexpr uint32_t kAbsoluteMaxPayload = 256u << 20;
// What a reader reads of a frame before it knows the frame's form: the
// shortest header of any form (the compact one, protocol 7).
inline constexpr size_t kFramePrefixSize = kShortHeaderMin;
static_assert(kFramePrefixSize <= kFrameHeaderSize);

// How the stream's blocks are headed on a session of `protocol`.
inline StreamFrameForm stream_frame_form(uint16_t protocol) {
    if (protocol >= kCompactFrameProtocol) {
        return StreamFrameForm::kCompact;
    }
    return protocol >= kShortFrameProtocol ? StreamFrameForm::kShort : StreamFrameForm::kFull;
}

struct FrameLimits {
    uint32_t max_payload = 64u << 20;  // ccdr.frame.max_bytes
};

struct FrameHeader {
    uint16_t version = kFrameVersion;
    MessageType type = MessageType::kRefused;
    uint8_t flags = 0;
    uint32_t uncompressed_length = 0;
    uint32_t wire_length = 0;
    uint64_t payload_hash = 0;  // not carried by a short frame (0)
    uint64_t wire_hash = 0;     // a compact frame's: 32 bits
    StreamFrameForm form = StreamFrameForm::kFull;  // a short form is always a stream block
    uint8_t header_size = kFrameHeaderSize;

    // A short header of either form (protocol 6 or 7).
    bool short_form() const { return form != StreamFrameForm::kFull; }
    // One independent LZ4 block.
    bool compressed() const { return (flags & kFlagLz4) != 0; }
    // The next block of the connection's LZ4 stream.
    bool streamed() const { return (flags & kFlagLz4Stream) != 0; }
};

// A frame ready to write: the header bytes, then `body` (the payload as it
// travels, compressed or not). Written as two buffers, never joined.
struct EncodedFrame {
    std::array<uint8_t, kFrameHeaderSize> header{};  // the first header_size bytes
    uint8_t header_size = kFrameHeaderSize;
    std::vector<uint8_t> body;
    // When the body is a compressed copy: the payload's own buffer, free for
    // the caller to reuse (BatchBuilder::recycle).
    std::vector<uint8_t> spare;
    MessageType type = MessageType::kRefused;
    uint32_t uncompressed_length = 0;

    std::span<const uint8_t> header_bytes() const { return {header.data(), header_size}; }
    size_t wire_size() const { return header_size + body.size(); }
};

// Frames `payload` (taken over: no copy when it is not compressed). With
// `compress`, the payload is LZ4-compressed when that makes it smaller, into
// `compress_buffer`'s memory when one is given (a previous frame's body).
// CCDR_INVALID_ARGUMENT when the payload exceeds limits.max_payload.
Result<EncodedFrame> encode_frame(MessageType type, std::vector<uint8_t> payload, bool compress,
                                  const FrameLimits& limits, std::vector<uint8_t> compress_buffer = {});
// The same, as the next block of `stream` (flag kFlagLz4Stream, or a short
// header with `form` kShort or kCompact) whenever the payload is not empty, whether or
// not that shrinks it; the receiver must decode every frame of that stream
// in order. An empty payload gets a full header and no stream block.
// CCDR_INVALID_ARGUMENT as above.
Result<EncodedFrame> encode_frame(MessageType type, std::vector<uint8_t> payload, Lz4StreamEncoder& stream,
                                  const FrameLimits& limits, std::vector<uint8_t> compress_buffer = {},
                                  StreamFrameForm form = StreamFrameForm::kFull);

// How long the header of the frame that starts with `prefix` is:
// kFrameHeaderSize for a full frame (nothing is checked yet), 11..23 bytes
// for a short one. CCDR_CORRUPT when a short header's lengths are not
// varints of at most 5 bytes.
Result<size_t> frame_header_size(std::span<const uint8_t, kFramePrefixSize> prefix);

// Checks and parses a header of any form; `bytes` holds at least the
// whole header (frame_header_size). A full header: magic, header checksum,
// version, type, flags, then the lengths against the limits; a short one:
// decode_short_header. CCDR_CORRUPT naming what failed.
Result<FrameHeader> decode_header(std::span<const uint8_t> bytes, const FrameLimits& limits);

// Decompresses (when flagged) and verifies the payload of a checked header.
// `wire` must be exactly header.wire_length bytes. CCDR_CORRUPT on any
// mismatch; the payload is returned only when its checksum matches. A stream
// block is decoded with `stream` (the connection's decoder for frames from
// that peer); CCDR_CORRUPT when there is none.
Result<std::vector<uint8_t>> decode_payload(const FrameHeader& header, std::span<const uint8_t> wire,
                                            Lz4StreamDecoder* stream = nullptr);
// The same, taking the received bytes over: an uncompressed payload is
// verified in place and returned without a copy.
Result<std::vector<uint8_t>> decode_payload(const FrameHeader& header, std::vector<uint8_t>&& wire,
                                            Lz4StreamDecoder* stream = nullptr);

struct DecodedFrame {
    FrameHeader header;
    std::vector<uint8_t> payload;  // uncompressed, verified
    size_t consumed = 0;           // header + wire payload bytes
};

// Decodes the first frame of `bytes` (which may hold more after it).
// CCDR_CORRUPT for a bad frame, and for one that is cut short (the message
// says how many bytes are missing).
Result<DecodedFrame> decode_frame(std::span<const uint8_t> bytes, const FrameLimits& limits,
                                  Lz4StreamDecoder* stream = nullptr);

}  // namespace ccdr::protocol

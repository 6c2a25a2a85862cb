#include "protocol/frame.hpp"

#include "protocol/wire.hpp"

#include <lz4.h>
#include <xxhash.h>

#include <string>

namespace ccdr::protocol {
namespace {

Status corrupt(std::string message) { return {CCDR_CORRUPT, std::move(message)}; }

}  // namespace

namespace {

Status too_large(MessageType type, size_t size, const FrameLimits& limits) {
    return Status(CCDR_INVALID_ARGUMENT, std::string(message_type_name(type)) + " payload of " +
                                             std::to_string(size) + " bytes exceeds the frame limit of " +
                                             std::to_string(limits.max_payload) + " bytes (ccdr.frame.max_bytes)");
}

// A frame of `type` for `payload`, before its body: refused when the
// payload is over the frame limit.
Result<EncodedFrame> begin_frame(MessageType type, const std::vector<uint8_t>& payload, const FrameLimits& limits) {
    if (payload.size() > limits.max_payload) {
        return too_large(type, payload.size(), limits);
    }
    EncodedFrame frame;
    frame.type = type;
    frame.uncompressed_length = static_cast<uint32_t>(payload.size());
    return frame;
}

// Fills in the header of a frame whose body is final.
void write_header(EncodedFrame& frame, uint8_t flags, uint64_t payload_hash) {
    uint8_t* h = frame.header.data();
    store_le(h + 0, kFrameMagic, 4);
    store_le(h + 4, kFrameVersion, 2);
    h[6] = static_cast<uint8_t>(frame.type);
    h[7] = flags;
    store_le(h + 8, frame.uncompressed_length, 4);
    store_le(h + 12, frame.body.size(), 4);
    store_le(h + 16, payload_hash, 8);
    const uint64_t wire_hash = flags != 0 ? XXH3_64bits(frame.body.data(), frame.body.size()) : payload_hash;
    store_le(h + 24, wire_hash, 8);
    store_le(h + 32, XXH3_64bits(h, 32), 8);
}

}  // namespace

Result<EncodedFrame> encode_frame(MessageType type, std::vector<uint8_t> payload, bool compress,
                                  const FrameLimits& limits, std::vector<uint8_t> compress_buffer) {
    auto started = begin_frame(type, payload, limits);
    if (!started) {
        return started.status();
    }
    EncodedFrame frame = std::move(*started);
    const uint64_t payload_hash = XXH3_64bits(payload.data(), payload.size());
    uint8_t flags = 0;
    if (compress && !payload.empty()) {
        const int bound = LZ4_compressBound(static_cast<int>(payload.size()));
        std::vector<uint8_t> packed = std::move(compress_buffer);
        packed.resize(static_cast<size_t>(bound));
        const int n = LZ4_compress_default(reinterpret_cast<const char*>(payload.data()),
                                           reinterpret_cast<char*>(packed.data()), static_cast<int>(payload.size()),
                                           bound);
        if (n > 0 && static_cast<size_t>(n) < payload.size()) {
            packed.resize(static_cast<size_t>(n));
            frame.body = std::move(packed);
            frame.spare = std::move(payload);
            flags |= kFlagLz4;
        }
    }
    if ((flags & kFlagLz4) == 0) {
        frame.body = std::move(payload);
    }
    write_header(frame, flags, payload_hash);
    return frame;
}

Result<EncodedFrame> encode_frame(MessageType type, std::vector<uint8_t> payload, Lz4StreamEncoder& stream,
                                  const FrameLimits& limits, std::vector<uint8_t> compress_buffer,
                                  StreamFrameForm form) {
    auto started = begin_frame(type, payload, limits);
    if (!started) {
        return started.status();
    }
    EncodedFrame frame = std::move(*started);
    if (payload.empty()) {
        frame.body = std::move(payload);  // nothing to add to the stream
        write_header(frame, 0, XXH3_64bits(frame.body.data(), 0));
        return frame;
    }
    // A short header carries no checksum of the uncompressed payload, so
    // its frame is not hashed twice (short_frame.hpp says why that is safe).
    const uint64_t payload_hash = form == StreamFrameForm::kFull ? XXH3_64bits(payload.data(), payload.size()) : 0;
    frame.body = std::move(compress_buffer);
    if (Status s = stream.compress(payload, frame.body); !s) {
        return s;
    }
    frame.spare = std::move(payload);
    if (form != StreamFrameForm::kFull) {
        frame.header_size = static_cast<uint8_t>(
            encode_short_header(type, frame.uncompressed_length, frame.body, frame.header.data(), form));
    } else {
        write_header(frame, kFlagLz4Stream, payload_hash);
    }
    return frame;
}

Result<size_t> frame_header_size(std::span<const uint8_t, kFramePrefixSize> prefix) {
    if (!is_short_frame(prefix[0])) {
        return kFrameHeaderSize;
    }
    return short_header_size(prefix);
}

namespace {

Result<FrameHeader> decode_short(std::span<const uint8_t> bytes, const FrameLimits& limits) {
    auto parsed = decode_short_header(bytes, limits.max_payload);
    if (!parsed) {
        return parsed.status();
    }
    FrameHeader out;
    out.type = parsed->type;
    out.flags = kFlagLz4Stream;
    out.uncompressed_length = parsed->uncompressed_length;
    out.wire_length = parsed->wire_length;
    out.wire_hash = parsed->wire_hash;
    out.form = parsed->form;
    out.header_size = static_cast<uint8_t>(parsed->size);
    return out;
}

}  // namespace

Result<FrameHeader> decode_header(std::span<const uint8_t> bytes, const FrameLimits& limits) {
    if (!bytes.empty() && is_short_frame(bytes[0])) {
        return decode_short(bytes, limits);
    }
    if (bytes.size() < kFrameHeaderSize) {
        return corrupt("truncated frame: " + std::to_string(bytes.size()) + " bytes, a header needs " +
                       std::to_string(kFrameHeaderSize));
    }
    const uint8_t* h = bytes.data();
    const uint64_t magic = load_le(h, 4);
    if (magic != kFrameMagic) {
        if (h[0] == 0x16 && h[1] == 0x03) {
            return corrupt("not a ccdr frame: the peer speaks TLS (first bytes 16 03) on a plaintext connection");
        }
        return corrupt("not a ccdr frame: magic " + hex64(magic) + ", expected " + hex64(kFrameMagic));
    }
    const uint64_t stated = load_le(h + 32, 8);
    const uint64_t computed = XXH3_64bits(h, 32);
    if (stated != computed) {
        return corrupt("frame header checksum mismatch (computed " + hex64(computed) + ", header says " + hex64(stated) +
                       ")");
    }
    FrameHeader out;
    out.version = static_cast<uint16_t>(load_le(h + 4, 2));
    if (out.version != kFrameVersion) {
        return corrupt("frame of format version " + std::to_string(out.version) + "; this server reads version " +
                       std::to_string(kFrameVersion));
    }
    if (!is_known_message_type(h[6])) {
        return corrupt("frame of unknown message type " + std::to_string(h[6]));
    }
    out.type = static_cast<MessageType>(h[6]);
    out.flags = h[7];
    if ((out.flags & ~kKnownFlags) != 0) {
        return corrupt("frame with unknown flags " + std::to_string(out.flags));
    }
    out.uncompressed_length = static_cast<uint32_t>(load_le(h + 8, 4));
    out.wire_length = static_cast<uint32_t>(load_le(h + 12, 4));
    out.payload_hash = load_le(h + 16, 8);
    out.wire_hash = load_le(h + 24, 8);
    const std::string what(message_type_name(out.type));
    if (out.uncompressed_length > limits.max_payload) {
        return corrupt(what + " frame of " + std::to_string(out.uncompressed_length) +
                       " bytes exceeds the limit of " + std::to_string(limits.max_payload) +
                       " bytes (ccdr.frame.max_bytes)");
    }
    if (out.compressed() && out.streamed()) {
        return corrupt(what + " frame flagged both as an LZ4 block and as an LZ4 stream block");
    }
    if (out.streamed()) {
        const auto bound = static_cast<uint32_t>(LZ4_compressBound(static_cast<int>(out.uncompressed_length)));
        if (out.uncompressed_length == 0 || out.wire_length == 0 || out.wire_length > bound) {
            return corrupt(what + " frame: LZ4 stream block of " + std::to_string(out.wire_length) +
                           " bytes is impossible for " + std::to_string(out.uncompressed_length) +
                           " uncompressed bytes");
        }
    } else if (out.compressed()) {
        const auto bound = static_cast<uint32_t>(LZ4_compressBound(static_cast<int>(out.uncompressed_length)));
        if (out.uncompressed_length == 0 || out.wire_length >= out.uncompressed_length || out.wire_length > bound) {
            return corrupt(what + " frame: compressed length " + std::to_string(out.wire_length) +
                           " is impossible for " + std::to_string(out.uncompressed_length) + " uncompressed bytes");
        }
    } else if (out.wire_length != out.uncompressed_length || out.wire_hash != out.payload_hash) {
        return corrupt(what + " frame: an uncompressed payload must have equal lengths and checksums (lengths " +
                       std::to_string(out.wire_length) + " and " + std::to_string(out.uncompressed_length) + ")");
    }
    return out;
}

Result<std::vector<uint8_t>> decode_payload(const FrameHeader& header, std::span<const uint8_t> wire,
                                            Lz4StreamDecoder* stream) {
    const std::string what(message_type_name(header.type));
    if (wire.size() != header.wire_length) {
        return corrupt(what + " frame: " + std::to_string(wire.size()) + " payload bytes, header says " +
                       std::to_string(header.wire_length));
    }
    std::vector<uint8_t> payload;
    if (header.streamed()) {
        if (stream == nullptr) {
            return corrupt(what + " frame is an LZ4 stream block, and no LZ4 stream was expected from this peer");
        }
        const uint64_t wire_computed = block_check(header.form, XXH3_64bits(wire.data(), wire.size()));
        if (wire_computed != header.wire_hash) {
            stream->mark_broken();  // a block of the stream is lost: the next would decode wrong
            return corrupt(what + " frame wire checksum mismatch over " + std::to_string(wire.size()) +
                           " bytes of an LZ4 stream block (computed " + hex64(wire_computed) + ", header says " +
                           hex64(header.wire_hash) + ")");
        }
        if (Status s = stream->decompress(wire, header.uncompressed_length, payload); !s) {
            return corrupt(what + " frame: " + s.message());
        }
    } else if (header.compressed()) {
        const uint64_t wire_computed = XXH3_64bits(wire.data(), wire.size());
        if (wire_computed != header.wire_hash) {
            return corrupt(what + " frame wire checksum mismatch over " + std::to_string(wire.size()) +
                           " compressed bytes (computed " + hex64(wire_computed) + ", header says " +
                           hex64(header.wire_hash) + ")");
        }
        payload.resize(header.uncompressed_length);
        const int n = LZ4_decompress_safe(reinterpret_cast<const char*>(wire.data()),
                                          reinterpret_cast<char*>(payload.data()), static_cast<int>(wire.size()),
                                          static_cast<int>(payload.size()));
        if (n < 0 || static_cast<uint32_t>(n) != header.uncompressed_length) {
            return corrupt(what + " frame: LZ4 block of " + std::to_string(wire.size()) +
                           " bytes does not decompress to " + std::to_string(header.uncompressed_length) + " bytes");
        }
    } else {
        payload.assign(wire.begin(), wire.end());
    }
    if (header.short_form()) {
        return payload;  // the wire checksum and the stream's exact length verified it
    }
    const uint64_t computed = XXH3_64bits(payload.data(), payload.size());
    if (computed != header.payload_hash) {
        if (header.streamed()) {
            stream->mark_broken();  // its history now holds bytes the sender never sent
        }
        return corrupt(what + " frame payload checksum mismatch over " + std::to_string(payload.size()) +
                       " bytes (computed " + hex64(computed) + ", header says " + hex64(header.payload_hash) + ")");
    }
    return payload;
}

Result<std::vector<uint8_t>> decode_payload(const FrameHeader& header, std::vector<uint8_t>&& wire,
                                            Lz4StreamDecoder* stream) {
    if (header.compressed() || header.streamed()) {
        return decode_payload(header, std::span<const uint8_t>(wire), stream);
    }
    const std::string what(message_type_name(header.type));
    if (wire.size() != header.wire_length) {
        return corrupt(what + " frame: " + std::to_string(wire.size()) + " payload bytes, header says " +
                       std::to_string(header.wire_length));
    }
    const uint64_t computed = XXH3_64bits(wire.data(), wire.size());
    if (computed != header.payload_hash) {
        return corrupt(what + " frame payload checksum mismatch over " + std::to_string(wire.size()) +
                       " bytes (computed " + hex64(computed) + ", header says " + hex64(header.payload_hash) + ")");
    }
    return std::move(wire);
}

Result<DecodedFrame> decode_frame(std::span<const uint8_t> bytes, const FrameLimits& limits,
                                  Lz4StreamDecoder* stream) {
    if (bytes.size() < kFramePrefixSize) {
        return corrupt("truncated frame: " + std::to_string(bytes.size()) + " bytes, a header needs at least " +
                       std::to_string(kFramePrefixSize));
    }
    auto header_size = frame_header_size(bytes.first<kFramePrefixSize>());
    if (!header_size) {
        return header_size.status();
    }
    if (bytes.size() < *header_size) {
        return corrupt("truncated frame: " + std::to_string(bytes.size()) + " bytes, its header needs " +
                       std::to_string(*header_size));
    }
    auto header = decode_header(bytes.first(*header_size), limits);
    if (!header) {
        return header.status();
    }
    const size_t total = *header_size + header->wire_length;
    if (bytes.size() < total) {
        return corrupt("truncated frame: " + std::string(message_type_name(header->type)) + " needs " +
                       std::to_string(total) + " bytes, " + std::to_string(bytes.size()) + " present");
    }
    auto payload = decode_payload(*header, bytes.subspan(*header_size, header->wire_length), stream);
    if (!payload) {
        return payload.status();
    }
    return DecodedFrame{*header, std::move(payload.value()), total};
}

}  // namespace ccdr::protocol

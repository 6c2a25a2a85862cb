#include "protocol/short_frame.hpp"

#include "protocol/wire.hpp"

#include <lz4.h>
#include <xxhash.h>

#include <string>

namespace ccdr::protocol {
namespace {

constexpr size_t kMaxVarint = 5;  // 35 bits hold any u32

Status corrupt(std::string message) { return {CCDR_CORRUPT, std::move(message)}; }

// The length of the LEB128 varint at `bytes[at]`: 0 when it does not end
// within `bytes`, kMaxVarint + 1 when it is longer than a u32 needs.
size_t varint_length(std::span<const uint8_t> bytes, size_t at) {
    for (size_t i = 0; i <= kMaxVarint; ++i) {
        if (at + i >= bytes.size()) {
            return 0;
        }
        if ((bytes[at + i] & 0x80) == 0) {
            return i + 1 <= kMaxVarint ? i + 1 : kMaxVarint + 1;
        }
    }
    return kMaxVarint + 1;
}

// The value of a varint of `n` bytes (varint_length), or an error naming
// `field` when it is not the shortest form or does not fit a u32.
Result<uint32_t> varint_value(const uint8_t* p, size_t n, const char* field) {
    uint64_t v = 0;
    for (size_t i = 0; i < n; ++i) {
        v |= static_cast<uint64_t>(p[i] & 0x7f) << (7 * i);
    }
    if (n > 1 && p[n - 1] == 0) {
        return corrupt(std::string("short frame header: ") + field + " is not in its shortest varint form");
    }
    if (v > UINT32_MAX) {
        return corrupt(std::string("short frame header: ") + field + " of " + std::to_string(v) +
                       " does not fit 32 bits");
    }
    return static_cast<uint32_t>(v);
}

size_t put_varint(uint8_t* out, uint32_t v) {
    size_t n = 0;
    while (v >= 0x80) {
        out[n++] = static_cast<uint8_t>(v | 0x80);
        v >>= 7;
    }
    out[n++] = static_cast<uint8_t>(v);
    return n;
}

uint32_t header_check(const uint8_t* h, size_t n) { return static_cast<uint32_t>(XXH3_64bits(h, n)); }

StreamFrameForm form_of(uint8_t first) {
    return is_compact_frame(first) ? StreamFrameForm::kCompact : StreamFrameForm::kShort;
}

}  // namespace

Result<size_t> short_header_size(std::span<const uint8_t> bytes) {
    const size_t first = varint_length(bytes, 1);
    const size_t second = first == 0 || first > kMaxVarint ? 0 : varint_length(bytes, 1 + first);
    if (first > kMaxVarint || second > kMaxVarint) {
        return corrupt("short frame header: a length varint is longer than " + std::to_string(kMaxVarint) +
                       " bytes");
    }
    if (first == 0 || second == 0) {
        return corrupt("truncated short frame header: its lengths do not end within " +
                       std::to_string(bytes.size()) + " bytes");
    }
    return 1 + first + second + 4 + block_check_size(form_of(bytes[0]));
}

Result<ShortHeader> decode_short_header(std::span<const uint8_t> bytes, uint32_t max_payload) {
    auto size = short_header_size(bytes);
    if (!size) {
        return size.status();
    }
    if (bytes.size() < *size) {
        return corrupt("truncated short frame header: " + std::to_string(bytes.size()) + " bytes, it needs " +
                       std::to_string(*size));
    }
    const uint8_t* h = bytes.data();
    const StreamFrameForm form = form_of(h[0]);
    const size_t check_size = block_check_size(form);
    const size_t checked = *size - 4 - check_size;  // marker and lengths
    const uint32_t stated = static_cast<uint32_t>(load_le(h + checked, 4));
    const uint32_t computed = header_check(h, checked);
    if (stated != computed) {
        return corrupt("short frame header checksum mismatch (computed " + hex64(computed) + ", header says " +
                       hex64(stated) + ")");
    }
    // Protocol 6 wrote 0x80 | type and read the seven bits below the mark:
    // a byte of 0xC0 or more was an unknown type there; it is the compact
    // form's mark here.
    const uint8_t type = h[0] & (form == StreamFrameForm::kCompact ? kShortTypeMask : 0x7f);
    if (!is_known_message_type(type)) {
        return corrupt("short frame of unknown message type " + std::to_string(type));
    }
    ShortHeader out;
    out.type = static_cast<MessageType>(type);
    out.form = form;
    out.size = *size;
    const size_t first = varint_length(bytes, 1);
    auto uncompressed = varint_value(h + 1, first, "uncompressed_length");
    if (!uncompressed) {
        return uncompressed.status();
    }
    auto wire = varint_value(h + 1 + first, checked - 1 - first, "wire_length");
    if (!wire) {
        return wire.status();
    }
    out.uncompressed_length = *uncompressed;
    out.wire_length = *wire;
    out.wire_hash = load_le(h + checked + 4, check_size);
    const std::string what(message_type_name(out.type));
    if (out.uncompressed_length == 0 || out.uncompressed_length > max_payload) {
        return corrupt(what + " short frame: uncompressed_length " + std::to_string(out.uncompressed_length) +
                       " is outside 1.." + std::to_string(max_payload) + " bytes (ccdr.frame.max_bytes)");
    }
    const auto bound = static_cast<uint32_t>(LZ4_compressBound(static_cast<int>(out.uncompressed_length)));
    if (out.wire_length == 0 || out.wire_length > bound) {
        return corrupt(what + " short frame: wire_length " + std::to_string(out.wire_length) +
                       " is impossible for an LZ4 stream block of " + std::to_string(out.uncompressed_length) +
                       " bytes");
    }
    return out;
}

size_t encode_short_header(MessageType type, uint32_t uncompressed_length, std::span<const uint8_t> wire,
                           uint8_t* out, StreamFrameForm form) {
    static_assert(kLastMessageType <= kShortTypeMask, "message types must fit below the short frames' marks");
    size_t n = 0;
    const uint8_t mark = form == StreamFrameForm::kCompact ? kCompactFrameMark : kShortFrameMark;
    out[n++] = static_cast<uint8_t>(mark | static_cast<uint8_t>(type));
    n += put_varint(out + n, uncompressed_length);
    n += put_varint(out + n, static_cast<uint32_t>(wire.size()));
    store_le(out + n, header_check(out, n), 4);
    n += 4;
    const size_t check_size = block_check_size(form);
    store_le(out + n, block_check(form, XXH3_64bits(wire.data(), wire.size())), check_size);
    return n + check_size;
}

}  // namespace ccdr::protocol

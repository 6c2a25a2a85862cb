// libFuzzer target: the frame decoder on arbitrary bytes (a stream of
// frames, as a connection delivers them), with the connection's LZ4 stream
// decoder, so consecutive stream blocks (protocol 4) are decoded against the
// history of the ones before. It must never crash, never read out of bounds,
// never allocate more than the limit, and whatever it accepts must carry
// exactly the announced payload and survive a re-encode: independent blocks
// as independent blocks, stream blocks through a second stream that is
// re-encoded and decoded alongside, each in its header's form (full, short:
// protocol 6, or compact: protocol 7).
#include "protocol/frame.hpp"
#include "protocol/lz4_stream.hpp"
#include "protocol/short_frame.hpp"
#include "protocol/wire.hpp"

#include <xxhash.h>

#include <cstdint>
#include <cstdlib>
#include <span>

using namespace ccdr::protocol;

namespace {

// A short header's checks after its checksum (varint forms, type, lengths),
// which random mutations rarely get past: the input's header again with its
// checksum made right. Whatever passes must be within the limits.
void check_short_header_fields(const uint8_t* data, size_t size, const FrameLimits& limits) {
    if (size == 0 || !is_short_frame(data[0])) {
        return;
    }
    auto n = short_header_size(std::span<const uint8_t>(data, size));
    if (!n || *n > size) {
        return;
    }
    std::vector<uint8_t> h(data, data + *n);
    const size_t checked = *n - 4 - (is_compact_frame(data[0]) ? 4 : 8);  // marker and lengths
    store_le(h.data() + checked, static_cast<uint32_t>(XXH3_64bits(h.data(), checked)), 4);
    auto parsed = decode_short_header(h, limits.max_payload);
    if (parsed && (parsed->size != *n || parsed->uncompressed_length == 0 ||
                   parsed->uncompressed_length > limits.max_payload || parsed->wire_length == 0)) {
        std::abort();
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const FrameLimits limits{1u << 20};
    check_short_header_fields(data, size, limits);
    Lz4StreamDecoder stream;
    Lz4StreamEncoder again_stream;
    Lz4StreamDecoder back_stream;
    std::span<const uint8_t> rest(data, size);
    while (rest.size() >= kFramePrefixSize) {
        auto frame = decode_frame(rest, limits, &stream);
        if (!frame) {
            break;
        }
        if (frame->payload.size() != frame->header.uncompressed_length || frame->consumed > rest.size() ||
            frame->payload.size() > limits.max_payload) {
            std::abort();
        }
        if (frame->header.short_form() != (frame->header.header_size < kFrameHeaderSize) ||
            (frame->header.short_form() && !frame->header.streamed())) {
            std::abort();
        }
        const auto form = frame->header.form;
        auto again = frame->header.streamed()
                         ? encode_frame(frame->header.type, frame->payload, again_stream, limits, {}, form)
                         : encode_frame(frame->header.type, frame->payload, frame->header.compressed(), limits);
        if (!again) {
            std::abort();
        }
        std::vector<uint8_t> wire(again->header.begin(), again->header.begin() + again->header_size);
        wire.insert(wire.end(), again->body.begin(), again->body.end());
        auto back = decode_frame(wire, limits, &back_stream);
        if (!back || back->payload != frame->payload || back->header.type != frame->header.type ||
            back->header.form != frame->header.form) {
            std::abort();
        }
        rest = rest.subspan(frame->consumed);
    }
    return 0;
}

// libFuzzer target: the frame decoder on arbitrary bytes (a stream of
// frames, as a connection delivers them). It must never crash, never
// allocate more than the limit, and whatever it accepts must carry exactly
// the announced payload and survive a re-encode.
#include "protocol/frame.hpp"

#include <cstdint>
#include <cstdlib>
#include <span>

using namespace ccdr::protocol;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const FrameLimits limits{1u << 20};
    std::span<const uint8_t> rest(data, size);
    while (rest.size() >= kFrameHeaderSize) {
        auto frame = decode_frame(rest, limits);
        if (!frame) {
            break;
        }
        if (frame->payload.size() != frame->header.uncompressed_length || frame->consumed > rest.size() ||
            frame->payload.size() > limits.max_payload) {
            std::abort();
        }
        auto again = encode_frame(frame->header.type, frame->payload, frame->header.compressed(), limits);
        if (!again) {
            std::abort();
        }
        std::vector<uint8_t> wire(again->header.begin(), again->header.end());
        wire.insert(wire.end(), again->body.begin(), again->body.end());
        auto back = decode_frame(wire, limits);
        if (!back || back->payload != frame->payload || back->header.type != frame->header.type) {
            std::abort();
        }
        rest = rest.subspan(frame->consumed);
    }
    return 0;
}

// libFuzzer target: the frame decoder on arbitrary bytes (a stream of
// frames, as a connection delivers them), with the connection's LZ4 stream
// decoder, so consecutive stream blocks (protocol 4) are decoded against the
// history of the ones before. It must never crash, never read out of bounds,
// never allocate more than the limit, and whatever it accepts must carry
// exactly the announced payload and survive a re-encode: independent blocks
// as independent blocks, stream blocks through a second stream that is
// re-encoded and decoded alongside.
#include "protocol/frame.hpp"
#include "protocol/lz4_stream.hpp"

#include <cstdint>
#include <cstdlib>
#include <span>

using namespace ccdr::protocol;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const FrameLimits limits{1u << 20};
    Lz4StreamDecoder stream;
    Lz4StreamEncoder again_stream;
    Lz4StreamDecoder back_stream;
    std::span<const uint8_t> rest(data, size);
    while (rest.size() >= kFrameHeaderSize) {
        auto frame = decode_frame(rest, limits, &stream);
        if (!frame) {
            break;
        }
        if (frame->payload.size() != frame->header.uncompressed_length || frame->consumed > rest.size() ||
            frame->payload.size() > limits.max_payload) {
            std::abort();
        }
        auto again = frame->header.streamed()
                         ? encode_frame(frame->header.type, frame->payload, again_stream, limits)
                         : encode_frame(frame->header.type, frame->payload, frame->header.compressed(), limits);
        if (!again) {
            std::abort();
        }
        std::vector<uint8_t> wire(again->header.begin(), again->header.end());
        wire.insert(wire.end(), again->body.begin(), again->body.end());
        auto back = decode_frame(wire, limits, &back_stream);
        if (!back || back->payload != frame->payload || back->header.type != frame->header.type) {
            std::abort();
        }
        rest = rest.subspan(frame->consumed);
    }
    return 0;
}

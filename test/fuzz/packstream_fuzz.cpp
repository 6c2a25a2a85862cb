// libFuzzer target: the PackStream decoder. Any input either decodes or is
// refused with an error; what decodes re-encodes to bytes that decode to
// the same encoding again (so the decoder accepts everything the encoder
// writes, and nothing is lost on the way).
#include "bolt/message.hpp"
#include "bolt/packstream.hpp"

#include <cstdint>
#include <cstdlib>
#include <span>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace refhost::bolt;
    std::span<const uint8_t> bytes(data, size);
    for (bool graph : {true, false}) {
        DecodeLimits limits;
        limits.allow_graph_types = graph;
        auto v = decode_value(bytes, limits);
        if (v.ok()) {
            auto once = encode_value(v.value());
            auto again = decode_value(once);
            if (!again.ok() || encode_value(again.value()) != once) {
                std::abort();
            }
        } else if (v.error().code != "Neo.ClientError.Request.Invalid" || v.error().message.empty()) {
            std::abort();
        }
    }
    auto m = decode_message(bytes);
    if (m.ok() && decode_message(encode_message(m->tag, m->fields)).ok() == false) {
        std::abort();
    }
    return 0;
}

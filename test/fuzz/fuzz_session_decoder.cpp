// libFuzzer target: the session message decoder. The first byte picks the
// message type, the rest is the payload. Accepted messages must re-encode to
// the very same bytes (the encodings are canonical); accepted batches must
// keep every transaction inside the payload, and chain verification of any
// batch must fail cleanly or pass, never crash. A BATCH payload is also
// read as a packed batch (protocol 6): whatever unpacks must parse as a
// batch and pack back to the very same bytes.
#include "protocol/batch.hpp"
#include "protocol/batch_packing.hpp"
#include "protocol/messages.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <type_traits>

using namespace ccdr::protocol;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size == 0 || !is_known_message_type(data[0])) {
        return 0;
    }
    const auto type = static_cast<MessageType>(data[0]);
    std::span<const uint8_t> payload(data + 1, size - 1);
    if (type == MessageType::kBatch) {
        BatchUnpacker unpacker;
        std::vector<uint8_t> unpacked;
        if (unpacker.unpack(payload, unpacked)) {
            if (!decode_batch(unpacked)) {
                std::abort();
            }
            BatchPacker packer;
            std::vector<uint8_t> again;
            if (!packer.pack(unpacked, again) || !std::equal(again.begin(), again.end(), payload.begin(), payload.end())) {
                std::abort();
            }
        }
    }
    auto message = decode_message(type, payload);
    if (!message) {
        return 0;
    }
    std::visit(
        [&](const auto& m) {
            using M = std::decay_t<decltype(m)>;
            if constexpr (std::is_same_v<M, DecodedBatch>) {
                const uint8_t* begin = m.buffer.data();
                const uint8_t* end = begin + m.buffer.size();
                for (const auto& tx : m.txs) {
                    if (tx.payload.len != 0 && (tx.payload.data < begin || tx.payload.data + tx.payload.len > end)) {
                        std::abort();
                    }
                }
                if (m.txs.empty() || m.txs.size() != m.chains.size()) {
                    std::abort();
                }
                ChainVerifier verifier(chain_seed("fuzz", 1, m.first_tx()), m.first_tx());
                (void)verifier.verify(m);
            } else if constexpr (std::is_same_v<M, TxPart>) {
                // The part's bytes lie inside its buffer, it encodes back to
                // the same payload, and the receiving end takes it or says why.
                const uint8_t* begin = m.buffer.data();
                if (m.bytes.data() < begin || m.bytes.data() + m.bytes.size() > begin + m.buffer.size()) {
                    std::abort();
                }
                auto bytes = encode_tx_part(m.header, m.bytes, m.chain);
                if (bytes.size() != payload.size() || !std::equal(bytes.begin(), bytes.end(), payload.begin())) {
                    std::abort();
                }
                ChainVerifier verifier(chain_seed("fuzz", 1, m.header.tx_id), m.header.tx_id);
                TxPartVerifier parts;
                (void)parts.accept(m, verifier);
            } else {
                auto bytes = encode_message(m);
                if (bytes.size() != payload.size() || !std::equal(bytes.begin(), bytes.end(), payload.begin())) {
                    std::abort();
                }
            }
        },
        *message);
    return 0;
}

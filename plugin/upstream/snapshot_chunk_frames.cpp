#include "upstream/snapshot_chunk_frames.hpp"

#include "protocol/messages.hpp"

#include <xxhash.h>

#include <cstring>

namespace ccdr::plugin {

Result<protocol::EncodedFrame> frame_snapshot_chunk(const SnapshotSpools& spools, const SnapshotSpool& spool,
                                                    uint64_t offset, uint64_t length, bool compress,
                                                    const protocol::FrameLimits& limits,
                                                    std::vector<uint8_t> buffer) {
    // SNAPSHOT_CHUNK is its fixed fields, then the data to the payload's end
    // (messages.hpp): the fields are written once the data's hash is known.
    const size_t fields = protocol::encode_message(protocol::SnapshotChunk{}).size();
    std::vector<uint8_t> payload = std::move(buffer);
    payload.resize(fields + static_cast<size_t>(length));
    const std::span<uint8_t> data(payload.data() + fields, static_cast<size_t>(length));
    auto n = spools.read(spool, offset, data);
    if (!n) {
        return n.status();
    }
    if (*n != data.size()) {
        return Status(CCDR_IO_ERROR, "the snapshot spool " + spool.path + " is shorter than announced");
    }
    protocol::SnapshotChunk message{spool.id, offset, XXH3_64bits(data.data(), data.size()), {}};
    const std::vector<uint8_t> head = protocol::encode_message(message);
    std::memcpy(payload.data(), head.data(), fields);
    return protocol::encode_frame(protocol::MessageType::kSnapshotChunk, std::move(payload), compress, limits);
}

}  // namespace ccdr::plugin

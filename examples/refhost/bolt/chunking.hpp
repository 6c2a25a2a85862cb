// examples/refhost/bolt/chunking.hpp: Bolt message framing. A message is sent
// as chunks, each `u16 big-endian length` then that many bytes, and ends with
// an empty chunk `00 00`. An empty chunk between messages is a NOOP (keep
// alive) and is skipped.
#pragma once

#include "common/error.hpp"

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace refhost::bolt {

inline constexpr size_t kMaxChunkSize = 0xFFFF;

// Appends `message` to `out`, split into chunks of at most `max_chunk` bytes,
// followed by the end marker.
void append_chunked(std::vector<uint8_t>& out, std::span<const uint8_t> message, size_t max_chunk = kMaxChunkSize);

// Reassembles messages from a byte stream delivered in arbitrary pieces.
class ChunkDecoder {
public:
    explicit ChunkDecoder(size_t max_message_size) : max_message_size_(max_message_size) {}

    // Consumes all of `bytes`; every message completed by them is appended to
    // `messages`. A message growing beyond the limit is an error, after which
    // the decoder must not be fed again (the stream cannot be resynchronised).
    Done feed(std::span<const uint8_t> bytes, std::vector<std::vector<uint8_t>>& messages);

    // True between messages (no partial chunk header or message pending).
    bool between_messages() const { return header_bytes_ == 0 && chunk_left_ == 0 && current_.empty(); }
    size_t buffered() const { return current_.size(); }

private:
    size_t max_message_size_;
    std::vector<uint8_t> current_;  // the message being reassembled
    uint8_t header_[2] = {0, 0};
    size_t header_bytes_ = 0;  // bytes of the next chunk header seen so far
    size_t chunk_left_ = 0;    // bytes of the current chunk still to come
    bool failed_ = false;
};

}  // namespace refhost::bolt

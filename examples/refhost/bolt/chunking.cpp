// examples/refhost/bolt/chunking.cpp: chunk encoder and reassembler.
#include "bolt/chunking.hpp"

#include <algorithm>
#include <string>

namespace refhost::bolt {

void append_chunked(std::vector<uint8_t>& out, std::span<const uint8_t> message, size_t max_chunk) {
    max_chunk = std::clamp<size_t>(max_chunk, 1, kMaxChunkSize);
    size_t pos = 0;
    while (pos < message.size()) {
        size_t n = std::min(max_chunk, message.size() - pos);
        out.push_back(static_cast<uint8_t>(n >> 8));
        out.push_back(static_cast<uint8_t>(n & 0xFF));
        out.insert(out.end(), message.begin() + static_cast<std::ptrdiff_t>(pos),
                   message.begin() + static_cast<std::ptrdiff_t>(pos + n));
        pos += n;
    }
    out.push_back(0);
    out.push_back(0);
}

Done ChunkDecoder::feed(std::span<const uint8_t> bytes, std::vector<std::vector<uint8_t>>& messages) {
    if (failed_) {
        return make_error(status::kRequestInvalid, "Bolt framing: the stream already failed");
    }
    size_t pos = 0;
    while (pos < bytes.size()) {
        if (chunk_left_ > 0) {
            size_t n = std::min(chunk_left_, bytes.size() - pos);
            current_.insert(current_.end(), bytes.begin() + static_cast<std::ptrdiff_t>(pos),
                            bytes.begin() + static_cast<std::ptrdiff_t>(pos + n));
            pos += n;
            chunk_left_ -= n;
            continue;
        }
        header_[header_bytes_++] = bytes[pos++];
        if (header_bytes_ < 2) {
            continue;
        }
        header_bytes_ = 0;
        size_t size = (size_t{header_[0]} << 8) | header_[1];
        if (size == 0) {
            // End of a message, or a NOOP when no message is in progress.
            if (!current_.empty()) {
                messages.push_back(std::move(current_));
                current_.clear();
            }
            continue;
        }
        if (current_.size() + size > max_message_size_) {
            failed_ = true;
            return make_error(status::kRequestInvalid,
                              "Bolt framing: message exceeds the limit of " + std::to_string(max_message_size_) +
                                  " bytes (" + std::to_string(current_.size() + size) + " bytes so far)");
        }
        chunk_left_ = size;
    }
    return done();
}

}  // namespace refhost::bolt

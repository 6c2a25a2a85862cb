#include "protocol/lz4_stream.hpp"

#include <lz4.h>

#include <algorithm>
#include <cstring>
#include <new>
#include <string>

namespace ccdr::protocol {
namespace {

// The window holds the history and one block; it grows to fit the largest
// block seen, and when the next block does not fit after the data, the last
// 64 KiB move to the front first. A window of at least 1 MiB (the default
// batch size) keeps those moves to one per MiB of small blocks.
constexpr size_t kMinWindowBlock = 1u << 20;

}  // namespace

Lz4StreamEncoder::Lz4StreamEncoder() : stream_(LZ4_createStream()) {
    if (stream_ == nullptr) {
        throw std::bad_alloc();
    }
}

Lz4StreamEncoder::~Lz4StreamEncoder() { LZ4_freeStream(stream_); }

void Lz4StreamEncoder::reset() {
    LZ4_initStream(stream_, sizeof(*stream_));
    end_ = 0;
    blocks_ = 0;
}

Status Lz4StreamEncoder::compress(std::span<const uint8_t> input, std::vector<uint8_t>& out) {
    if (input.empty() || input.size() > LZ4_MAX_INPUT_SIZE) {
        return Status(CCDR_INVALID_ARGUMENT, "an LZ4 stream block must hold 1 to " +
                                                 std::to_string(LZ4_MAX_INPUT_SIZE) + " bytes, not " +
                                                 std::to_string(input.size()));
    }
    if (end_ + input.size() > window_.size()) {
        // Keep the history in front of where the block goes. LZ4_saveDict
        // moves it and points the stream at its new place, so the hash
        // table's entries stay valid.
        const size_t keep = std::min(end_, kLz4StreamHistory);
        if (kLz4StreamHistory + input.size() > window_.size()) {
            std::vector<char> bigger(kLz4StreamHistory + std::max(input.size(), kMinWindowBlock));
            const int saved = LZ4_saveDict(stream_, bigger.data(), static_cast<int>(keep));
            window_ = std::move(bigger);
            end_ = static_cast<size_t>(saved);
        } else {
            end_ = static_cast<size_t>(LZ4_saveDict(stream_, window_.data(), static_cast<int>(keep)));
        }
    }
    char* block = window_.data() + end_;
    std::memcpy(block, input.data(), input.size());
    const int bound = LZ4_compressBound(static_cast<int>(input.size()));
    out.resize(static_cast<size_t>(bound));
    const int n = LZ4_compress_fast_continue(stream_, block, reinterpret_cast<char*>(out.data()),
                                             static_cast<int>(input.size()), bound, 1);
    if (n <= 0) {
        // The stream's state is unknown now: start over, and let the caller
        // fail the connection (the decoder's history would differ).
        reset();
        return Status(CCDR_INTERNAL, "LZ4 stream compression of " + std::to_string(input.size()) + " bytes failed");
    }
    out.resize(static_cast<size_t>(n));
    end_ += input.size();
    ++blocks_;
    return Status();
}

void Lz4StreamDecoder::reset() {
    history_.clear();
    broken_ = false;
    blocks_ = 0;
}

Status Lz4StreamDecoder::decompress(std::span<const uint8_t> wire, uint32_t length, std::vector<uint8_t>& out) {
    if (broken_) {
        return Status(CCDR_CORRUPT, "LZ4 stream block refused: an earlier block of this stream failed, so its "
                                    "history is lost");
    }
    out.resize(length);
    const int n = LZ4_decompress_safe_usingDict(reinterpret_cast<const char*>(wire.data()),
                                                reinterpret_cast<char*>(out.data()), static_cast<int>(wire.size()),
                                                static_cast<int>(length),
                                                reinterpret_cast<const char*>(history_.data()),
                                                static_cast<int>(history_.size()));
    if (n < 0 || static_cast<uint32_t>(n) != length || length == 0) {
        broken_ = true;
        return Status(CCDR_CORRUPT, "LZ4 stream block " + std::to_string(blocks_ + 1) + " of " +
                                        std::to_string(wire.size()) + " bytes does not decompress to " +
                                        std::to_string(length) + " bytes with the stream's history");
    }
    remember(out);
    ++blocks_;
    return Status();
}

void Lz4StreamDecoder::remember(std::span<const uint8_t> block) {
    if (block.size() >= kLz4StreamHistory) {
        history_.assign(block.end() - static_cast<std::ptrdiff_t>(kLz4StreamHistory), block.end());
        return;
    }
    const size_t keep = std::min(history_.size(), kLz4StreamHistory - block.size());
    history_.erase(history_.begin(), history_.end() - static_cast<std::ptrdiff_t>(keep));
    history_.insert(history_.end(), block.begin(), block.end());
}

}  // namespace ccdr::protocol

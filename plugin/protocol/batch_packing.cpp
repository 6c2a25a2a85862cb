#include "protocol/batch_packing.hpp"

#include "protocol/batch.hpp"
#include "protocol/wire.hpp"

#include <string>

namespace ccdr::protocol {
namespace {

constexpr size_t kMaxVarint = 10;  // 70 bits hold any u64
// The fewest bytes a packed record takes: three one-byte varints, no
// payload, the chain value.
constexpr size_t kMinPackedRecord = 3 + 8;

uint64_t zigzag(uint64_t difference) {
    const auto d = static_cast<int64_t>(difference);
    return (static_cast<uint64_t>(d) << 1) ^ static_cast<uint64_t>(d >> 63);
}

uint64_t unzigzag(uint64_t z) { return (z >> 1) ^ (~(z & 1) + 1); }

void put_varint(std::vector<uint8_t>& out, uint64_t v) {
    while (v >= 0x80) {
        out.push_back(static_cast<uint8_t>(v | 0x80));
        v >>= 7;
    }
    out.push_back(static_cast<uint8_t>(v));
}

Status corrupt(const std::string& message) { return {CCDR_CORRUPT, "packed batch: " + message}; }

// Reads the packed payload front to back; the first failure names its
// field and offset.
class PackedReader {
public:
    explicit PackedReader(std::span<const uint8_t> bytes) : bytes_(bytes) {}

    Result<uint64_t> varint(const std::string& field) {
        const size_t start = at_;
        uint64_t v = 0;
        for (size_t i = 0; i < kMaxVarint; ++i) {
            if (at_ >= bytes_.size()) {
                return corrupt(field + " at offset " + std::to_string(start) + " is cut off");
            }
            const uint8_t b = bytes_[at_++];
            if (i == kMaxVarint - 1 && b > 1) {
                return corrupt(field + " at offset " + std::to_string(start) + " does not fit 64 bits");
            }
            v |= static_cast<uint64_t>(b & 0x7f) << (7 * i);
            if ((b & 0x80) == 0) {
                if (i > 0 && b == 0) {
                    return corrupt(field + " at offset " + std::to_string(start) +
                                   " is not in its shortest varint form");
                }
                return v;
            }
        }
        return corrupt(field + " at offset " + std::to_string(start) + " is longer than 10 bytes");
    }

    Result<std::span<const uint8_t>> take(size_t n, const std::string& field) {
        if (n > left()) {
            return corrupt(field + " of " + std::to_string(n) + " bytes at offset " + std::to_string(at_) +
                           " exceeds the " + std::to_string(left()) + " bytes left");
        }
        auto out = bytes_.subspan(at_, n);
        at_ += n;
        return out;
    }

    size_t left() const { return bytes_.size() - at_; }
    size_t offset() const { return at_; }

private:
    std::span<const uint8_t> bytes_;
    size_t at_ = 0;
};

}  // namespace

Status BatchPacker::pack(std::span<const uint8_t> batch, std::vector<uint8_t>& out) {
    if (batch.size() < kBatchHeaderSize) {
        return {CCDR_INTERNAL, "packing a batch of " + std::to_string(batch.size()) + " bytes: no header"};
    }
    const uint8_t* p = batch.data();
    PackingState next;
    next.last_tx = load_le(p, 8);
    next.last_commit_ms = load_le(p + 8, 8);
    const uint64_t sent_at = load_le(p + 16, 8);
    const auto count = static_cast<uint32_t>(load_le(p + 24, 4));
    out.clear();
    out.reserve(batch.size());
    put_varint(out, zigzag(next.last_tx - state_.last_tx));
    put_varint(out, zigzag(next.last_commit_ms - state_.last_commit_ms));
    put_varint(out, zigzag(sent_at - next.last_commit_ms));
    put_varint(out, count);
    next.record_tx = state_.record_tx;
    next.record_commit_ms = state_.record_commit_ms;
    size_t at = kBatchHeaderSize;
    for (uint32_t i = 0; i < count; ++i) {
        if (batch.size() - at < 20) {
            return {CCDR_INTERNAL, "packing a batch: record " + std::to_string(i) + " is cut off"};
        }
        const uint64_t tx = load_le(p + at, 8);
        const uint64_t commit = load_le(p + at + 8, 8);
        const size_t length = load_le(p + at + 16, 4);
        if (batch.size() - at - 20 < length + 8) {
            return {CCDR_INTERNAL, "packing a batch: record " + std::to_string(i) + " is cut off"};
        }
        put_varint(out, zigzag(tx - (next.record_tx + 1)));
        put_varint(out, zigzag(commit - next.record_commit_ms));
        put_varint(out, length);
        out.insert(out.end(), p + at + 20, p + at + 20 + length + 8);  // payload and chain
        next.record_tx = tx;
        next.record_commit_ms = commit;
        at += 20 + length + 8;
    }
    if (at != batch.size() || count == 0) {
        return {CCDR_INTERNAL, "packing a batch: " + std::to_string(batch.size() - at) + " bytes after " +
                                   std::to_string(count) + " records"};
    }
    state_ = next;
    return Status();
}

Status BatchUnpacker::unpack(std::span<const uint8_t> packed, std::vector<uint8_t>& out) {
    PackedReader in(packed);
    PackingState next;
    auto last_tx = in.varint("upstream_last_tx");
    if (!last_tx) {
        return last_tx.status();
    }
    auto last_commit = in.varint("upstream_last_commit_ms");
    if (!last_commit) {
        return last_commit.status();
    }
    auto sent_at = in.varint("sent_at_ms");
    if (!sent_at) {
        return sent_at.status();
    }
    auto count = in.varint("count");
    if (!count) {
        return count.status();
    }
    // A count the bytes cannot hold is refused before anything is reserved.
    if (*count == 0 || *count > in.left() / kMinPackedRecord) {
        return corrupt("count " + std::to_string(*count) + " is impossible in the " + std::to_string(in.left()) +
                       " bytes left");
    }
    next.last_tx = state_.last_tx + unzigzag(*last_tx);
    next.last_commit_ms = state_.last_commit_ms + unzigzag(*last_commit);
    out.clear();
    // Each packed record grows by at most 28 - 3 bytes of fixed fields.
    out.reserve(kBatchHeaderSize + packed.size() + static_cast<size_t>(*count) * (kTxRecordOverhead - 3));
    out.resize(kBatchHeaderSize);
    store_le(out.data(), next.last_tx, 8);
    store_le(out.data() + 8, next.last_commit_ms, 8);
    store_le(out.data() + 16, next.last_commit_ms + unzigzag(*sent_at), 8);
    store_le(out.data() + 24, *count, 4);
    next.record_tx = state_.record_tx;
    next.record_commit_ms = state_.record_commit_ms;
    for (uint64_t i = 0; i < *count; ++i) {
        const std::string record = "record " + std::to_string(i) + " ";
        auto tx = in.varint(record + "tx_id");
        if (!tx) {
            return tx.status();
        }
        auto commit = in.varint(record + "commit_time_ms");
        if (!commit) {
            return commit.status();
        }
        auto length = in.varint(record + "length");
        if (!length) {
            return length.status();
        }
        if (*length > UINT32_MAX) {
            return corrupt(record + "length " + std::to_string(*length) + " does not fit 32 bits");
        }
        auto bytes = in.take(static_cast<size_t>(*length) + 8, record + "payload and chain");
        if (!bytes) {
            return bytes.status();
        }
        next.record_tx = next.record_tx + 1 + unzigzag(*tx);
        next.record_commit_ms = next.record_commit_ms + unzigzag(*commit);
        const size_t at = out.size();
        out.resize(at + 20);
        store_le(out.data() + at, next.record_tx, 8);
        store_le(out.data() + at + 8, next.record_commit_ms, 8);
        store_le(out.data() + at + 16, *length, 4);
        out.insert(out.end(), bytes->begin(), bytes->end());
    }
    if (in.left() != 0) {
        return corrupt(std::to_string(in.left()) + " bytes after the last record, at offset " +
                       std::to_string(in.offset()));
    }
    state_ = next;
    return Status();
}

}  // namespace ccdr::protocol

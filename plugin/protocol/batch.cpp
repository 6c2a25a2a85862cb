#include "protocol/batch.hpp"

#include "protocol/wire.hpp"

#include <xxhash.h>

#include <cstdint>
#include <cstring>
#include <string>

namespace ccdr::protocol {

uint64_t chain_seed(std::string_view store_id, uint64_t epoch, uint64_t from_tx) {
    std::vector<uint8_t> bytes;
    WireWriter w(bytes);
    w.str("ccdr-chain-v1");
    w.str(store_id);
    w.u64(epoch);
    w.u64(from_tx);
    return XXH3_64bits(bytes.data(), bytes.size());
}

struct ChainHasher::State {
    XXH3_state_t* xxh = XXH3_createState();
    ~State() { XXH3_freeState(xxh); }
};

ChainHasher::ChainHasher() : state_(new State) {}

ChainHasher::~ChainHasher() { delete state_; }

uint64_t ChainHasher::link(uint64_t previous, const ccdr_tx& tx) {
    store_le(scratch_, previous, 8);
    store_le(scratch_ + 8, tx.tx_id, 8);
    store_le(scratch_ + 16, static_cast<uint64_t>(tx.commit_time_ms), 8);
    store_le(scratch_ + 24, tx.payload.len, 4);
    if (tx.payload.len <= kCopyLimit) {
        if (tx.payload.len != 0) {
            std::memcpy(scratch_ + kPrefix, tx.payload.data, tx.payload.len);
        }
        return XXH3_64bits(scratch_, kPrefix + tx.payload.len);
    }
    XXH3_64bits_reset(state_->xxh);
    XXH3_64bits_update(state_->xxh, scratch_, kPrefix);
    XXH3_64bits_update(state_->xxh, tx.payload.data, tx.payload.len);
    return XXH3_64bits_digest(state_->xxh);
}

void ChainHasher::begin(uint64_t previous, uint64_t tx_id, int64_t commit_time_ms, uint32_t length) {
    store_le(scratch_, previous, 8);
    store_le(scratch_ + 8, tx_id, 8);
    store_le(scratch_ + 16, static_cast<uint64_t>(commit_time_ms), 8);
    store_le(scratch_ + 24, length, 4);
    XXH3_64bits_reset(state_->xxh);
    XXH3_64bits_update(state_->xxh, scratch_, kPrefix);
}

void ChainHasher::update(std::span<const uint8_t> bytes) {
    if (!bytes.empty()) {
        XXH3_64bits_update(state_->xxh, bytes.data(), bytes.size());
    }
}

uint64_t ChainHasher::digest() { return XXH3_64bits_digest(state_->xxh); }

BatchBuilder::BatchBuilder(uint64_t chain, uint64_t next_tx, size_t capacity)
    : capacity_(capacity), chain_(chain), next_tx_(next_tx) {}

void BatchBuilder::prepare_records() {
    if (records_.empty()) {
        if (spare_.capacity() > records_.capacity()) {
            records_.swap(spare_);
            records_.clear();
        }
        records_.reserve(kBatchHeaderSize + capacity_);
        records_.resize(kBatchHeaderSize);  // filled in by finish()
    }
}

void BatchBuilder::recycle(std::vector<uint8_t>&& buffer) {
    if (buffer.capacity() > spare_.capacity()) {
        spare_ = std::move(buffer);
    }
}

void append_unchained_record(std::vector<uint8_t>& records, const ccdr_tx& tx) {
    const size_t at = records.size();
    records.resize(at + kTxRecordOverhead + tx.payload.len);
    uint8_t* r = records.data() + at;
    store_le(r, tx.tx_id, 8);
    store_le(r + 8, static_cast<uint64_t>(tx.commit_time_ms), 8);
    store_le(r + 16, tx.payload.len, 4);
    if (tx.payload.len != 0) {
        std::memcpy(r + 20, tx.payload.data, tx.payload.len);
    }
    store_le(r + 20 + tx.payload.len, 0, 8);
}

Status BatchBuilder::add(const ccdr_tx& tx) {
    if (tx.tx_id != next_tx_) {
        return {CCDR_OUT_OF_ORDER, "batch: expected tx " + std::to_string(next_tx_) + ", the log gave tx " +
                                       std::to_string(tx.tx_id)};
    }
    if (tx.payload.len > UINT32_MAX) {
        return {CCDR_INVALID_ARGUMENT, "tx " + std::to_string(tx.tx_id) + " of " + std::to_string(tx.payload.len) +
                                           " bytes is too large to replicate"};
    }
    prepare_records();
    const size_t at = records_.size();
    append_unchained_record(records_, tx);
    uint8_t* r = records_.data() + at;
    // Within a batch the previous record's chain value sits right before this
    // record: H(n-1) || tx n is already contiguous.
    chain_ = count_ == 0 ? hasher_.link(chain_, tx) : XXH3_64bits(r - 8, 8 + 20 + tx.payload.len);
    store_le(r + 20 + tx.payload.len, chain_, 8);
    ++next_tx_;
    ++count_;
    payload_bytes_ += tx.payload.len;
    return {};
}

Status BatchBuilder::pass(const ccdr_tx& tx) {
    if (tx.tx_id != next_tx_) {
        return {CCDR_OUT_OF_ORDER, "batch: expected tx " + std::to_string(next_tx_) + ", the log gave tx " +
                                       std::to_string(tx.tx_id)};
    }
    chain_ = hasher_.link(chain_, tx);
    ++next_tx_;
    return {};
}

Status BatchBuilder::pass_chained(uint64_t tx_id, uint64_t chain) {
    if (tx_id != next_tx_) {
        return {CCDR_OUT_OF_ORDER, "batch: expected tx " + std::to_string(next_tx_) + ", the log gave tx " +
                                       std::to_string(tx_id)};
    }
    chain_ = chain;
    ++next_tx_;
    return {};
}

Status BatchBuilder::add_records(std::span<const uint8_t> records, size_t count) {
    // Walk the records first: nothing is appended unless all of them parse
    // and continue from next_tx_.
    size_t at = 0;
    uint64_t expect = next_tx_;
    size_t payload = 0;
    for (size_t i = 0; i < count; ++i) {
        if (records.size() - at < kTxRecordOverhead) {
            return {CCDR_CORRUPT, "batch records: record " + std::to_string(i) + " is cut short"};
        }
        const uint64_t id = load_le(records.data() + at, 8);
        const size_t len = static_cast<size_t>(load_le(records.data() + at + 16, 4));
        if (id != expect) {
            return {CCDR_OUT_OF_ORDER, "batch: expected tx " + std::to_string(expect) + ", the records hold tx " +
                                           std::to_string(id)};
        }
        if (records.size() - at - kTxRecordOverhead < len) {
            return {CCDR_CORRUPT, "batch records: tx " + std::to_string(id) + " is cut short"};
        }
        at += kTxRecordOverhead + len;
        payload += len;
        ++expect;
    }
    if (at != records.size()) {
        return {CCDR_CORRUPT, "batch records: " + std::to_string(records.size() - at) + " bytes after " +
                                  std::to_string(count) + " records"};
    }
    prepare_records();
    const size_t start = records_.size();
    records_.insert(records_.end(), records.begin(), records.end());
    uint8_t* r = records_.data() + start;
    for (size_t i = 0; i < count; ++i) {
        const size_t len = static_cast<size_t>(load_le(r + 16, 4));
        if (count_ == 0) {
            ccdr_tx tx{};
            tx.tx_id = load_le(r, 8);
            tx.commit_time_ms = static_cast<int64_t>(load_le(r + 8, 8));
            tx.payload = ccdr_bytes{r + 20, len};
            chain_ = hasher_.link(chain_, tx);
        } else {
            // H(n-1) is the 8 bytes right before this record (add() says why).
            chain_ = XXH3_64bits(r - 8, 8 + 20 + len);
        }
        store_le(r + 20 + len, chain_, 8);
        r += kTxRecordOverhead + len;
        ++count_;
    }
    next_tx_ = expect;
    payload_bytes_ += payload;
    return {};
}

std::vector<uint8_t> BatchBuilder::finish(const UpstreamPosition& position) {
    prepare_records();
    // The header goes into the room left at the front: no copy of the records.
    uint8_t* h = records_.data();
    store_le(h, position.last_tx, 8);
    store_le(h + 8, static_cast<uint64_t>(position.last_commit_ms), 8);
    store_le(h + 16, static_cast<uint64_t>(position.sent_at_ms), 8);
    store_le(h + 24, count_, 4);
    std::vector<uint8_t> out = std::move(records_);
    records_.clear();
    count_ = 0;
    payload_bytes_ = 0;
    return out;
}

DecodedBatch& DecodedBatch::operator=(const DecodedBatch& other) {
    if (this == &other) {
        return *this;
    }
    position = other.position;
    buffer = other.buffer;
    chains = other.chains;
    payload_bytes = other.payload_bytes;
    txs = other.txs;
    for (auto& tx : txs) {
        if (tx.payload.len != 0) {
            tx.payload.data = buffer.data() + (tx.payload.data - other.buffer.data());
        }
    }
    return *this;
}

Result<DecodedBatch> decode_batch(std::vector<uint8_t> payload) {
    DecodedBatch batch;
    batch.buffer = std::move(payload);
    WireReader r(batch.buffer);
    batch.position.last_tx = r.u64("batch upstream_last_tx");
    batch.position.last_commit_ms = r.i64("batch upstream_last_commit_ms");
    batch.position.sent_at_ms = r.i64("batch sent_at_ms");
    const uint32_t count = r.u32("batch count");
    if (r.ok() && count == 0) {
        r.fail("batch count", "is 0");
    }
    // Each record needs at least its fixed fields: a count the payload
    // cannot hold is refused before anything is reserved for it.
    if (r.ok() && count > r.remaining() / kTxRecordOverhead) {
        r.fail("batch count", "of " + std::to_string(count) + " does not fit in " + std::to_string(r.remaining()) +
                                  " bytes");
    }
    if (r.ok()) {
        batch.txs.reserve(count);
        batch.chains.reserve(count);
    }
    for (uint32_t i = 0; i < count && r.ok(); ++i) {
        ccdr_tx tx{};
        tx.tx_id = r.u64("tx_id");
        tx.commit_time_ms = r.i64("tx commit_time_ms");
        const uint32_t len = r.u32("tx length");
        auto bytes = r.take(len, "tx payload");
        const uint64_t chain = r.u64("tx chain");
        if (!r.ok()) {
            break;
        }
        tx.payload = ccdr_bytes{bytes.data(), bytes.size()};
        batch.payload_bytes += bytes.size();
        batch.txs.push_back(tx);
        batch.chains.push_back(chain);
    }
    r.expect_end("batch");
    if (!r.ok()) {
        return Status(CCDR_CORRUPT, "malformed batch: " + r.error());
    }
    return batch;
}

Status ChainVerifier::verify(const DecodedBatch& batch) {
    uint64_t chain = chain_;
    uint64_t expect = next_tx_;
    for (size_t i = 0; i < batch.txs.size(); ++i) {
        const ccdr_tx& tx = batch.txs[i];
        if (tx.tx_id != expect) {
            const char* kind = tx.tx_id > expect ? "gap" : "reorder";
            return {CCDR_CORRUPT, std::string("hash chain broken by a ") + kind + " at tx " + std::to_string(expect) +
                                      ": expected tx " + std::to_string(expect) + ", received tx " +
                                      std::to_string(tx.tx_id)};
        }
        const uint64_t computed = hasher_.link(chain, tx);
        if (computed != batch.chains[i]) {
            return {CCDR_CORRUPT, "hash chain mismatch at tx " + std::to_string(tx.tx_id) + " (computed " +
                                      hex64(computed) + ", upstream sent " + hex64(batch.chains[i]) + ")"};
        }
        chain = computed;
        ++expect;
    }
    chain_ = chain;
    next_tx_ = expect;
    return {};
}

}  // namespace ccdr::protocol

#include "upstream/batcher.hpp"

#include "protocol/tx_part.hpp"
#include "protocol/wire.hpp"
#include "runtime/wall_clock.hpp"

#include <algorithm>

namespace ccdr::plugin {

namespace {

// A failure's answer: seal() passes it through.
ChainedBatch nothing_to_seal(ProducedBatch out) {
    ChainedBatch chained;
    chained.batch = std::move(out);
    return chained;
}

}  // namespace

Batcher::Batcher(HostHandle host, std::string database, uint64_t chain_seed, uint64_t from_tx,
                 uint64_t batch_max_bytes, protocol::FrameLimits limits, bool compress, bool stream,
                 std::shared_ptr<SharedLog> shared, bool parts, protocol::StreamFrameForm stream_form)
    : host_(host),
      database_(std::move(database)),
      shared_(shared ? std::move(shared) : std::make_shared<SharedLog>(host, database_, batch_max_bytes, 0)),
      parts_(parts),
      batch_max_(batch_max_bytes),
      // A short stream form packs BATCH payloads; the full form keeps them
      // as batch.hpp lays them out.
      packer_(compress && stream && stream_form != protocol::StreamFrameForm::kFull
                  ? std::make_unique<protocol::BatchPacker>()
                  : nullptr),
      builder_(chain_seed, from_tx, static_cast<size_t>(batch_max_bytes)),
      limits_(limits),
      compress_(compress),
      stream_(compress && stream ? std::make_unique<protocol::Lz4StreamEncoder>() : nullptr),
      stream_form_(stream_ ? stream_form : protocol::StreamFrameForm::kFull) {}

ChainedBatch Batcher::chain_next(const CommitPosition& position) {
    const uint64_t next = builder_.next_tx();
    SliceRead got = shared_->obtain(next);
    if (!got.status || !got.slice) {
        ProducedBatch out;
        out.status = std::move(got.status);
        out.first_tx = next;
        return nothing_to_seal(std::move(out));
    }
    return chain_slice(std::move(got.slice), position);
}

void Batcher::take_chain_spares() {
    std::lock_guard lock(spares_mu_);
    if (!spare_payloads_.empty()) {
        std::vector<uint8_t> spare = std::move(spare_payloads_.back());
        spare_payloads_.pop_back();
        // A packed payload's buffer serves the next packed one (the builder
        // has its own back as soon as a batch is packed).
        if (packer_ && spare.capacity() > pack_scratch_.capacity()) {
            pack_scratch_ = std::move(spare);
        } else {
            builder_.recycle(std::move(spare));
        }
    }
}

void Batcher::take_seal_spares() {
    std::lock_guard lock(spares_mu_);
    if (!spare_compressed_.empty() && spare_compressed_.back().capacity() > compress_scratch_.capacity()) {
        compress_scratch_ = std::move(spare_compressed_.back());
    }
    if (!spare_compressed_.empty()) {
        spare_compressed_.pop_back();
    }
}

ChainedBatch Batcher::to_seal(ProducedBatch out, protocol::MessageType type, std::vector<uint8_t> payload) {
    ChainedBatch chained;
    chained.batch = std::move(out);
    chained.type = type;
    chained.payload = std::move(payload);
    chained.sequence = ++chained_;
    return chained;
}

ProducedBatch Batcher::seal(ChainedBatch&& chained) {
    ProducedBatch out = std::move(chained.batch);
    if (chained.sequence == 0) {
        return out;  // nothing to compress: a failure, or nothing new
    }
    if (chained.sequence != sealed_ + 1) {
        // The LZ4 stream's next block would not be the replica's next.
        out.status = Status(CCDR_OUT_OF_ORDER, "batch: sealing batch " + std::to_string(chained.sequence) +
                                                   " of the stream, expected " + std::to_string(sealed_ + 1));
        return out;
    }
    sealed_ = chained.sequence;
    take_seal_spares();
    auto frame = stream_ ? protocol::encode_frame(chained.type, std::move(chained.payload), *stream_, limits_,
                                                  std::move(compress_scratch_), stream_form_)
                         : protocol::encode_frame(chained.type, std::move(chained.payload), compress_, limits_,
                                                  std::move(compress_scratch_));
    if (!frame) {
        out.status = frame.status();
        return out;
    }
    out.frame = std::move(frame.value());
    return out;
}

ChainedBatch Batcher::chain_slice(std::shared_ptr<const LogSlice> slice, const CommitPosition& position) {
    take_chain_spares();
    if (slice->unread) {
        return chain_unread(std::move(slice), position);
    }
    ProducedBatch out;
    out.first_tx = builder_.next_tx();
    if (parts_ && slice->count == 1 && slice->payload_bytes > batch_max_) {
        // One transaction larger than a batch: in parts. Its chain value is
        // computed now, over the whole payload, as a BATCH would carry it.
        const uint8_t* r = slice->records.data();
        auto parts = std::make_unique<PartsInProgress>();
        parts->tx.tx_id = protocol::load_le(r, 8);
        parts->tx.commit_time_ms = static_cast<int64_t>(protocol::load_le(r + 8, 8));
        parts->tx.payload = ccdr_bytes{r + 20, static_cast<size_t>(protocol::load_le(r + 16, 4))};
        out.status = builder_.pass(parts->tx);
        if (!out.status) {
            return nothing_to_seal(std::move(out));
        }
        parts->chain = builder_.chain();
        parts->slice = std::move(slice);
        parts_in_progress_ = std::move(parts);
        return chain_part(position);
    }
    out.status = builder_.add_records(slice->records, slice->count);
    if (!out.status) {
        return nothing_to_seal(std::move(out));
    }
    out.first_commit_ms = slice->first_commit_ms;
    out.count = slice->count;
    out.large = slice->records.size() >= batch_max_ / 2;
    out.last_tx = slice->last_tx;
    protocol::UpstreamPosition pos{position.last_tx.load(), position.last_commit_ms.load(), runtime::wall_clock_ms()};
    if (pos.last_tx < out.last_tx) {
        pos.last_tx = out.last_tx;
    }
    std::vector<uint8_t> payload = builder_.finish(pos);
    if (packer_) {
        std::vector<uint8_t> packed = std::move(pack_scratch_);
        out.status = packer_->pack(payload, packed);
        if (!out.status) {
            return nothing_to_seal(std::move(out));
        }
        builder_.recycle(std::move(payload));
        payload = std::move(packed);
    }
    return to_seal(std::move(out), protocol::MessageType::kBatch, std::move(payload));
}

ChainedBatch Batcher::chain_unread(std::shared_ptr<const LogSlice> slice, const CommitPosition& position) {
    ProducedBatch out;
    out.first_tx = builder_.next_tx();
    if (slice->first_tx != out.first_tx) {
        out.status = Status(CCDR_OUT_OF_ORDER, "batch: expected tx " + std::to_string(out.first_tx) +
                                                   ", the log gave tx " + std::to_string(slice->first_tx));
        return nothing_to_seal(std::move(out));
    }
    auto reader = LogTxReader::open(host_, database_, slice->first_tx, slice->payload_bytes);
    if (!reader) {
        out.status = reader.status();
        return nothing_to_seal(std::move(out));
    }
    if (slice->payload_bytes > UINT32_MAX) {
        out.status = Status(CCDR_INVALID_ARGUMENT, "tx " + std::to_string(slice->first_tx) + " of '" + database_ +
                                                       "' holds " + std::to_string(slice->payload_bytes) +
                                                       " bytes, more than a transaction record can carry");
        return nothing_to_seal(std::move(out));
    }
    const ccdr_tx tx{slice->first_tx, slice->first_commit_ms,
                     ccdr_bytes{nullptr, static_cast<size_t>(slice->payload_bytes)}};
    if (!parts_) {
        // A peer before protocol 5 takes a transaction only in one BATCH:
        // read it whole (the memory this path cannot bound).
        std::vector<uint8_t> whole(tx.payload.len);
        out.status = reader.value()->read_exact(whole);
        if (!out.status) {
            return nothing_to_seal(std::move(out));
        }
        // The slice the shared log would have made of it (its record,
        // chained by chain_slice as any other).
        auto read = std::make_shared<LogSlice>();
        read->records.reserve(protocol::kTxRecordOverhead + whole.size());
        protocol::append_unchained_record(read->records,
                                          ccdr_tx{tx.tx_id, tx.commit_time_ms, ccdr_bytes{whole.data(), whole.size()}});
        whole = {};
        read->first_tx = read->last_tx = tx.tx_id;
        read->first_commit_ms = tx.commit_time_ms;
        read->count = 1;
        read->payload_bytes = tx.payload.len;
        return chain_slice(std::move(read), position);
    }
    auto parts = std::make_unique<PartsInProgress>();
    parts->tx = tx;
    parts->reader = std::move(reader.value());
    parts->hasher.begin(builder_.chain(), tx.tx_id, tx.commit_time_ms, static_cast<uint32_t>(tx.payload.len));
    parts->slice = std::move(slice);
    parts_in_progress_ = std::move(parts);
    return chain_part(position);
}

Result<std::span<const uint8_t>> Batcher::part_bytes(PartsInProgress& parts, size_t len) {
    if (!parts.reader) {
        return std::span<const uint8_t>(parts.tx.payload.data + parts.sent, len);
    }
    parts.piece.resize(len);
    if (Status st = parts.reader->read_exact(parts.piece); !st) {
        return st;
    }
    parts.hasher.update(parts.piece);
    if (parts.sent + len == parts.tx.payload.len) {
        // The last piece, checked by the host: the chain value is complete,
        // and the builder's chain continues from it.
        parts.chain = parts.hasher.digest();
        if (Status st = builder_.pass_chained(parts.tx.tx_id, parts.chain); !st) {
            return st;
        }
    }
    return std::span<const uint8_t>(parts.piece);
}

ChainedBatch Batcher::chain_part(const CommitPosition& position) {
    take_chain_spares();
    PartsInProgress& parts = *parts_in_progress_;
    const ccdr_tx& tx = parts.tx;
    ProducedBatch out;
    out.first_tx = tx.tx_id;
    out.last_tx = tx.tx_id;
    out.first_commit_ms = tx.commit_time_ms;
    out.count = 1;
    out.large = true;
    const size_t len = std::min<size_t>(batch_max_, tx.payload.len - parts.sent);
    const bool last = parts.sent + len == tx.payload.len;
    out.more_parts = !last;
    protocol::TxPartHeader header;
    header.position = {position.last_tx.load(), position.last_commit_ms.load(), runtime::wall_clock_ms()};
    if (header.position.last_tx < tx.tx_id) {
        header.position.last_tx = tx.tx_id;
    }
    header.tx_id = tx.tx_id;
    header.commit_time_ms = tx.commit_time_ms;
    header.total_length = static_cast<uint32_t>(tx.payload.len);
    header.offset = parts.sent;
    auto bytes = part_bytes(parts, len);
    if (!bytes) {
        out.status = bytes.status();
        parts_in_progress_.reset();
        return nothing_to_seal(std::move(out));
    }
    std::vector<uint8_t> payload = protocol::encode_tx_part(
        header, *bytes, last ? std::optional<uint64_t>(parts.chain) : std::nullopt, builder_.take_spare());
    parts.sent += static_cast<uint32_t>(len);
    if (last) {
        parts_in_progress_.reset();
    }
    return to_seal(std::move(out), protocol::MessageType::kTxPart, std::move(payload));
}

void Batcher::recycle(protocol::EncodedFrame&& frame) {
    std::lock_guard lock(spares_mu_);
    std::vector<uint8_t>& payload = frame.spare.capacity() != 0 ? frame.spare : frame.body;
    if (payload.capacity() != 0 && spare_payloads_.size() < kSpareSets) {
        spare_payloads_.push_back(std::move(payload));
    }
    if (frame.spare.capacity() == 0 || spare_compressed_.size() >= kSpareSets) {
        return;  // the body was the payload itself, or enough wait already
    }
    spare_compressed_.push_back(std::move(frame.body));
}

}  // namespace ccdr::plugin

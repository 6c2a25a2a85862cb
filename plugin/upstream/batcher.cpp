#include "upstream/batcher.hpp"

#include "protocol/tx_part.hpp"
#include "protocol/wire.hpp"
#include "runtime/wall_clock.hpp"

#include <algorithm>

namespace ccdr::plugin {

Batcher::Batcher(HostHandle host, std::string database, uint64_t chain_seed, uint64_t from_tx,
                 uint64_t batch_max_bytes, protocol::FrameLimits limits, bool compress, bool stream,
                 std::shared_ptr<SharedLog> shared, bool parts, protocol::StreamFrameForm stream_form)
    : host_(host),
      database_(std::move(database)),
      shared_(shared ? std::move(shared) : std::make_shared<SharedLog>(host, database_, batch_max_bytes, 0)),
      parts_(parts),
      batch_max_(batch_max_bytes),
      limits_(limits),
      compress_(compress),
      stream_(compress && stream ? std::make_unique<protocol::Lz4StreamEncoder>() : nullptr),
      stream_form_(stream_ ? stream_form : protocol::StreamFrameForm::kFull),
      packer_(stream_form_ == protocol::StreamFrameForm::kFull ? nullptr : std::make_unique<protocol::BatchPacker>()),
      builder_(chain_seed, from_tx, static_cast<size_t>(batch_max_bytes)) {}

ProducedBatch Batcher::produce(const CommitPosition& position) {
    const uint64_t next = builder_.next_tx();
    SliceRead got = shared_->obtain(next);
    if (!got.status || !got.slice) {
        ProducedBatch out;
        out.status = std::move(got.status);
        out.first_tx = next;
        return out;
    }
    return frame(std::move(got.slice), position);
}

void Batcher::take_spares() {
    std::lock_guard lock(spares_mu_);
    if (spare_payload_.capacity() != 0) {
        // A packed payload's buffer serves the next packed one (the builder
        // has its own back as soon as a batch is packed).
        if (packer_ && spare_payload_.capacity() > pack_scratch_.capacity()) {
            pack_scratch_ = std::move(spare_payload_);
        } else {
            builder_.recycle(std::move(spare_payload_));
        }
        spare_payload_ = {};
    }
    if (spare_compressed_.capacity() > compress_scratch_.capacity()) {
        compress_scratch_ = std::move(spare_compressed_);
        spare_compressed_ = {};
    }
}

Result<protocol::EncodedFrame> Batcher::encode(protocol::MessageType type, std::vector<uint8_t> payload) {
    return stream_ ? protocol::encode_frame(type, std::move(payload), *stream_, limits_, std::move(compress_scratch_),
                                            stream_form_)
                   : protocol::encode_frame(type, std::move(payload), compress_, limits_,
                                            std::move(compress_scratch_));
}

ProducedBatch Batcher::frame(std::shared_ptr<const LogSlice> slice, const CommitPosition& position) {
    take_spares();
    if (slice->unread) {
        return frame_unread(std::move(slice), position);
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
            return out;
        }
        parts->chain = builder_.chain();
        parts->slice = std::move(slice);
        parts_in_progress_ = std::move(parts);
        return next_part(position);
    }
    out.status = builder_.add_records(slice->records, slice->count);
    if (!out.status) {
        return out;
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
            return out;
        }
        builder_.recycle(std::move(payload));
        payload = std::move(packed);
    }
    auto frame = encode(protocol::MessageType::kBatch, std::move(payload));
    if (!frame) {
        out.status = frame.status();
        return out;
    }
    out.frame = std::move(frame.value());
    return out;
}

ProducedBatch Batcher::frame_unread(std::shared_ptr<const LogSlice> slice, const CommitPosition& position) {
    ProducedBatch out;
    out.first_tx = builder_.next_tx();
    if (slice->first_tx != out.first_tx) {
        out.status = Status(CCDR_OUT_OF_ORDER, "batch: expected tx " + std::to_string(out.first_tx) +
                                                   ", the log gave tx " + std::to_string(slice->first_tx));
        return out;
    }
    auto reader = LogTxReader::open(host_, database_, slice->first_tx, slice->payload_bytes);
    if (!reader) {
        out.status = reader.status();
        return out;
    }
    if (slice->payload_bytes > UINT32_MAX) {
        out.status = Status(CCDR_INVALID_ARGUMENT, "tx " + std::to_string(slice->first_tx) + " of '" + database_ +
                                                       "' holds " + std::to_string(slice->payload_bytes) +
                                                       " bytes, more than a transaction record can carry");
        return out;
    }
    const ccdr_tx tx{slice->first_tx, slice->first_commit_ms,
                     ccdr_bytes{nullptr, static_cast<size_t>(slice->payload_bytes)}};
    if (!parts_) {
        // A peer before protocol 5 takes a transaction only in one BATCH:
        // read it whole (the memory this path cannot bound).
        std::vector<uint8_t> whole(tx.payload.len);
        out.status = reader.value()->read_exact(whole);
        if (!out.status) {
            return out;
        }
        auto read = std::make_shared<LogSlice>();
        protocol::BatchBuilder records(0, tx.tx_id, whole.size() + protocol::kTxRecordOverhead);
        out.status = records.add(ccdr_tx{tx.tx_id, tx.commit_time_ms, ccdr_bytes{whole.data(), whole.size()}});
        if (!out.status) {
            return out;
        }
        whole = {};
        read->first_tx = read->last_tx = tx.tx_id;
        read->first_commit_ms = tx.commit_time_ms;
        read->count = 1;
        read->payload_bytes = tx.payload.len;
        read->records = records.finish({});
        read->records.erase(read->records.begin(), read->records.begin() + protocol::kBatchHeaderSize);
        return frame(std::move(read), position);
    }
    auto parts = std::make_unique<PartsInProgress>();
    parts->tx = tx;
    parts->reader = std::move(reader.value());
    parts->hasher.begin(builder_.chain(), tx.tx_id, tx.commit_time_ms, static_cast<uint32_t>(tx.payload.len));
    parts->slice = std::move(slice);
    parts_in_progress_ = std::move(parts);
    return next_part(position);
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

ProducedBatch Batcher::next_part(const CommitPosition& position) {
    take_spares();
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
        return out;
    }
    std::vector<uint8_t> payload = protocol::encode_tx_part(
        header, *bytes, last ? std::optional<uint64_t>(parts.chain) : std::nullopt, builder_.take_spare());
    parts.sent += static_cast<uint32_t>(len);
    if (last) {
        parts_in_progress_.reset();
    }
    auto frame = encode(protocol::MessageType::kTxPart, std::move(payload));
    if (!frame) {
        out.status = frame.status();
        parts_in_progress_.reset();
        return out;
    }
    out.frame = std::move(frame.value());
    return out;
}

void Batcher::recycle(protocol::EncodedFrame&& frame) {
    std::lock_guard lock(spares_mu_);
    if (frame.spare.capacity() != 0) {
        spare_payload_ = std::move(frame.spare);
        spare_compressed_ = std::move(frame.body);
    } else {
        spare_payload_ = std::move(frame.body);
    }
}

}  // namespace ccdr::plugin

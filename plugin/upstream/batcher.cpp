#include "upstream/batcher.hpp"

#include "runtime/wall_clock.hpp"

namespace ccdr::plugin {

Batcher::Batcher(HostHandle host, std::string database, uint64_t chain_seed, uint64_t from_tx,
                 uint64_t batch_max_bytes, protocol::FrameLimits limits, bool compress, bool stream,
                 std::shared_ptr<SharedLog> shared)
    : shared_(shared ? std::move(shared)
                     : std::make_shared<SharedLog>(host, std::move(database), batch_max_bytes, 0)),
      batch_max_(batch_max_bytes),
      limits_(limits),
      compress_(compress),
      stream_(compress && stream ? std::make_unique<protocol::Lz4StreamEncoder>() : nullptr),
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
    return frame(*got.slice, position);
}

ProducedBatch Batcher::frame(const LogSlice& slice, const CommitPosition& position) {
    {
        std::lock_guard lock(spares_mu_);
        if (spare_payload_.capacity() != 0) {
            builder_.recycle(std::move(spare_payload_));
            spare_payload_ = {};
        }
        if (spare_compressed_.capacity() > compress_scratch_.capacity()) {
            compress_scratch_ = std::move(spare_compressed_);
            spare_compressed_ = {};
        }
    }
    ProducedBatch out;
    out.first_tx = builder_.next_tx();
    out.status = builder_.add_records(slice.records, slice.count);
    if (!out.status) {
        return out;
    }
    out.first_commit_ms = slice.first_commit_ms;
    out.count = slice.count;
    out.large = slice.records.size() >= batch_max_ / 2;
    out.last_tx = slice.last_tx;
    protocol::UpstreamPosition pos{position.last_tx.load(), position.last_commit_ms.load(), runtime::wall_clock_ms()};
    if (pos.last_tx < out.last_tx) {
        pos.last_tx = out.last_tx;
    }
    auto frame = stream_ ? protocol::encode_frame(protocol::MessageType::kBatch, builder_.finish(pos), *stream_,
                                                  limits_, std::move(compress_scratch_))
                         : protocol::encode_frame(protocol::MessageType::kBatch, builder_.finish(pos), compress_,
                                                  limits_, std::move(compress_scratch_));
    if (!frame) {
        out.status = frame.status();
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

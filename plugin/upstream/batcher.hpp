// plugin/upstream/batcher.hpp: the batches of one subscription. produce()
// takes the log from the next transaction not yet batched, as a slice of
// the database's shared log (shared_log.hpp: read once for every stream at
// the same position, up to ccdr.batch.max_bytes of encoded records, at least
// one transaction); frame() turns a slice into this stream's batch: chains
// every transaction to the one before (protocol::BatchBuilder::add_records),
// stamps the upstream's position and frames the batch: as the next block of the subscription's LZ4 stream on a session of
// protocol 4 or later (small batches then compress as well as large ones),
// otherwise as an independent LZ4 block where that shrinks it.
//
// Each of these is two stages: chain_*() (read, chain, pack: the payload)
// and seal() (compress and checksum: the frame). They share no state, so
// the stream's pipeline (batch_pipeline.hpp) chains batch n+2 on one pool
// thread while it seals batch n+1 on another: for 200-byte transactions
// each stage is about half of the work. seal() takes the chained batches in
// the order chain_*() gave them (the LZ4 stream's blocks must be compressed
// in order) and refuses any other (CCDR_OUT_OF_ORDER).
//
// produce() may block (read_log): the stream runs it on the blocking pool,
// while it writes the batch before; frame() of a cached slice never blocks
// and runs on the stream's strand when the slice is small.
//
// On a session of protocol 5 a transaction larger than ccdr.batch.max_bytes
// goes as TX_PART frames of at most that size (protocol/tx_part.hpp): frame()
// of its slice returns the first part with more_parts set, and next_part()
// each following one, until one comes without more_parts. Each part is
// framed from the slice when it is sent, so the stream holds one part's
// frame at a time besides the slice. A slice whose payload the shared log
// left unread (a host of ABI 1.2 read_log_bounded) is read from the host
// one part at a time as it is framed, and its chain value computed piece by
// piece: the stream then holds one part of the transaction, never all of
// it (a peer before protocol 5 still gets it whole, read whole). Once a frame is
// written it hands the frame back with recycle(), so a later batch reuses its
// buffers. One caller of the chain_*() side at a time and one of seal() at a
// time (the two may run at once); recycle() may run while either does.
#pragma once

#include "protocol/batch.hpp"
#include "protocol/batch_packing.hpp"
#include "protocol/frame.hpp"
#include "upstream/commit_notifier.hpp"
#include "upstream/log_tx_reader.hpp"
#include "upstream/shared_log.hpp"

#include <ccdr/host_handle.hpp>
#include <ccdr/status.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <vector>

namespace ccdr::plugin {

// One batch read from the log and framed.
struct ProducedBatch {
    Status status;  // CCDR_LOG_PRUNED when the log no longer holds first_tx
    protocol::EncodedFrame frame;
    uint64_t first_tx = 0;
    uint64_t last_tx = 0;
    int64_t first_commit_ms = 0;  // the commit time of first_tx
    size_t count = 0;    // 0: nothing new in the log
    bool large = false;  // at least half of ccdr.batch.max_bytes: a backlog, send the next at once
    bool more_parts = false;  // a TX_PART frame, and more parts of the transaction follow (next_part())
};

// A batch read and chained, its payload not yet compressed: the first
// stage's output (Batcher::chain_next and the like), the second's input
// (Batcher::seal). `batch` is all but its frame.
struct ChainedBatch {
    ProducedBatch batch;
    protocol::MessageType type = protocol::MessageType::kBatch;
    std::vector<uint8_t> payload;
    uint64_t sequence = 0;  // 1, 2, ... for the batches seal() compresses; 0: nothing to seal
};

class Batcher {
public:
    // The chain starts at chain_seed(store id, epoch, from_tx), as the
    // replica's verifier does.
    // `stream`: compress as one LZ4 stream (needs `compress`, and a peer of
    // protocol::kStreamCompressionProtocol or later). `shared`: the
    // database's shared log; null: a log of this batcher's own, which keeps
    // only its last slice.
    // `parts`: send a transaction larger than a batch in TX_PART frames (a
    // peer of protocol::kTxPartProtocol or later). `stream_form`: how the
    // stream's blocks are headed (with `stream`): kShort for a peer of
    // protocol::kShortFrameProtocol, kCompact for one of
    // protocol::kCompactFrameProtocol or later; the BATCH payloads of both
    // are packed (batch_packing.hpp).
    Batcher(HostHandle host, std::string database, uint64_t chain_seed, uint64_t from_tx, uint64_t batch_max_bytes,
            protocol::FrameLimits limits, bool compress, bool stream = false,
            std::shared_ptr<SharedLog> shared = nullptr, bool parts = false,
            protocol::StreamFrameForm stream_form = protocol::StreamFrameForm::kFull);
    Batcher(const Batcher&) = delete;
    Batcher& operator=(const Batcher&) = delete;

    // The id the next batch starts at.
    uint64_t next_tx() const { return builder_.next_tx(); }
    // The next batch: seal(chain_next(position)). `position` is the
    // database's last commit as after_commit reported it; the batch says at
    // least its own last tx.
    ProducedBatch produce(const CommitPosition& position) { return seal(chain_next(position)); }
    // The batch of `slice`, which must start at next_tx(): chained, framed
    // (compressed with this stream's LZ4 stream where it has one). No log read.
    // A transaction in parts: its first part. seal(chain_slice(...)).
    ProducedBatch frame(std::shared_ptr<const LogSlice> slice, const CommitPosition& position) {
        return seal(chain_slice(std::move(slice), position));
    }
    // The next part of the transaction in parts (in_parts()). No log read.
    ProducedBatch next_part(const CommitPosition& position) { return seal(chain_part(position)); }

    // The first stage of produce(), frame() and next_part(): the batch read,
    // chained and packed, next_tx() advanced past it.
    ChainedBatch chain_next(const CommitPosition& position);
    ChainedBatch chain_slice(std::shared_ptr<const LogSlice> slice, const CommitPosition& position);
    ChainedBatch chain_part(const CommitPosition& position);
    // The second stage: the chained batch compressed and checksummed into
    // its frame. A batch without a payload (a failure, nothing new) passes
    // through untouched. CCDR_OUT_OF_ORDER for a batch chained before or
    // after the one expected next.
    ProducedBatch seal(ChainedBatch&& chained);
    bool in_parts() const { return parts_in_progress_ != nullptr; }
    SharedLog& shared() { return *shared_; }
    // A written frame: its buffers serve a later batch. Thread-safe.
    void recycle(protocol::EncodedFrame&& frame);

private:
    // A transaction being sent in parts: its slice and the bytes sent so far.
    struct PartsInProgress {
        std::shared_ptr<const LogSlice> slice;
        ccdr_tx tx{};     // views into slice->records (no data when read from the host)
        uint64_t chain = 0;
        uint32_t sent = 0;
        // An unread slice: the host's reader, the chain as far as read, and
        // the buffer each part is read into.
        std::unique_ptr<LogTxReader> reader;
        protocol::ChainHasher hasher;
        std::vector<uint8_t> piece;
    };
    // An unread slice's transaction: in parts, or read whole for a peer
    // before protocol 5.
    ChainedBatch chain_unread(std::shared_ptr<const LogSlice> slice, const CommitPosition& position);
    // The next part's bytes: a view into the slice, or read from the host.
    Result<std::span<const uint8_t>> part_bytes(PartsInProgress& parts, size_t len);
    // `out` with `payload` to seal, numbered in chain order.
    ChainedBatch to_seal(ProducedBatch out, protocol::MessageType type, std::vector<uint8_t> payload);
    // Each stage's buffers of written frames (recycle()).
    void take_chain_spares();
    void take_seal_spares();

    // The chain side: chain_*() alone touch these.
    HostHandle host_;
    std::string database_;
    std::shared_ptr<SharedLog> shared_;
    const bool parts_;
    std::unique_ptr<PartsInProgress> parts_in_progress_;
    uint64_t batch_max_;
    std::unique_ptr<protocol::BatchPacker> packer_;  // null: BATCH payloads as batch.hpp lays them out
    std::vector<uint8_t> pack_scratch_;              // the next packed payload's buffer
    protocol::BatchBuilder builder_;
    uint64_t chained_ = 0;  // the sequence of the last batch chained to seal
    // The seal side: seal() alone touches these.
    protocol::FrameLimits limits_;
    bool compress_;
    std::unique_ptr<protocol::Lz4StreamEncoder> stream_;  // null: independent blocks
    protocol::StreamFrameForm stream_form_;
    std::vector<uint8_t> compress_scratch_;
    uint64_t sealed_ = 0;  // the sequence of the last batch sealed
    // Buffers of written frames, handed over by recycle() (any thread) and
    // taken one per batch by each stage. Up to kSpareSets of each wait: with
    // batches chained, sealed and written at once, a single slot would drop
    // buffers and a later batch pay for fresh pages.
    static constexpr size_t kSpareSets = 4;
    std::mutex spares_mu_;
    std::vector<std::vector<uint8_t>> spare_payloads_;
    std::vector<std::vector<uint8_t>> spare_compressed_;
};

}  // namespace ccdr::plugin

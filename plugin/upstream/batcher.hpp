// plugin/upstream/batcher.hpp: the batches of one subscription. produce()
// reads the host's log from the next transaction not yet batched, until the
// encoded batch reaches ccdr.batch.max_bytes (read_log gives at least one
// transaction), chains every transaction to the one before
// (protocol::BatchBuilder), stamps the upstream's position and frames the
// batch: as the next block of the subscription's LZ4 stream on a session of
// protocol 4 or later (small batches then compress as well as large ones),
// otherwise as an independent LZ4 block where that shrinks it.
//
// produce() blocks (read_log): the stream runs it on the blocking pool,
// while it writes the batch before (batch_prefetch.hpp); once a frame is
// written it hands the frame back with recycle(), so a later batch reuses its
// buffers. One producer at a time; recycle() may run while it produces.
#pragma once

#include "protocol/batch.hpp"
#include "protocol/frame.hpp"
#include "upstream/commit_notifier.hpp"

#include <ccdr/host_handle.hpp>
#include <ccdr/status.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
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
};

class Batcher {
public:
    // The chain starts at chain_seed(store id, epoch, from_tx), as the
    // replica's verifier does.
    // `stream`: compress as one LZ4 stream (needs `compress`, and a peer of
    // protocol::kStreamCompressionProtocol or later).
    Batcher(HostHandle host, std::string database, uint64_t chain_seed, uint64_t from_tx, uint64_t batch_max_bytes,
            protocol::FrameLimits limits, bool compress, bool stream = false);
    Batcher(const Batcher&) = delete;
    Batcher& operator=(const Batcher&) = delete;

    // The id the next batch starts at.
    uint64_t next_tx() const { return builder_.next_tx(); }
    // The next batch. `position` is the database's last commit as
    // after_commit reported it; the batch says at least its own last tx.
    ProducedBatch produce(const CommitPosition& position);
    // A written frame: its buffers serve a later batch. Thread-safe.
    void recycle(protocol::EncodedFrame&& frame);

private:
    HostHandle host_;
    std::string database_;
    uint64_t batch_max_;
    protocol::FrameLimits limits_;
    bool compress_;
    std::unique_ptr<protocol::Lz4StreamEncoder> stream_;  // null: independent blocks
    protocol::BatchBuilder builder_;
    std::vector<uint8_t> compress_scratch_;
    // Buffers of written frames, handed over by recycle() (any thread) and
    // taken by the next produce().
    std::mutex spares_mu_;
    std::vector<uint8_t> spare_payload_;
    std::vector<uint8_t> spare_compressed_;
};

}  // namespace ccdr::plugin

// plugin/upstream/batch_pipeline.hpp: a subscription's backlog produced ahead
// of the writes, in two stages on the blocking pool: one task reads and
// chains batch n+2 (Batcher::chain_next) while another compresses and
// checksums batch n+1 (Batcher::seal) and the stream's I/O strand writes
// batch n.
//
// Why two stages: for 200-byte transactions building the records, the hash
// chain and the packing cost about as much as LZ4 does. In one task the two
// add up on one thread and the pipeline runs at half of LZ4's speed; split,
// the busiest thread does little more than LZ4 (docs/benchmarks.md, issue 18
// item 5).
//
// Order and exactly once: at most one chain task and one seal task run at a
// time, each started from the strand after the one before it ended, so the
// Batcher sees its chain side and its seal side called one at a time; the
// seal task takes the chained batches in the order they were chained (and
// Batcher::seal refuses any other), and take() hands them out in that
// order, each once. The stream touches the Batcher only through this until
// idle() (it is not thread-safe).
//
// How far ahead: one batch chained or being chained, one being sealed, one
// sealed waiting for the writer (so one write, three batches' buffers
// ahead). It chains on while the last batch chained was a full one, the log
// holds more and `more` (the stream's window) says so; a batch that ends the
// backlog, a transaction in parts, a failure or nothing new stops it.
#pragma once

#include "runtime/asio.hpp"
#include "runtime/io_runtime.hpp"
#include "upstream/batcher.hpp"

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>

namespace ccdr::plugin {

class BatchPipeline : public std::enable_shared_from_this<BatchPipeline> {
public:
    // Called on the strand before each further batch is chained: whether the
    // stream takes another batch beyond `ahead_bytes` (the payload bytes
    // already produced and not yet taken), the last chained ending at
    // `last_tx`.
    using More = std::function<bool(uint64_t last_tx, uint64_t ahead_bytes)>;

    BatchPipeline(boost::asio::thread_pool& pool, runtime::Strand strand, std::shared_ptr<Batcher> batcher,
                  const CommitPosition& position, More more);
    BatchPipeline(const BatchPipeline&) = delete;
    BatchPipeline& operator=(const BatchPipeline&) = delete;

    // On the strand: starts chaining from batcher->next_tx(). `position`
    // must outlive the pipeline's work: the stream awaits stop() (or takes
    // until idle()) before it ends.
    static std::shared_ptr<BatchPipeline> start(boost::asio::thread_pool& pool, runtime::Strand strand,
                                                std::shared_ptr<Batcher> batcher, const CommitPosition& position,
                                                More more);

    // On the strand, while !idle(): the next batch in order, once sealed.
    boost::asio::awaitable<ProducedBatch> take();
    // On the strand: nothing running, nothing held. The Batcher is the
    // stream's again, and the pipeline starts nothing more.
    bool idle() const { return !chaining_ && !sealing_ && chained_.empty() && !sealed_; }
    // On the strand: starts nothing more, waits for the running tasks and
    // drops what they produced (the stream ends).
    boost::asio::awaitable<void> stop();

private:
    // Starts whichever stage may run now (on the strand).
    void pump();
    void start_chain();
    void start_seal();
    uint64_t ahead_bytes() const;

    boost::asio::thread_pool& pool_;
    runtime::Strand strand_;
    std::shared_ptr<Batcher> batcher_;
    const CommitPosition& position_;
    More more_;
    boost::asio::steady_timer changed_;  // cancelled whenever a task ends
    bool chaining_ = false;
    bool sealing_ = false;
    uint64_t sealing_bytes_ = 0;
    uint64_t taken_bytes_ = 0;  // the batch last taken, which the stream is writing
    bool chain_on_ = true;     // the last batch chained was a full one: chain the next (if `more`)
    uint64_t last_chained_tx_ = 0;
    bool stopping_ = false;
    std::deque<ChainedBatch> chained_;    // chained, not yet sealing (at most one)
    std::optional<ProducedBatch> sealed_;  // sealed, not yet taken
};

}  // namespace ccdr::plugin

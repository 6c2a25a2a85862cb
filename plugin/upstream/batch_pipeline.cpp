#include "upstream/batch_pipeline.hpp"

#include <chrono>
#include <utility>

namespace ccdr::plugin {

namespace asio = boost::asio;

BatchPipeline::BatchPipeline(asio::thread_pool& pool, runtime::Strand strand, std::shared_ptr<Batcher> batcher,
                             const CommitPosition& position, More more)
    : pool_(pool),
      strand_(strand),
      batcher_(std::move(batcher)),
      position_(position),
      more_(std::move(more)),
      changed_(strand) {
    changed_.expires_at(std::chrono::steady_clock::time_point::max());
}

std::shared_ptr<BatchPipeline> BatchPipeline::start(asio::thread_pool& pool, runtime::Strand strand,
                                                    std::shared_ptr<Batcher> batcher, const CommitPosition& position,
                                                    More more) {
    auto self = std::make_shared<BatchPipeline>(pool, strand, std::move(batcher), position, std::move(more));
    self->start_chain();  // the stream asked for the batch after the one it writes now
    return self;
}

void BatchPipeline::start_chain() {
    chaining_ = true;
    asio::post(pool_, [self = shared_from_this()] {
        ChainedBatch chained = self->batcher_->chain_next(self->position_);
        asio::post(self->strand_, [self, chained = std::move(chained)]() mutable {
            self->chaining_ = false;
            const ProducedBatch& b = chained.batch;
            // A short batch ends the backlog; a transaction in parts goes on
            // through the stream's own next_part() calls, after this one.
            self->chain_on_ = b.status && b.count > 0 && b.large && !b.more_parts;
            self->last_chained_tx_ = b.last_tx;
            if (!self->stopping_) {
                self->chained_.push_back(std::move(chained));
            }
            self->changed_.cancel();
            self->pump();
        });
    });
}

void BatchPipeline::start_seal() {
    sealing_ = true;
    ChainedBatch next = std::move(chained_.front());
    chained_.pop_front();
    sealing_bytes_ = next.payload.size();
    asio::post(pool_, [self = shared_from_this(), next = std::move(next)]() mutable {
        ProducedBatch sealed = self->batcher_->seal(std::move(next));
        asio::post(self->strand_, [self, sealed = std::move(sealed)]() mutable {
            self->sealing_ = false;
            self->sealing_bytes_ = 0;
            if (!self->stopping_) {
                self->sealed_ = std::move(sealed);
            }
            self->changed_.cancel();
            self->pump();
        });
    });
}

uint64_t BatchPipeline::ahead_bytes() const {
    // The batch last taken counts too: the stream puts it in its window
    // only when it writes it, after take() has already asked for more (and
    // once written it counts twice, which only errs on the window's side).
    uint64_t bytes = taken_bytes_ + sealing_bytes_;
    for (const ChainedBatch& c : chained_) {
        bytes += c.payload.size();
    }
    if (sealed_) {
        bytes += sealed_->frame.wire_size();
    }
    return bytes;
}

void BatchPipeline::pump() {
    if (stopping_) {
        return;
    }
    // The seal side: the oldest chained batch, once the writer has room for it.
    if (!sealing_ && !sealed_ && !chained_.empty()) {
        start_seal();
    }
    // The chain side: one batch waits for the seal side at most.
    if (!chaining_ && chained_.empty() && chain_on_ && more_(last_chained_tx_, ahead_bytes())) {
        start_chain();
    }
}

asio::awaitable<ProducedBatch> BatchPipeline::take() {
    while (!sealed_) {
        boost::system::error_code ignored;
        co_await changed_.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
    }
    ProducedBatch out = std::move(*sealed_);
    sealed_.reset();
    taken_bytes_ = out.frame.wire_size();
    pump();
    co_return out;
}

asio::awaitable<void> BatchPipeline::stop() {
    stopping_ = true;
    chained_.clear();
    sealed_.reset();
    while (chaining_ || sealing_) {
        boost::system::error_code ignored;
        co_await changed_.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
    }
}

}  // namespace ccdr::plugin

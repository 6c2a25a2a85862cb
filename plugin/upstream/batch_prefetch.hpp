// plugin/upstream/batch_prefetch.hpp: the next batch of a subscription,
// produced (log read, records chained, LZ4-compressed, checksummed) on the
// blocking pool while the stream's I/O strand writes the current one.
//
// Why: in a catch-up the batcher's work per batch is about as long as
// writing it (TLS sealing and the socket), and one after the other they
// leave a core idle; overlapped, the I/O thread only writes. Only one
// prefetch runs at a time and the stream touches the Batcher only through
// it until take() returns (Batcher is not thread-safe), so batches stay in
// order and each is produced exactly once.
#pragma once

#include "runtime/asio.hpp"
#include "runtime/io_runtime.hpp"
#include "upstream/batcher.hpp"

#include <chrono>
#include <memory>
#include <optional>

namespace ccdr::plugin {

class BatchPrefetch : public std::enable_shared_from_this<BatchPrefetch> {
public:
    explicit BatchPrefetch(runtime::Strand strand) : strand_(strand), ready_(strand) {
        ready_.expires_at(std::chrono::steady_clock::time_point::max());
    }

    // Starts batcher->produce(position) on `pool`. `position` must outlive
    // the work: the stream awaits take() before it ends.
    static std::shared_ptr<BatchPrefetch> start(boost::asio::thread_pool& pool, runtime::Strand strand,
                                                std::shared_ptr<Batcher> batcher, const CommitPosition& position) {
        auto self = std::make_shared<BatchPrefetch>(strand);
        boost::asio::post(pool, [self, batcher = std::move(batcher), &position] {
            ProducedBatch produced = batcher->produce(position);
            boost::asio::post(self->strand_, [self, produced = std::move(produced)]() mutable {
                self->result_ = std::move(produced);
                self->ready_.cancel();
            });
        });
        return self;
    }

    // On the strand: the produced batch, once the pool has it.
    boost::asio::awaitable<ProducedBatch> take() {
        while (!result_) {
            boost::system::error_code ignored;
            co_await ready_.async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ignored));
        }
        co_return std::move(*result_);
    }

private:
    runtime::Strand strand_;
    boost::asio::steady_timer ready_;  // cancelled when result_ is set
    std::optional<ProducedBatch> result_;
};

}  // namespace ccdr::plugin

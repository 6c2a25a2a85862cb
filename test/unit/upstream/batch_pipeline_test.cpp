// The backlog's two-stage pipeline (upstream/batch_pipeline.hpp): batches
// chained on one pool task and sealed on another reach the replica's end in
// order, each transaction exactly once, as one LZ4 stream that decodes
// block after block; a transaction in parts stops the pipeline before its
// first part; the stream's window stops it with nothing produced past what
// it allowed; stop() waits for the running tasks. The send loop here is the
// upstream's (upstream_service.cpp send_batches) without the socket.
#include "support/memory_host.hpp"
#include "runtime/io_runtime.hpp"
#include "upstream/batch_pipeline.hpp"
#include "upstream/batcher.hpp"

#include "protocol/batch_packing.hpp"
#include "protocol/frame.hpp"
#include "protocol/lz4_stream.hpp"
#include "protocol/tx_part.hpp"

#include <ccdr/host_adapter.hpp>

#include <catch2/catch.hpp>

#include <future>
#include <span>
#include <string>
#include <vector>

using ccdr::HostHandle;
using ccdr::plugin::Batcher;
using ccdr::plugin::BatchPipeline;
using ccdr::plugin::CommitPosition;
using ccdr::plugin::ProducedBatch;
using ccdr::test::MemoryHost;
namespace asio = boost::asio;
namespace protocol = ccdr::protocol;
namespace runtime = ccdr::runtime;

namespace {

std::vector<uint8_t> payload(uint64_t i, size_t size) {
    std::vector<uint8_t> out(size);
    for (size_t k = 0; k < size; ++k) {
        out[k] = static_cast<uint8_t>((i * 131 + k / 16) % 251);  // compressible, different per tx
    }
    return out;
}

// One database "foo" with transactions 1..n of `size(i)` bytes each.
struct Log {
    MemoryHost host{"a1", {}};
    std::string store_id;
    CommitPosition position;
    Log() {
        REQUIRE(host.create_database({"foo", CCDR_KIND_STANDARD, 1, 0, "", 0, {}}));
        store_id = host.member("foo")->store_id;
    }
    template <typename Size>
    void commit(uint64_t n, Size size) {
        for (uint64_t i = 1; i <= n; ++i) {
            auto id = host.commit("foo", payload(i, size(i)));
            REQUIRE(id);
            REQUIRE(*id == i);
        }
        position.advance(n, 0);
    }
    // A protocol 6 stream: one LZ4 stream, short headers, packed batches,
    // TX_PART for transactions larger than `batch_max`.
    std::shared_ptr<Batcher> batcher(uint64_t batch_max) {
        return std::make_shared<Batcher>(HostHandle(ccdr::host_api(), host.ctx()), "foo",
                                         protocol::chain_seed(store_id, 1, 1), 1, batch_max, protocol::FrameLimits{},
                                         true, true, nullptr, true, protocol::StreamFrameForm::kCompact);
    }
};

// What the stream sent, in order: each frame's bytes as written, and what
// the loop saw when it took the frame.
struct Sent {
    std::vector<std::vector<uint8_t>> frames;
    std::vector<ccdr::Status> failures;
    bool pipeline_busy_at_parts = false;  // a first part taken while the pipeline still ran
    uint64_t next_tx_after_window = 0;    // the batcher's next tx once the window stopped the pipeline
    uint64_t last_sent_before_window = 0;
    bool busy_after_stop = false;
};

void write(Sent& sent, Batcher& batcher, ProducedBatch&& batch) {
    std::vector<uint8_t> bytes(batch.frame.header_bytes().begin(), batch.frame.header_bytes().end());
    bytes.insert(bytes.end(), batch.frame.body.begin(), batch.frame.body.end());
    sent.frames.push_back(std::move(bytes));
    batcher.recycle(std::move(batch.frame));  // its buffers serve a later batch, as after a write
}

// The upstream's send loop for a backlog: the first batch produced
// directly, then a pipeline while batches are full and more is committed,
// a transaction in parts through next_part(), a direct produce() again
// whenever the pipeline went idle. `more` is the window's say.
Sent send_backlog(Log& log, std::shared_ptr<Batcher> batcher, BatchPipeline::More window_more,
                  size_t stop_after = 0) {
    runtime::IoRuntime rt(1, 2);
    rt.start();
    runtime::Strand strand = rt.make_strand();
    Sent sent;
    std::promise<void> done;
    rt.spawn(strand, [&]() -> asio::awaitable<void> {
        const CommitPosition& position = log.position;
        auto more = [&](uint64_t last_tx, uint64_t ahead) {
            return last_tx < position.last_tx.load() && window_more(last_tx, ahead);
        };
        std::shared_ptr<BatchPipeline> pipeline;
        ProducedBatch produced = batcher->produce(position);
        while (produced.status && produced.count > 0) {
            if (produced.more_parts) {
                sent.pipeline_busy_at_parts = sent.pipeline_busy_at_parts || pipeline != nullptr;
                while (produced.more_parts) {
                    write(sent, *batcher, std::move(produced));
                    produced = batcher->next_part(position);
                }
                continue;
            }
            if (!pipeline && produced.large && more(produced.last_tx, produced.frame.wire_size())) {
                pipeline = BatchPipeline::start(rt.blocking_pool(), strand, batcher, position, more);
            }
            write(sent, *batcher, std::move(produced));
            if (stop_after != 0 && sent.frames.size() == stop_after && pipeline) {
                co_await pipeline->stop();
                sent.busy_after_stop = !pipeline->idle();
                break;
            }
            if (pipeline) {
                produced = co_await pipeline->take();
                if (pipeline->idle()) {
                    pipeline.reset();
                    if (sent.next_tx_after_window == 0 && produced.last_tx < position.last_tx.load()) {
                        sent.last_sent_before_window = produced.last_tx;
                        sent.next_tx_after_window = batcher->next_tx();
                    }
                }
            } else {
                produced = batcher->produce(position);
            }
        }
        if (!produced.status) {
            sent.failures.push_back(produced.status);
        }
        if (pipeline) {
            co_await pipeline->stop();  // as the upstream does: its tasks hold the batcher and `position`
        }
        done.set_value();
    });
    done.get_future().wait();
    rt.stop();
    return sent;
}

// The replica's end: every frame decoded in order through one LZ4 stream
// decoder, batches unpacked and chain-verified, parts put together.
// Returns the transaction ids in the order they arrived, whole.
std::vector<uint64_t> receive(Log& log, const Sent& sent) {
    protocol::FrameLimits limits;
    protocol::Lz4StreamDecoder stream;
    protocol::BatchUnpacker unpacker;
    protocol::ChainVerifier chain(protocol::chain_seed(log.store_id, 1, 1), 1);
    protocol::TxPartVerifier parts;
    std::vector<uint64_t> ids;
    std::vector<uint8_t> assembled;
    for (const auto& bytes : sent.frames) {
        auto frame = protocol::decode_frame(bytes, limits, &stream);
        REQUIRE(frame);
        if (frame->header.type == protocol::MessageType::kTxPart) {
            auto part = protocol::decode_tx_part(std::move(frame->payload));
            REQUIRE(part);
            REQUIRE(parts.accept(*part, chain));
            assembled.insert(assembled.end(), part->bytes.begin(), part->bytes.end());
            if (part->last()) {
                CHECK(assembled == payload(part->header.tx_id, assembled.size()));
                ids.push_back(part->header.tx_id);
                assembled.clear();
            }
            continue;
        }
        REQUIRE(frame->header.type == protocol::MessageType::kBatch);
        std::vector<uint8_t> unpacked;
        REQUIRE(unpacker.unpack(frame->payload, unpacked));
        auto batch = protocol::decode_batch(std::move(unpacked));
        REQUIRE(batch);
        REQUIRE(chain.verify(*batch));
        for (const ccdr_tx& tx : batch->txs) {
            CHECK(std::vector<uint8_t>(tx.payload.data, tx.payload.data + tx.payload.len) ==
                  payload(tx.tx_id, tx.payload.len));
            ids.push_back(tx.tx_id);
        }
    }
    return ids;
}

std::vector<uint64_t> one_to(uint64_t n) {
    std::vector<uint64_t> out;
    for (uint64_t i = 1; i <= n; ++i) {
        out.push_back(i);
    }
    return out;
}

auto always = [](uint64_t, uint64_t) { return true; };

}  // namespace

TEST_CASE("batch pipeline: a backlog arrives in order, each transaction once, as one LZ4 stream",
          "[upstream][pipeline]") {
    Log log;
    log.commit(3000, [](uint64_t) { return 300; });
    // About 13 transactions per 4 KiB batch: some 230 batches through the pipeline.
    Sent sent = send_backlog(log, log.batcher(4096), always);
    REQUIRE(sent.failures.empty());
    CHECK(sent.frames.size() > 200);
    CHECK(receive(log, sent) == one_to(3000));
}

TEST_CASE("batch pipeline: a transaction in parts stops it before its first part, and it starts again after",
          "[upstream][pipeline]") {
    Log log;
    // tx 500 is five batches long; the rest are small.
    log.commit(1000, [](uint64_t i) { return i == 500 ? 20'000 : 300; });
    Sent sent = send_backlog(log, log.batcher(4096), always);
    REQUIRE(sent.failures.empty());
    CHECK_FALSE(sent.pipeline_busy_at_parts);
    CHECK(receive(log, sent) == one_to(1000));
}

TEST_CASE("batch pipeline: the window stops it with nothing chained past what it allowed", "[upstream][pipeline]") {
    Log log;
    log.commit(2000, [](uint64_t) { return 300; });
    auto batcher = log.batcher(4096);
    // The window takes batches up to tx 600, then no more ahead: the rest
    // goes one batch at a time, produced directly.
    bool refused = false;
    auto window = [&](uint64_t last_tx, uint64_t) {
        refused = refused || last_tx >= 600;
        return last_tx < 600;
    };
    Sent sent = send_backlog(log, batcher, window);
    REQUIRE(sent.failures.empty());
    REQUIRE(refused);
    // The pipeline went idle after the batch the window stopped at; the
    // batcher continues right after it (nothing produced and dropped).
    CHECK(sent.last_sent_before_window >= 600);
    CHECK(sent.next_tx_after_window == sent.last_sent_before_window + 1);
    CHECK(receive(log, sent) == one_to(2000));
}

TEST_CASE("batch pipeline: stop() waits for its tasks and leaves it idle", "[upstream][pipeline]") {
    Log log;
    log.commit(2000, [](uint64_t) { return 300; });
    Sent sent = send_backlog(log, log.batcher(4096), always, 5);
    REQUIRE(sent.failures.empty());
    CHECK(sent.frames.size() == 5);
    CHECK_FALSE(sent.busy_after_stop);
    // What was sent is still a whole prefix of the log.
    std::vector<uint64_t> ids = receive(log, sent);
    CHECK(ids == one_to(ids.size()));
}

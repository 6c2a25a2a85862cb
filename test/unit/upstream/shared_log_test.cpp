// The database's shared log (upstream/shared_log.hpp): streams at the same
// position share one read of the log, each with its own hash chain; a stream
// behind the cache, or joining in the middle of a slice, reads alone up to
// the next cached slice and then shares again; a stream past the tip starts
// the cache there; the cache keeps to its byte bound; and streams framing
// from one log on several threads while transactions commit each get every
// transaction exactly once, in order, verified against their own chain.
// Transactions the host hands over at commit (ABI 1.2 after_commit_txs) are
// sent without a read when they continue the cache, and left to the log when
// they do not.
#include "support/memory_host.hpp"
#include "upstream/batcher.hpp"
#include "upstream/shared_log.hpp"

#include <ccdr/host_adapter.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <span>
#include <thread>

using ccdr::HostHandle;
using ccdr::plugin::Batcher;
using ccdr::plugin::CommitPosition;
using ccdr::plugin::ProducedBatch;
using ccdr::plugin::SharedLog;
using ccdr::plugin::SharedLogs;
using ccdr::test::MemoryHost;
namespace protocol = ccdr::protocol;

namespace {

HostHandle handle(MemoryHost& host) { return HostHandle(ccdr::host_api(), host.ctx()); }

std::vector<uint8_t> payload(uint64_t i, size_t size) {
    std::vector<uint8_t> out(size);
    for (size_t k = 0; k < size; ++k) {
        out[k] = static_cast<uint8_t>(i * 13 + k * 3);
    }
    return out;
}

void commit(MemoryHost& host, uint64_t first, uint64_t last, size_t size = 100) {
    for (uint64_t i = first; i <= last; ++i) {
        auto id = host.commit("foo", payload(i, size));
        REQUIRE(id);
        REQUIRE(*id == i);
    }
}

// One subscriber: its batcher on the shared log and the replica's verifier,
// both from its own starting point.
struct Stream {
    Stream(MemoryHost& host, const std::string& store_id, std::shared_ptr<SharedLog> log, uint64_t from,
           uint64_t batch_max)
        : batcher(handle(host), "foo", protocol::chain_seed(store_id, 1, from), from, batch_max,
                  protocol::FrameLimits{}, true, true, std::move(log)),
          verifier(protocol::chain_seed(store_id, 1, from), from) {}

    // Produces, checks the chain and the payloads; the batch's tx count.
    size_t step(const CommitPosition& position, size_t size = 100) {
        ProducedBatch produced = batcher.produce(position);
        REQUIRE(produced.status);
        if (produced.count == 0) {
            return 0;
        }
        // The LZ4 stream's decoder, as the replica keeps one per connection.
        protocol::FrameLimits limits;
        auto header = protocol::decode_header(
            std::span<const uint8_t, protocol::kFrameHeaderSize>(produced.frame.header), limits);
        REQUIRE(header);
        auto bytes = protocol::decode_payload(*header, std::span<const uint8_t>(produced.frame.body), &lz4);
        REQUIRE(bytes);
        auto batch = protocol::decode_batch(std::move(bytes.value()));
        REQUIRE(batch);
        REQUIRE(verifier.verify(*batch));
        for (const ccdr_tx& tx : batch->txs) {
            REQUIRE(std::vector<uint8_t>(tx.payload.data, tx.payload.data + tx.payload.len) == payload(tx.tx_id, size));
        }
        batcher.recycle(std::move(produced.frame));
        return batch->txs.size();
    }

    Batcher batcher;
    protocol::ChainVerifier verifier;
    protocol::Lz4StreamDecoder lz4;
};

// What the host hands over for tx `first`..`last` (payload(i, size) each),
// as after_commit_txs would; the payloads live as long as the object.
struct Handed {
    Handed(uint64_t first, uint64_t last, size_t size = 100) {
        for (uint64_t i = first; i <= last; ++i) {
            payloads.push_back(payload(i, size));
        }
        for (uint64_t i = first; i <= last; ++i) {
            const auto& p = payloads[i - first];
            txs.push_back(ccdr_tx{i, static_cast<int64_t>(i), ccdr_bytes{p.data(), p.size()}});
        }
    }
    std::vector<std::vector<uint8_t>> payloads;
    std::vector<ccdr_tx> txs;
};

struct Fixture {
    MemoryHost host{"a1", {}};
    std::string store_id;
    Fixture() {
        REQUIRE(host.create_database({"foo", CCDR_KIND_STANDARD, 1, 0, "", 0, {}}));
        store_id = host.member("foo")->store_id;
    }
};

}  // namespace

TEST_CASE("shared log: streams at the same position share one read, each with its own chain",
          "[upstream][shared_log]") {
    Fixture f;
    commit(f.host, 1, 10);
    CommitPosition position;
    position.advance(10, 0);
    auto log = std::make_shared<SharedLog>(handle(f.host), "foo", 1 << 20, 4 << 20);
    // Different chain seeds (as two replicas subscribed at different times
    // would have) over the same records.
    Stream a(f.host, f.store_id, log, 1, 1 << 20);
    Stream b(f.host, f.store_id, log, 1, 1 << 20);
    CHECK(a.step(position) == 10);
    CHECK(b.step(position) == 10);
    auto counts = log->counts();
    CHECK(counts.reads == 1);
    CHECK(counts.hits == 1);
    CHECK(counts.solo_reads == 0);
    CHECK(log->tip() == 11);

    // find() gives the slice without reading; frame() turns it into a batch.
    commit(f.host, 11, 12);
    position.advance(12, 0);
    CHECK(log->find(11) == nullptr);
    CHECK(a.step(position) == 2);
    auto slice = log->find(11);
    REQUIRE(slice);
    CHECK(slice->first_tx == 11);
    CHECK(slice->last_tx == 12);
    ProducedBatch framed = b.batcher.frame(slice, position);
    REQUIRE(framed.status);
    CHECK(framed.first_tx == 11);
    CHECK(framed.last_tx == 12);
    // Compressed on b's own LZ4 stream: decoded with b's decoder.
    protocol::FrameLimits limits;
    auto header = protocol::decode_header(std::span<const uint8_t, protocol::kFrameHeaderSize>(framed.frame.header),
                                          limits);
    REQUIRE(header);
    auto bytes = protocol::decode_payload(*header, std::span<const uint8_t>(framed.frame.body), &b.lz4);
    REQUIRE(bytes);
    auto batch = protocol::decode_batch(std::move(bytes.value()));
    REQUIRE(batch);
    CHECK(b.verifier.verify(*batch));
    CHECK(log->counts().reads == 2);
}

TEST_CASE("shared log: a slow stream falls behind the bounded cache, reads alone, and shares again",
          "[upstream][shared_log]") {
    Fixture f;
    // 1000-byte transactions, 4096-byte batches: 4 transactions (4 112 bytes
    // of records) a slice; a 9 000-byte cache keeps 2 slices.
    commit(f.host, 1, 40, 1000);
    CommitPosition position;
    position.advance(40, 0);
    auto log = std::make_shared<SharedLog>(handle(f.host), "foo", 4096, 9000);
    Stream fast(f.host, f.store_id, log, 1, 4096);
    Stream slow(f.host, f.store_id, log, 1, 4096);
    CHECK(fast.step(position, 1000) == 4);  // tx 1-4, read
    CHECK(slow.step(position, 1000) == 4);  // tx 1-4, shared
    for (int i = 0; i < 6; ++i) {
        CHECK(fast.step(position, 1000) == 4);  // up to tx 28
    }
    auto counts = log->counts();
    CHECK(counts.reads == 7);
    CHECK(counts.hits == 1);
    // Bounded: two slices (the oldest dropped), within the byte bound.
    CHECK(counts.cached_slices == 2);
    CHECK(counts.cached_bytes <= 9000);
    CHECK(log->find(5) == nullptr);
    REQUIRE(log->find(21));  // counts as a hit
    // The slow stream at tx 5: behind the cache, it reads alone (4 at most
    // per batch) up to tx 20, the first cached slice, then shares it.
    size_t alone = 0;
    while (slow.verifier.next_tx() < 21) {
        alone += slow.step(position, 1000);
    }
    CHECK(alone == 16);
    CHECK(log->counts().solo_reads == 4);
    CHECK(slow.step(position, 1000) == 4);  // tx 21-24 from the cache
    CHECK(log->counts().hits == 3);
    CHECK(log->counts().reads == 7);
    // Both go on to the end, every transaction once and in order.
    while (fast.verifier.next_tx() <= 40) {
        REQUIRE(fast.step(position, 1000) > 0);
    }
    while (slow.verifier.next_tx() <= 40) {
        REQUIRE(slow.step(position, 1000) > 0);
    }
    CHECK(fast.step(position, 1000) == 0);
    CHECK(slow.step(position, 1000) == 0);
    CHECK(log->counts().reads == 10);
}

TEST_CASE("shared log: a stream joining in the middle of a slice reads up to the next one", "[upstream][shared_log]") {
    Fixture f;
    commit(f.host, 1, 12, 1000);
    CommitPosition position;
    position.advance(12, 0);
    auto log = std::make_shared<SharedLog>(handle(f.host), "foo", 4096, 1 << 20);
    Stream first(f.host, f.store_id, log, 1, 4096);
    CHECK(first.step(position, 1000) == 4);  // slice 1-4
    CHECK(first.step(position, 1000) == 4);  // slice 5-8
    // A replica subscribing at tx 3 (mid-slice): tx 3-4 alone, then 5-8 shared.
    Stream joiner(f.host, f.store_id, log, 3, 4096);
    CHECK(joiner.step(position, 1000) == 2);
    CHECK(log->counts().solo_reads == 1);
    CHECK(joiner.step(position, 1000) == 4);
    CHECK(log->counts().hits == 1);
    // Now at the tip (tx 9) with the first: it reads, the first shares.
    CHECK(joiner.step(position, 1000) == 4);
    CHECK(first.step(position, 1000) == 4);
    CHECK(log->counts().reads == 3);
    CHECK(log->counts().hits == 2);
}

TEST_CASE("shared log: a stream past the tip starts the cache there", "[upstream][shared_log]") {
    Fixture f;
    commit(f.host, 1, 8, 1000);
    CommitPosition position;
    position.advance(8, 0);
    auto log = std::make_shared<SharedLog>(handle(f.host), "foo", 4096, 1 << 20);
    Stream early(f.host, f.store_id, log, 1, 4096);
    CHECK(early.step(position, 1000) == 4);  // cache 1-4
    CHECK(log->tip() == 5);
    Stream late(f.host, f.store_id, log, 7, 4096);
    CHECK(late.step(position, 1000) == 2);  // reads 7-8: the cache restarts at 7
    CHECK(log->tip() == 9);
    CHECK(log->find(1) == nullptr);
    CHECK(log->find(7));  // counts as a hit
    // The early one, behind it now, reads 5-6 alone and then shares 7-8.
    CHECK(early.step(position, 1000) == 2);
    CHECK(log->counts().solo_reads == 1);
    CHECK(early.step(position, 1000) == 2);
    CHECK(log->counts().hits == 2);
}

TEST_CASE("shared log: records that do not continue the chain's next tx are refused", "[upstream][shared_log]") {
    Fixture f;
    commit(f.host, 1, 4);
    CommitPosition position;
    position.advance(4, 0);
    auto log = std::make_shared<SharedLog>(handle(f.host), "foo", 1 << 20, 1 << 20);
    Stream a(f.host, f.store_id, log, 1, 1 << 20);
    CHECK(a.step(position) == 4);
    auto slice = log->find(1);
    REQUIRE(slice);
    // a is at tx 5: the slice of tx 1-4 is not its next.
    ProducedBatch wrong = a.batcher.frame(slice, position);
    CHECK(wrong.status.code() == CCDR_OUT_OF_ORDER);
    CHECK(a.batcher.next_tx() == 5);
}

TEST_CASE("shared log: commits handed over are sent without reading the log", "[upstream][shared_log]") {
    Fixture f;
    auto log = std::make_shared<SharedLog>(handle(f.host), "foo", 1 << 20, 4 << 20);
    Stream a(f.host, f.store_id, log, 1, 1 << 20);
    CommitPosition position;
    commit(f.host, 1, 3);
    // Three commits, each handed over alone while no stream took anything:
    // one slice.
    for (uint64_t i = 1; i <= 3; ++i) {
        log->offer(Handed(i, i).txs);
    }
    position.advance(3, 0);
    CHECK(log->counts().cached_slices == 1);
    CHECK(a.step(position) == 3);
    // Taken by a stream: the next offers start a new slice.
    commit(f.host, 4, 5);
    log->offer(Handed(4, 5).txs);
    position.advance(5, 0);
    CHECK(a.step(position) == 2);
    // Another stream from tx 1 shares both slices.
    Stream b(f.host, f.store_id, log, 1, 1 << 20);
    CHECK(b.step(position) == 3);
    CHECK(b.step(position) == 2);
    auto counts = log->counts();
    CHECK(counts.offered_txs == 5);
    CHECK(counts.reads == 0);
    CHECK(counts.solo_reads == 0);
    CHECK(counts.hits == 4);
    CHECK(f.host.log_reads() == 0);
}

TEST_CASE("shared log: what does not continue the tip is left to the log", "[upstream][shared_log]") {
    Fixture f;
    auto log = std::make_shared<SharedLog>(handle(f.host), "foo", 4096, 1 << 20);
    Stream a(f.host, f.store_id, log, 1, 4096);
    CommitPosition position;
    commit(f.host, 1, 6);
    log->offer(Handed(1, 2).txs);
    position.advance(6, 0);
    CHECK(a.step(position) == 2);
    // tx 3 was not handed over (a host may not): tx 4 leaves a gap.
    log->offer(Handed(4, 4).txs);
    CHECK(log->counts().dropped_offers == 1);
    CHECK(log->tip() == 3);
    CHECK(a.step(position) == 4);  // tx 3-6, read from the log at the tip
    CHECK(log->counts().reads == 1);
    // Handed over late, after the read had them: skipped, nothing dropped.
    log->offer(Handed(5, 6).txs);
    CHECK(log->counts().dropped_offers == 1);
    CHECK(log->counts().offered_txs == 2);
    // Continuing the tip again: kept.
    commit(f.host, 7, 7);
    log->offer(Handed(7, 7).txs);
    position.advance(7, 0);
    CHECK(a.step(position) == 1);
    // A transaction larger than a batch is the log's (read in pieces), and
    // so is what follows it in the same handover.
    commit(f.host, 8, 8, 5000);
    commit(f.host, 9, 9);
    std::vector<uint8_t> big = payload(8, 5000);
    std::vector<uint8_t> small = payload(9, 100);
    const ccdr_tx both[] = {{8, 8, ccdr_bytes{big.data(), big.size()}}, {9, 9, ccdr_bytes{small.data(), small.size()}}};
    log->offer(both);
    CHECK(log->counts().dropped_offers == 2);
    CHECK(log->counts().offered_txs == 3);
    CHECK(log->counts().reads == 1);
    CHECK(log->tip() == 8);
}

TEST_CASE("shared logs: offers reach the named database's live logs until it is retired", "[upstream][shared_log]") {
    Fixture f;
    SharedLogs logs(handle(f.host), 1 << 20);
    logs.offer("foo", Handed(1, 1).txs);  // no stream yet: nothing kept
    auto first = logs.get("foo", f.store_id, 1);
    auto other = logs.get("bar", "other-store", 1);
    logs.offer("foo", Handed(1, 2).txs);
    CHECK(first->counts().offered_txs == 2);
    CHECK(other->counts().offered_txs == 0);
    CHECK(logs.get("foo", f.store_id, 1) == first);
    // Stopped, dropped or promoted: the log keeps nothing and takes nothing,
    // and a new stream gets a fresh log even while the old one is held.
    logs.retire("foo");
    CHECK(first->retired());
    CHECK(first->counts().cached_slices == 0);
    logs.offer("foo", Handed(3, 3).txs);
    CHECK(first->counts().offered_txs == 2);
    auto second = logs.get("foo", f.store_id, 1);
    CHECK(second != first);
    CHECK_FALSE(second->retired());
    logs.offer("foo", Handed(3, 3).txs);
    CHECK(second->counts().offered_txs == 1);
    CHECK_FALSE(other->retired());
}

TEST_CASE("shared log: streams on several threads while commits go on get every transaction once, in order",
          "[upstream][shared_log]") {
    // With the commits handed over or not (then every slice is read).
    const bool handover = GENERATE(false, true);
    INFO("handed over: " << handover);
    Fixture f;
    constexpr uint64_t kTotal = 3000;
    constexpr int kStreams = 8;
    CommitPosition position;
    auto log = std::make_shared<SharedLog>(handle(f.host), "foo", 2048, 8192);
    std::vector<std::unique_ptr<Stream>> streams;
    for (int i = 0; i < kStreams; ++i) {
        // Some start later in the log (as replicas subscribing at their own tx).
        streams.push_back(std::make_unique<Stream>(f.host, f.store_id, log, 1 + static_cast<uint64_t>(i) * 7, 2048));
    }
    std::thread committer([&] {
        for (uint64_t i = 1; i <= kTotal; ++i) {
            auto id = f.host.commit("foo", payload(i, 100));
            if (id) {
                if (handover) {
                    log->offer(Handed(*id, *id).txs);
                }
                position.advance(*id, 0);
            }
        }
    });
    std::atomic<int> failures{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < kStreams; ++i) {
        threads.emplace_back([&, i] {
            Stream& s = *streams[static_cast<size_t>(i)];
            while (s.verifier.next_tx() <= kTotal) {
                ProducedBatch produced = s.batcher.produce(position);
                if (!produced.status) {
                    ++failures;
                    return;
                }
                if (produced.count == 0) {
                    std::this_thread::yield();
                    continue;
                }
                protocol::FrameLimits limits;
                auto header = protocol::decode_header(
                    std::span<const uint8_t, protocol::kFrameHeaderSize>(produced.frame.header), limits);
                auto bytes = header ? protocol::decode_payload(*header, std::span<const uint8_t>(produced.frame.body),
                                                               &s.lz4)
                                    : ccdr::Result<std::vector<uint8_t>>(header.status());
                auto batch = bytes ? protocol::decode_batch(std::move(bytes.value()))
                                   : ccdr::Result<protocol::DecodedBatch>(bytes.status());
                if (!batch || !s.verifier.verify(*batch)) {
                    ++failures;
                    return;
                }
                for (const ccdr_tx& tx : batch->txs) {
                    if (std::vector<uint8_t>(tx.payload.data, tx.payload.data + tx.payload.len) != payload(tx.tx_id, 100)) {
                        ++failures;
                        return;
                    }
                }
            }
        });
    }
    committer.join();
    for (auto& t : threads) {
        t.join();
    }
    CHECK(failures == 0);
    for (auto& s : streams) {
        CHECK(s->verifier.next_tx() == kTotal + 1);
    }
    auto counts = log->counts();
    CHECK(counts.cached_bytes <= 8192);
    INFO("reads " << counts.reads << ", hits " << counts.hits << ", solo " << counts.solo_reads << ", offered "
                   << counts.offered_txs);
    CHECK(counts.hits > 0);
    // Whether an offer is kept depends on the threads' timing (one that comes
    // while a stream reads the tip is left to the log, and so is every later
    // one until the tip is read past it): each is counted once at most, and
    // none without the handover. That offers are sent without a read is the
    // test "commits handed over are sent without reading the log".
    if (handover) {
        CHECK(counts.offered_txs + counts.dropped_offers > 0);
        CHECK(counts.offered_txs + counts.dropped_offers <= kTotal);
    } else {
        CHECK(counts.offered_txs == 0);
        CHECK(counts.dropped_offers == 0);
    }
}

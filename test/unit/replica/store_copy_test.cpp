// The replica member's store copy (replica/store_copy.hpp) against an
// upstream scripted on 127.0.0.1: a whole copy is spooled, checked and
// imported; a chunk that fails its checksum interrupts the copy, which the
// next attempt resumes from the last verified byte; a refused lineage is
// fatal.
#include "replica/store_copy.hpp"
#include "unit/replica/replica_fixture.hpp"

#include <catch2/catch.hpp>
#include <xxhash.h>

#include <atomic>
#include <cstddef>
#include <cstring>
#include <mutex>

using namespace ccdr;
using namespace ccdr::plugin;
using namespace ccdr::test;
using transport::Connection;
using namespace std::chrono_literals;
using Catch::Matchers::Contains;

namespace {

// A snapshot of txs 1..last in the in-memory host's format.
std::vector<uint8_t> snapshot_image(uint64_t last) {
    std::vector<uint8_t> out;
    auto put = [&](const void* p, size_t n) {
        auto* b = static_cast<const uint8_t*>(p);
        out.insert(out.end(), b, b + n);
    };
    for (uint64_t i = 1; i <= last; ++i) {
        const auto payload = tx_payload(i);
        const int64_t time = tx_time(i);
        const uint32_t len = static_cast<uint32_t>(payload.size());
        put(&i, 8);
        put(&time, 8);
        put(&len, 4);
        put(payload.data(), payload.size());
    }
    return out;
}

constexpr uint64_t kSnapshotId = 7;
constexpr uint64_t kLastTx = 200;
constexpr size_t kChunk = 1024;

// The upstream's end: answers SNAPSHOT_REQUEST with the snapshot from the
// requested offset, chunk by chunk, waiting for each SNAPSHOT_ACK; the chunk
// at byte `corrupt_at` (if any) carries a wrong checksum.
struct ScriptedSnapshot {
    std::vector<uint8_t> image = snapshot_image(kLastTx);
    std::atomic<int64_t> corrupt_at{-1};
    std::atomic<bool> refuse_lineage{false};

    std::vector<protocol::SnapshotRequest> requests() {
        std::lock_guard lock(mu_);
        return requests_;
    }

    asio::awaitable<void> serve(std::shared_ptr<ccdr::transport::Connection> c) {
        auto request = co_await session::receive<protocol::SnapshotRequest>(*c, 5s);
        if (!request || !request->message) {
            co_return;
        }
        {
            std::lock_guard lock(mu_);
            requests_.push_back(*request->message);
        }
        if (refuse_lineage) {
            protocol::Refused refused{protocol::RefusalCode::kLineageMismatch, "lineage mismatch for 'foo'"};
            co_await session::send(*c, refused);
            co_return;
        }
        const uint64_t offset = request->message->snapshot_id == kSnapshotId ? request->message->offset : 0;
        protocol::SnapshotBegin begin{kSnapshotId, kLastTx, tx_time(kLastTx), image.size(), offset,
                                      static_cast<uint32_t>(kChunk)};
        co_await session::send(*c, begin);
        for (uint64_t at = offset; at < image.size(); at += kChunk) {
            std::span<const uint8_t> data(image.data() + at, std::min<size_t>(kChunk, image.size() - at));
            uint64_t hash = XXH3_64bits(data.data(), data.size());
            if (static_cast<int64_t>(at) == corrupt_at) {
                hash ^= 1;
            }
            protocol::SnapshotChunk chunk{kSnapshotId, at, hash, data};
            co_await session::send(*c, chunk);
            // A window of one chunk: the replica must acknowledge a chunk once
            // it is written, not when the next one arrives.
            auto ack = co_await session::receive<protocol::SnapshotAck>(*c, 5s);
            if (!ack || !ack->message) {
                co_return;  // the replica hung up
            }
        }
        protocol::SnapshotEnd end{kSnapshotId, image.size(), XXH3_64bits(image.data(), image.size())};
        co_await session::send(*c, end);
        co_await c->read_frame(5s);  // the last SNAPSHOT_ACK, then the replica closes
    }

private:
    std::mutex mu_;
    std::vector<protocol::SnapshotRequest> requests_;
};

PullResult copy(ReplicaWorld& w, StoreCopy& store_copy) {
    return w.loop.run<PullResult>(w.member->strand, [&]() -> asio::awaitable<PullResult> {
        auto connection = co_await w.loop.connect(w.member->strand);
        if (!connection) {
            co_return PullResult{PullOutcome::kRetry, "connect: " + connection.status().message()};
        }
        PullResult result = co_await store_copy.run(*connection, w.loop.address(), w.setup());
        (*connection)->close("attempt over");
        co_return result;
    });
}

}  // namespace

TEST_CASE("store copy: the snapshot is spooled, checked and imported, the member goes on from its tx",
          "[replica][store_copy]") {
    ScriptedSnapshot upstream;
    ReplicaWorld w([&](auto c) { return upstream.serve(c); });
    StoreCopy store_copy(*w.member);
    PullResult result = copy(w, store_copy);
    CHECK(result.outcome == PullOutcome::kStoreCopied);
    CHECK(result.reason == "store copy complete");
    CHECK(w.applied() == kLastTx);
    auto member = w.host.member(kReplica);
    REQUIRE(member);
    REQUIRE(member->content.size() == kLastTx);
    CHECK(member->content.back().payload == tx_payload(kLastTx));
    CHECK(w.member->stats.store_copies == 1);
    CHECK(w.member->stats.last_applied_tx == kLastTx);
    CHECK(w.member->stats.store_copy_bytes > 0);
    const auto view = w.member->state.view();
    CHECK(view.state == CCDR_REPLICA_CATCHING_UP);
    CHECK(view.message == "store copy done at tx 200; subscribing to " + w.loop.address());
    const auto requests = upstream.requests();
    REQUIRE(requests.size() == 1);
    CHECK(requests[0].snapshot_id == 0);  // nothing to resume
    CHECK(requests[0].offset == 0);
    CHECK(requests[0].replica_database == kReplica);
    // An ABI 1.2 host takes the spool file (snapshot_import_file).
    CHECK(w.host.file_imports() == 1);
    CHECK(w.host.streamed_imports() == 0);
}

TEST_CASE("store copy: a host without the 1.2 snapshot file functions imports through snapshot_import",
          "[replica][store_copy][version]") {
    ScriptedSnapshot upstream;
    ReplicaWorld w([&](auto c) { return upstream.serve(c); });
    // A 1.1 host: its vtable ends before the 1.2 functions.
    ccdr_host_api older = *ccdr::host_api();
    older.hdr.minor = 1;
    older.hdr.struct_size = static_cast<uint32_t>(offsetof(ccdr_host_api, list_users));
    w.loop.context().host = HostHandle(&older, w.host.ctx());
    REQUIRE_FALSE(w.loop.context().host.has_snapshot_files());
    StoreCopy store_copy(*w.member);
    PullResult result = copy(w, store_copy);
    CHECK(result.outcome == PullOutcome::kStoreCopied);
    CHECK(w.applied() == kLastTx);
    CHECK(w.host.member(kReplica)->content.back().payload == tx_payload(kLastTx));
    CHECK(w.host.streamed_imports() == 1);
    CHECK(w.host.file_imports() == 0);
}

TEST_CASE("store copy: a chunk failing its checksum interrupts the copy, the next attempt resumes after the last "
          "verified chunk",
          "[replica][store_copy]") {
    ScriptedSnapshot upstream;
    upstream.corrupt_at = 2 * kChunk;
    ReplicaWorld w([&](auto c) { return upstream.serve(c); });
    StoreCopy store_copy(*w.member);

    PullResult cut = copy(w, store_copy);
    CHECK(cut.outcome == PullOutcome::kRetry);
    CHECK_THAT(cut.reason, Contains("store copy from " + w.loop.address()) && Contains("fails its checksum"));
    CHECK(w.member->stats.checksum_failures == 1);
    CHECK(w.applied() == 0);
    CHECK(w.member->state.view().state == CCDR_REPLICA_STORE_COPY);
    CHECK_THAT(w.member->state.view().message, Contains("store copy ") && Contains("% (2.0 KiB of "));

    upstream.corrupt_at = -1;
    PullResult resumed = copy(w, store_copy);
    CHECK(resumed.outcome == PullOutcome::kStoreCopied);
    CHECK(w.applied() == kLastTx);
    const auto requests = upstream.requests();
    REQUIRE(requests.size() == 2);
    CHECK(requests[1].snapshot_id == kSnapshotId);
    CHECK(requests[1].offset == 2 * kChunk);
}

TEST_CASE("store copy: an upstream refusing the lineage ends the member (FAILED)", "[replica][store_copy]") {
    ScriptedSnapshot upstream;
    upstream.refuse_lineage = true;
    ReplicaWorld w([&](auto c) { return upstream.serve(c); });
    StoreCopy store_copy(*w.member);
    PullResult result = copy(w, store_copy);
    CHECK(result.outcome == PullOutcome::kFatal);
    CHECK(result.reason == w.loop.address() + " refused: lineage mismatch for 'foo'");
    CHECK(w.applied() == 0);
}

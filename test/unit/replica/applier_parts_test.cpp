// The applier's large transactions (issue 18 item 7): a transaction larger
// than ccdr.batch.max_bytes goes to the host in parts (ABI 1.2
// apply_tx_begin / part / commit), the small ones around it through
// apply_batch; a host without the functions (a 1.1 vtable, or one answering
// CCDR_UNSUPPORTED) gets the whole transaction through apply_batch. A
// transaction that arrived in TX_PART frames (push_part) goes to the host
// part by part as it arrives, gathered for a 1.1 host, and aborted when its
// session ends before the last part.
#include "replica/applier.hpp"
#include "unit/replica/replica_fixture.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <cstddef>
#include <mutex>

using namespace ccdr;
using namespace ccdr::plugin;
using namespace ccdr::test;

namespace {

constexpr uint64_t kPartBytes = 64;

std::vector<uint8_t> payload_of(uint64_t id, size_t bytes) {
    std::vector<uint8_t> p(bytes);
    for (size_t i = 0; i < bytes; ++i) {
        p[i] = static_cast<uint8_t>(id * 31 + i);
    }
    return p;
}

// A batch of txs first.. with the given payload sizes.
protocol::DecodedBatch sized_batch(uint64_t first, const std::vector<size_t>& sizes) {
    protocol::BatchBuilder builder(protocol::chain_seed(kStoreId, 1, first), first);
    uint64_t id = first;
    for (size_t size : sizes) {
        auto p = payload_of(id, size);
        ccdr_tx tx{id, tx_time(id), {p.data(), p.size()}};
        REQUIRE(builder.add(tx));
        ++id;
    }
    auto batch = protocol::decode_batch(builder.finish({id - 1, tx_time(id - 1), 0}));
    REQUIRE(batch);
    return std::move(batch.value());
}

struct Fixture {
    MemoryHost host{"b1", {}};
    ccdr_host_api vtable = *ccdr::host_api();
    ReplicaStats stats;
    std::atomic<int> finished{0};
    std::mutex mu;
    std::vector<std::string> failures;
    Applier applier;

    // `minor` 1: the host's vtable ends before ABI 1.2, as a 1.1 host's does.
    explicit Fixture(int minor = 2)
        : applier(HostHandle(cut(minor), host.ctx()), kReplica, stats, 1 << 20, quiet_log(), events(), nullptr,
                  kPartBytes) {
        REQUIRE(host.create_database({kReplica, CCDR_KIND_REPLICA, 1, 0, kStoreId, 1, {}}));
    }
    const ccdr_host_api* cut(int minor) {
        if (minor < 2) {
            vtable.hdr.minor = static_cast<uint16_t>(minor);
            vtable.hdr.struct_size = static_cast<uint32_t>(offsetof(ccdr_host_api, list_users));
        }
        return &vtable;
    }
    ApplierEvents events() {
        ApplierEvents e;
        e.took = [] {};
        e.failed = [this](const std::string& reason) {
            std::lock_guard lock(mu);
            failures.push_back(reason);
        };
        e.finished = [this] { ++finished; };
        return e;
    }
    std::vector<std::string> failed() {
        std::lock_guard lock(mu);
        return failures;
    }
    // Every tx of the member's content has the payload it was sent with.
    void check_content(uint64_t last, const std::vector<size_t>& sizes) {
        auto m = host.member(kReplica);
        REQUIRE(m);
        REQUIRE(m->last_tx == last);
        REQUIRE(m->content.size() == sizes.size());
        for (size_t i = 0; i < sizes.size(); ++i) {
            CHECK(m->content[i].tx_id == i + 1);
            CHECK(m->content[i].payload == payload_of(i + 1, sizes[i]));
        }
    }
};

}  // namespace

TEST_CASE("applier parts: a transaction larger than the batch goes in parts, the small ones around it in batches",
          "[replica][applier][parts]") {
    Fixture f;
    const std::vector<size_t> sizes{10, 20, 1000, 30, kPartBytes, kPartBytes + 1};
    f.applier.push(sized_batch(1, sizes), 2000);
    f.applier.start();
    REQUIRE(eventually([&] { return f.finished == 1; }));
    CHECK(f.failed().empty());
    f.check_content(6, sizes);
    const auto counts = f.host.parts_counts();
    CHECK(counts.begun == 2);  // 1000 and 65 bytes; 64 is not larger than the batch
    CHECK(counts.committed == 2);
    CHECK(counts.aborted == 0);
    CHECK(counts.parts == (1000 + kPartBytes - 1) / kPartBytes + 2);
    CHECK(counts.largest_part == kPartBytes);
    // apply_batch: 1..2, then 3's commit (the memory host's), 4..5, then 6's.
    CHECK(f.host.member(kReplica)->apply_batches == 4);
    CHECK(f.stats.last_applied_tx == 6);
    CHECK(f.stats.transactions_applied == 6);
    f.applier.stop();
}

TEST_CASE("applier parts: a 1.1 host gets the whole transaction through apply_batch", "[replica][applier][parts]") {
    Fixture f(1);
    const std::vector<size_t> sizes{10, 1000, 30};
    f.applier.push(sized_batch(1, sizes), 2000);
    f.applier.start();
    REQUIRE(eventually([&] { return f.finished == 1; }));
    CHECK(f.failed().empty());
    f.check_content(3, sizes);
    CHECK(f.host.parts_counts().begun == 0);
    CHECK(f.host.member(kReplica)->apply_batches == 1);
    f.applier.stop();
}

TEST_CASE("applier parts: a 1.2 host answering CCDR_UNSUPPORTED gets whole transactions from then on",
          "[replica][applier][parts]") {
    Fixture f;
    f.host.set_parts(false);
    const std::vector<size_t> sizes{10, 1000, 30, 500};
    f.applier.push(sized_batch(1, sizes), 2000);
    f.applier.start();
    REQUIRE(eventually([&] { return f.finished == 1; }));
    CHECK(f.failed().empty());
    f.check_content(4, sizes);
    // 1, then 2..4 together after the refusal.
    CHECK(f.host.member(kReplica)->apply_batches == 2);
    CHECK(f.host.parts_counts().begun == 0);
    // Asked once: later large transactions go whole at once.
    f.applier.push(sized_batch(5, {1000}), 1000);
    REQUIRE(eventually([&] { return f.finished == 2; }));
    CHECK(f.host.member(kReplica)->apply_batches == 3);
    CHECK(f.host.member(kReplica)->last_tx == 5);
    f.applier.stop();
}

TEST_CASE("applier parts: a failed commit changes nothing and the member resumes from the host's last tx",
          "[replica][applier][parts]") {
    Fixture f;
    const std::vector<size_t> sizes{10, 1000};
    f.host.fail_next_apply();  // the first apply_batch (tx 1) fails
    f.applier.push(sized_batch(1, sizes), 2000);
    f.applier.start();
    REQUIRE(eventually([&] { return f.finished == 1; }));
    REQUIRE(f.failed().size() == 1);
    CHECK(f.host.member(kReplica)->last_tx == 0);
    CHECK(f.host.parts_counts().begun == 0);  // never reached tx 2
    // Again from tx 1: tx 2 in parts, whose commit now fails (nothing changes).
    f.applier.push(sized_batch(1, {10}), 100);
    REQUIRE(eventually([&] { return f.finished == 2; }));
    f.host.fail_next_apply();
    f.applier.push(sized_batch(2, {1000}), 1000);
    REQUIRE(eventually([&] { return f.finished == 3; }));
    REQUIRE(f.failed().size() == 2);
    CHECK(f.host.member(kReplica)->last_tx == 1);
    CHECK(f.host.parts_counts().begun == 1);
    CHECK(f.host.parts_counts().committed == 0);
    // And once more: it goes through.
    f.applier.push(sized_batch(2, {1000}), 1000);
    REQUIRE(eventually([&] { return f.finished == 4; }));
    f.check_content(2, sizes);
    f.applier.stop();
}

TEST_CASE("applier parts: a failed part aborts the transaction, nothing changes, and it goes through again",
          "[replica][applier][parts]") {
    Fixture f;
    const std::vector<size_t> sizes{10, 1000};
    f.host.fail_next_part();
    f.applier.push(sized_batch(1, sizes), 2000);
    f.applier.start();
    REQUIRE(eventually([&] { return f.finished == 1; }));
    REQUIRE(f.failed().size() == 1);
    CHECK(f.failed()[0].find("apply_tx_part: injected failure") != std::string::npos);
    CHECK(f.failed()[0].find("part at byte 0 of 1000") != std::string::npos);
    CHECK(f.host.member(kReplica)->last_tx == 1);  // tx 1 went before, in its own apply_batch
    CHECK(f.stats.last_applied_tx == 0);           // the member resumes from the host's last tx
    CHECK(f.host.parts_counts().aborted == 1);
    CHECK(f.host.parts_counts().committed == 0);
    f.applier.push(sized_batch(2, {1000}), 1000);
    REQUIRE(eventually([&] { return f.finished == 2; }));
    f.check_content(2, sizes);
    CHECK(f.host.parts_counts().committed == 1);
    f.applier.stop();
}

namespace {

// Tx `id` of `bytes`, as TX_PART payloads of at most kPartBytes, decoded.
std::vector<protocol::TxPart> wire_parts(uint64_t id, size_t bytes) {
    const auto p = payload_of(id, bytes);
    std::vector<protocol::TxPart> out;
    for (size_t at = 0; at < bytes; at += kPartBytes) {
        const size_t len = std::min<size_t>(kPartBytes, bytes - at);
        protocol::TxPartHeader h{{id, tx_time(id), 0}, id, tx_time(id), static_cast<uint32_t>(bytes),
                                 static_cast<uint32_t>(at)};
        // The applier trusts the chain the puller verified: any value will do.
        auto part = protocol::decode_tx_part(protocol::encode_tx_part(
            h, {p.data() + at, len}, at + len == bytes ? std::optional<uint64_t>(1) : std::nullopt));
        REQUIRE(part);
        out.push_back(std::move(part.value()));
    }
    return out;
}

}  // namespace

TEST_CASE("applier parts: TX_PART frames go to the host part by part, a 1.1 host gets them gathered",
          "[replica][applier][parts]") {
    for (int minor : {2, 1}) {
        INFO("host ABI 1." << minor);
        Fixture f(minor);
        f.applier.start();
        f.applier.push(sized_batch(1, {10}), 10);
        REQUIRE(eventually([&] { return f.finished == 1; }));
        auto parts = wire_parts(2, 1000);
        const int n = static_cast<int>(parts.size());
        for (auto& part : parts) {
            f.applier.push_part(std::move(part), 100);
        }
        f.applier.push(sized_batch(3, {30}), 30);
        REQUIRE(eventually([&] { return f.finished == n + 2; }));
        CHECK(f.failed().empty());
        f.check_content(3, {10, 1000, 30});
        CHECK(f.stats.last_applied_tx == 3);
        CHECK(f.stats.transactions_applied == 3);
        CHECK(f.host.parts_counts().committed == (minor == 2 ? 1 : 0));
        CHECK(f.host.parts_counts().parts == (minor == 2 ? n : 0));
        CHECK(f.applier.idle());
        f.applier.stop();
    }
}

TEST_CASE("applier parts: a session that ends between the parts aborts the transaction on the host",
          "[replica][applier][parts]") {
    Fixture f;
    f.applier.start();
    auto parts = wire_parts(1, 1000);
    const int half = static_cast<int>(parts.size()) / 2;
    for (int i = 0; i < half; ++i) {
        f.applier.push_part(std::move(parts[i]), 100);
    }
    REQUIRE(eventually([&] { return f.finished == half; }));
    CHECK_FALSE(f.applier.idle());  // a transaction is open on the host
    CHECK(f.host.parts_counts().begun == 1);
    f.applier.drop_queued();
    REQUIRE(eventually([&] { return f.applier.idle(); }));
    CHECK(f.host.parts_counts().aborted == 1);
    CHECK(f.host.member(kReplica)->last_tx == 0);
    CHECK(f.stats.last_applied_tx == 0);
    // The next session sends it again from its first part: applied once.
    for (auto& part : wire_parts(1, 1000)) {
        f.applier.push_part(std::move(part), 100);
    }
    REQUIRE(eventually([&] { return f.host.member(kReplica)->last_tx == 1; }));
    f.check_content(1, {1000});
    CHECK(f.host.parts_counts().committed == 1);
    CHECK(f.failed().empty());
    f.applier.stop();
}

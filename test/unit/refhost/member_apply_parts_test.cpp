// A replicated transaction applied in parts (store/member_apply_parts.hpp,
// ABI 1.2 apply_tx_*): whatever the cuts (inside ops, one byte at a time),
// the store ends exactly as one apply of the whole transaction leaves it
// (content, running fingerprint, log entry, state); nothing is visible
// before the commit; a rolled-back, short, long, out-of-order or truncated
// transaction changes nothing; the buffered bytes stay within one op.
#include "store/member_apply_parts.hpp"
#include "store/member_store.hpp"

#include "store_test_dir.hpp"

#include <catch2/catch.hpp>

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
#include <thread>

using namespace refhost;
namespace fs = std::filesystem;

namespace {

struct TempDir : refhost::test::StoreTestDir {
    TempDir() : StoreTestDir("ccdr-parts") {}
};

MemberStore::Options fast() { return refhost::test::unsynced_store_options(); }

constexpr int64_t kTime = 1'700'000'000'123;

// A record with nodes (one with a long property), a relationship and changes.
std::vector<uint8_t> sample_record(int nodes) {
    ChangeRecordWriter w;
    for (int i = 0; i < nodes; ++i) {
        w.create_node(i, {"Item"}, Map{{"i", Value(int64_t{i})}, {"name", Value("item-" + std::to_string(i))}});
    }
    w.create_node(nodes, {"Big"}, Map{{"text", Value(std::string(5000, 'x'))}});
    w.create_relationship(0, "NEXT", 0, 1, Map{{"w", Value(1.5)}});
    w.set_node_property(1, "name", Value("renamed"));
    w.add_labels(2, {"Extra"});
    return w.bytes();
}

std::shared_ptr<MemberStore> open_store(const fs::path& dir) {
    auto store = MemberStore::open(dir, "store-a", fast());
    REQUIRE(store);
    return store.value();
}

void apply_whole(MemberStore& s, const std::vector<uint8_t>& record) {
    auto lock = s.lock_for_write();
    REQUIRE(lock);
    ccdr_tx tx{s.last_committed() + 1, kTime, ccdr_bytes{record.data(), record.size()}};
    REQUIRE(s.apply(*lock, std::span<const ccdr_tx>(&tx, 1)));
}

ccdr::Status apply_in_parts(MemberStore& s, const std::vector<uint8_t>& record, size_t part,
                            size_t* max_buffered = nullptr) {
    auto lock = s.lock_for_write();
    REQUIRE(lock);
    auto parts = s.begin_parts(std::move(*lock), s.last_committed() + 1, kTime, record.size());
    if (!parts) {
        return parts.status();
    }
    for (size_t at = 0; at < record.size(); at += part) {
        const size_t len = std::min(part, record.size() - at);
        ccdr::Status st = (*parts)->part(std::span<const uint8_t>(record.data() + at, len));
        if (!st) {
            return st;
        }
        if (max_buffered != nullptr) {
            *max_buffered = std::max(*max_buffered, (*parts)->buffered());
        }
    }
    return (*parts)->commit();
}

std::vector<uint8_t> logged_payload(MemberStore& s, uint64_t tx_id) {
    std::vector<uint8_t> out;
    REQUIRE(s.read_log(tx_id, 1, [&](const ccdr_tx& tx) {
        if (tx.tx_id == tx_id) {
            out.assign(tx.payload.data, tx.payload.data + tx.payload.len);
            CHECK(tx.commit_time_ms == kTime);
        }
        return CCDR_STOPPED;
    }).code() != CCDR_INTERNAL);
    return out;
}

struct Outcome {
    std::string content;
    std::string running;
    uint64_t last_tx = 0;
};

Outcome outcome_of(MemberStore& s) {
    auto content = s.content_fingerprint();
    REQUIRE(content);
    auto running = s.running_fingerprint(0);
    REQUIRE(running);
    return {content->sha256_hex, running->hex, s.last_committed()};
}

}  // namespace

TEST_CASE("apply in parts: any cut leaves the store as one whole apply does", "[refhost][parts]") {
    const auto record = sample_record(200);
    TempDir dir;
    auto whole = open_store(dir.path / "whole");
    apply_whole(*whole, record);
    const Outcome expected = outcome_of(*whole);

    for (size_t part : {size_t{1}, size_t{7}, size_t{100}, size_t{4096}, record.size()}) {
        DYNAMIC_SECTION("parts of " << part << " bytes") {
            auto s = open_store(dir.path / ("p" + std::to_string(part)));
            size_t max_buffered = 0;
            REQUIRE(apply_in_parts(*s, record, part, &max_buffered));
            const Outcome got = outcome_of(*s);
            CHECK(got.last_tx == 1);
            CHECK(got.content == expected.content);
            CHECK(got.running == expected.running);
            CHECK(logged_payload(*s, 1) == record);
            CHECK(s->state().last_time_ms == kTime);
            // At most one op (the 5 000-byte property's) and one part wait.
            CHECK(max_buffered <= 1 + 5100 + part);
            // The next tx applies on top, as after a whole apply.
            ChangeRecordWriter next;
            next.create_node(1000, {"After"}, Map{});
            apply_whole(*s, next.bytes());
            CHECK(s->last_committed() == 2);
        }
    }
}

TEST_CASE("apply in parts: nothing is visible before the commit, and a rollback leaves nothing", "[refhost][parts]") {
    const auto record = sample_record(50);
    TempDir dir;
    auto s = open_store(dir.path / "m");
    const Outcome before = outcome_of(*s);
    {
        auto lock = s->lock_for_write();
        REQUIRE(lock);
        auto parts = s->begin_parts(std::move(*lock), 1, kTime, record.size());
        REQUIRE(parts);
        REQUIRE((*parts)->part(std::span<const uint8_t>(record.data(), record.size() / 2)));
        // A reader sees the store as it was.
        CHECK(outcome_of(*s).content == before.content);
        CHECK(s->last_committed() == 0);
        // Destroyed without a commit: rolled back.
    }
    const Outcome after = outcome_of(*s);
    CHECK(after.content == before.content);
    CHECK(after.running == before.running);
    CHECK(after.last_tx == 0);
    CHECK(logged_payload(*s, 1).empty());
    // And the write lock was released: the whole tx applies now.
    REQUIRE(apply_in_parts(*s, record, 333));
    CHECK(s->last_committed() == 1);
}

TEST_CASE("apply in parts: wrong id, wrong size or a truncated record change nothing", "[refhost][parts]") {
    const auto record = sample_record(20);
    TempDir dir;
    auto s = open_store(dir.path / "m");
    const Outcome before = outcome_of(*s);

    SECTION("an id that does not follow") {
        auto lock = s->lock_for_write();
        REQUIRE(lock);
        auto parts = s->begin_parts(std::move(*lock), 2, kTime, record.size());
        REQUIRE_FALSE(parts);
        CHECK(parts.status().code() == CCDR_OUT_OF_ORDER);
    }
    SECTION("fewer bytes than announced") {
        auto lock = s->lock_for_write();
        REQUIRE(lock);
        auto parts = s->begin_parts(std::move(*lock), 1, kTime, record.size() + 10);
        REQUIRE(parts);
        REQUIRE((*parts)->part(record));
        ccdr::Status st = (*parts)->commit();
        CHECK(st.code() == CCDR_INVALID_ARGUMENT);
    }
    SECTION("more bytes than announced") {
        auto lock = s->lock_for_write();
        REQUIRE(lock);
        auto parts = s->begin_parts(std::move(*lock), 1, kTime, record.size() - 1);
        REQUIRE(parts);
        CHECK((*parts)->part(record).code() == CCDR_INVALID_ARGUMENT);
        CHECK((*parts)->commit().code() == CCDR_INVALID_ARGUMENT);
    }
    SECTION("a record cut inside its last op") {
        std::vector<uint8_t> cut(record.begin(), record.end() - 3);
        ccdr::Status st = apply_in_parts(*s, cut, 100);
        CHECK(st.code() == CCDR_CORRUPT);
        CHECK(st.message().find("ends inside a change record op") != std::string::npos);
    }
    const Outcome after = outcome_of(*s);
    CHECK(after.content == before.content);
    CHECK(after.running == before.running);
    CHECK(after.last_tx == 0);
}

namespace {

// The process's RssAnon in KiB.
long rss_anon_kib() {
    std::ifstream in("/proc/self/status");
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind("RssAnon:", 0) == 0) {
            return std::stol(line.substr(8));
        }
    }
    return 0;
}

// The peak RssAnon growth (KiB) while `work` runs, sampled every 5 ms.
long peak_growth_kib(const std::function<void()>& work) {
    const long base = rss_anon_kib();
    std::atomic<bool> done{false};
    std::atomic<long> peak{base};
    std::thread sampler([&] {
        while (!done.load()) {
            peak = std::max(peak.load(), rss_anon_kib());
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
    });
    work();
    peak = std::max(peak.load(), rss_anon_kib());
    done = true;
    sampler.join();
    return peak.load() - base;
}

}  // namespace

// Hidden (run by tag: refhost_unit_tests "[measure]", CCDR_PARTS_NODES=N,
// CCDR_PARTS_MODE=whole|parts): the refhost's own apply of one transaction
// of N nodes like large_tx_bench.sh's, whole or in 1 MiB parts, as the peak
// RssAnon growth of this process (docs/benchmarks.md, "Issue 18 item 7").
TEST_CASE("apply in parts: memory of the refhost's apply, whole and in parts", "[.][measure]") {
    const int nodes = std::getenv("CCDR_PARTS_NODES") != nullptr ? std::atoi(std::getenv("CCDR_PARTS_NODES")) : 300000;
    std::vector<uint8_t> record;
    {
        ChangeRecordWriter w;
        for (int i = 0; i < nodes; ++i) {
            w.create_node(i, {"Item"},
                          Map{{"i", Value(int64_t{i + 1})},
                              {"name", Value("item-" + std::to_string(i + 1))},
                              {"pad", Value("abcdefghijklmnopqrstuvwxyz0123456789")}});
        }
        record = w.bytes();
    }
    // One way per process (CCDR_PARTS_MODE whole or parts): the heap a first
    // apply leaves behind would serve the second.
    const char* mode_env = std::getenv("CCDR_PARTS_MODE");
    const std::string mode = mode_env != nullptr ? mode_env : "parts";
    TempDir dir;
    auto store = open_store(dir.path / "m");
    const long kib = peak_growth_kib([&] {
        if (mode == "whole") {
            apply_whole(*store, record);
        } else {
            REQUIRE(apply_in_parts(*store, record, 1 << 20));
        }
    });
    CHECK(store->last_committed() == 1);
    std::printf("MEASURE nodes %d payload %.1f MiB: apply %s +%.1f MiB (RssAnon peak)\n", nodes,
                record.size() / 1048576.0, mode == "whole" ? "whole" : "in 1 MiB parts", kib / 1024.0);
}

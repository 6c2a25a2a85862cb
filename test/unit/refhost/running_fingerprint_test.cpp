// The member store's running fingerprint (store/running_fingerprint.hpp):
// every change moves it as a full recomputation would, it depends on the
// content only (not on the order of the changes), each logged tx keeps its
// value, an older store gets one at open, and the divergence test hook moves
// content and value without logging.
#include "store/member_store.hpp"
#include "store/running_fingerprint.hpp"
#include "store/sqlite.hpp"

#include "store_test_dir.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <random>

using namespace refhost;
namespace fs = std::filesystem;

namespace {

struct TempDir : refhost::test::StoreTestDir {
    TempDir() : StoreTestDir("ccdr-runfp") {}
};

MemberStore::Options fast() { return refhost::test::unsynced_store_options(); }

// Applies one record as the next tx.
void apply_tx(MemberStore& store, const ChangeRecordWriter& w) {
    auto lock = store.lock_for_write();
    REQUIRE(lock);
    const auto& b = w.bytes();
    ccdr_tx tx{store.last_committed() + 1, 1'700'000'000'000 + static_cast<int64_t>(store.last_committed()),
               ccdr_bytes{b.data(), b.size()}};
    auto st = store.apply(*lock, std::span<const ccdr_tx>(&tx, 1));
    REQUIRE(st);
}

// The value recomputed from the whole store.
std::string full_pass(MemberStore& store) {
    auto lease = store.connection();
    REQUIRE(lease);
    REQUIRE((*lease)->begin_read());
    auto sum = compute_running_sum((*lease)->db());
    REQUIRE(sum);
    (*lease)->rollback();
    return sum->hex();
}

std::string now(MemberStore& store) {
    auto f = store.running_fingerprint(0);
    REQUIRE(f);
    CHECK(f->tx_id == store.last_committed());
    return f->hex;
}

}  // namespace

TEST_CASE("running fingerprint: every kind of change moves it as a full pass would", "[refhost][fingerprint]") {
    TempDir dir;
    auto store = MemberStore::open(dir.path / "m", "store-a", fast());
    REQUIRE(store);
    MemberStore& s = **store;
    const std::string empty = now(s);
    CHECK(empty == std::string(32, '0'));

    std::vector<ChangeRecordWriter> steps(8);
    steps[0].create_node(0, {"A", "B"}, Map{{"k", Value(int64_t{1})}});
    steps[0].create_node(1, {}, Map{});
    steps[1].create_relationship(0, "KNOWS", 0, 1, Map{{"w", Value(2.5)}});
    steps[2].set_node_property(0, "k", Value(std::string("two")));
    steps[2].set_relationship_property(0, "w", Value());
    steps[3].add_labels(1, {"C"});
    steps[3].remove_labels(0, {"A"});
    steps[4].replace_node_properties(1, Map{{"x", Value(true)}});
    steps[4].replace_relationship_properties(0, Map{{"y", Value(int64_t{7})}});
    steps[5].delete_relationship(0);
    steps[6].delete_node(0);
    steps[7].create_node(0, {"A", "B"}, Map{{"k", Value(int64_t{1})}});

    std::vector<std::string> values{empty};
    for (const auto& w : steps) {
        apply_tx(s, w);
        const std::string v = now(s);
        CHECK(v == full_pass(s));
        values.push_back(v);
    }
    // Each logged tx keeps the value after it.
    for (uint64_t tx = 1; tx <= s.last_committed(); ++tx) {
        auto f = s.running_fingerprint(tx);
        REQUIRE(f);
        CHECK(f->tx_id == tx);
        CHECK(f->hex == values[tx]);
    }
    CHECK(values[1] != values[2]);
    auto past = s.running_fingerprint(s.last_committed() + 1);
    CHECK(past.status().code() == CCDR_INVALID_ARGUMENT);
}

TEST_CASE("running fingerprint: equal content, equal value, whatever the order of changes", "[refhost][fingerprint]") {
    TempDir dir;
    auto a = MemberStore::open(dir.path / "a", "store-a", fast());
    auto b = MemberStore::open(dir.path / "b", "store-a", fast());
    REQUIRE(a);
    REQUIRE(b);
    ChangeRecordWriter one;
    one.create_node(0, {"P"}, Map{{"name", Value(std::string("x"))}});
    one.create_node(1, {"Q"}, Map{});
    apply_tx(**a, one);
    ChangeRecordWriter two;
    two.set_node_property(1, "n", Value(int64_t{3}));
    two.add_labels(0, {"R"});
    apply_tx(**a, two);

    // b reaches the same content in another order, through a detour.
    ChangeRecordWriter b1;
    b1.create_node(1, {"Q"}, Map{{"n", Value(int64_t{9})}});
    apply_tx(**b, b1);
    ChangeRecordWriter b2;
    b2.create_node(0, {"R", "P"}, Map{{"name", Value(std::string("x"))}});
    b2.set_node_property(1, "n", Value(int64_t{3}));
    apply_tx(**b, b2);
    CHECK(now(**a) == now(**b));
    CHECK((*a)->content_hash().value() == (*b)->content_hash().value());
}

TEST_CASE("running fingerprint: a store without one gets it at open, once", "[refhost][fingerprint]") {
    TempDir dir;
    std::string before;
    {
        auto store = MemberStore::open(dir.path / "m", "store-a", fast());
        REQUIRE(store);
        ChangeRecordWriter w;
        w.create_node(0, {"A"}, Map{{"k", Value(int64_t{1})}});
        apply_tx(**store, w);
        ChangeRecordWriter w2;
        w2.create_node(1, {"B"}, Map{});
        apply_tx(**store, w2);
        before = now(**store);
    }
    // What a store of an older refhost looks like: no table.
    const fs::path file = fs::path(dir.path / "m") / "graph-1.db";
    {
        auto db = sql::Connection::open(file.string(), false);
        REQUIRE(db);
        REQUIRE(db->exec("DROP TABLE running_fingerprint"));
    }
    auto store = MemberStore::open(dir.path / "m", "store-a", fast());
    REQUIRE(store);
    CHECK(now(**store) == before);
    CHECK((*store)->running_fingerprint(2).value().hex == before);
    ChangeRecordWriter w;
    w.set_node_property(0, "k", Value(int64_t{2}));
    apply_tx(**store, w);
    CHECK((*store)->running_fingerprint(3).value().hex == full_pass(**store));

    // Turned off (the benchmark's comparison), the value is dropped, not
    // left stale; turned on again, it is rebuilt.
    store->reset();
    {
        auto off = MemberStore::open(dir.path / "m", "store-a", [] {
            auto o = fast();
            o.running_fingerprint = false;
            return o;
        }());
        REQUIRE(off);
        CHECK((*off)->running_fingerprint(0).status().code() == CCDR_UNSUPPORTED);
        ChangeRecordWriter w3;
        w3.create_node(2, {}, Map{});
        apply_tx(**off, w3);
    }
    auto again = MemberStore::open(dir.path / "m", "store-a", fast());
    REQUIRE(again);
    CHECK(now(**again) == full_pass(**again));
}

TEST_CASE("running fingerprint: the divergence hook changes content and value, not the log", "[refhost][fingerprint]") {
    TempDir dir;
    auto store = MemberStore::open(dir.path / "m", "store-a", fast());
    REQUIRE(store);
    ChangeRecordWriter w;
    w.create_node(0, {"A"}, Map{{"k", Value(int64_t{1})}});
    apply_tx(**store, w);
    const std::string logged = (*store)->running_fingerprint(1).value().hex;
    ChangeRecordWriter d;
    d.set_node_property(0, "k", Value(int64_t{99}));
    REQUIRE((*store)->apply_unlogged_for_test(d.bytes()));
    CHECK((*store)->last_committed() == 1);
    auto f = (*store)->running_fingerprint(0);
    REQUIRE(f);
    CHECK(f->tx_id == 1);
    CHECK(f->hex != logged);
    CHECK(f->hex == full_pass(**store));
}

// A node's labels in its row (store format 2, store/label_migration.hpp and
// store/node_label_set.hpp): the stored form of a record's labels, and a
// store of format 1 (labels in a table of their own) moved at open to the
// same content, fingerprints and schema as a store built new, and the label
// index entries a write transaction holds back until a read or its commit.
#include "store/label_migration.hpp"
#include "store/member_store.hpp"
#include "store/node_label_set.hpp"
#include "store/running_fingerprint.hpp"
#include "store/sqlite.hpp"

#include "store_format_1.hpp"
#include "store_test_dir.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <string>
#include <vector>

using namespace refhost;
namespace fs = std::filesystem;

namespace {

struct TempDir : refhost::test::StoreTestDir {
    TempDir() : StoreTestDir("ccdr-labels") {}
};

MemberStore::Options fast() { return refhost::test::unsynced_store_options(); }

void apply_tx(MemberStore& store, const ChangeRecordWriter& w) {
    auto lock = store.lock_for_write();
    REQUIRE(lock);
    const auto& b = w.bytes();
    ccdr_tx tx{store.last_committed() + 1, 1'700'000'000'000 + static_cast<int64_t>(store.last_committed()),
               ccdr_bytes{b.data(), b.size()}};
    auto st = store.apply(*lock, std::span<const ccdr_tx>(&tx, 1));
    REQUIRE(st);
}

// One graph, in three transactions: labels given out of order, a node
// without labels, a label past ASCII, labels added and removed, a node
// deleted, a relationship.
void build_graph(MemberStore& store) {
    ChangeRecordWriter one;
    one.create_node(0, {"Person", "Admin"}, Map{{"name", Value(std::string("ada"))}});
    one.create_node(1, {}, Map{});
    one.create_node(2, {"\xc3\x89tat", "Person"}, Map{{"k", Value(int64_t{3})}});
    one.create_node(3, {"Gone"}, Map{});
    apply_tx(store, one);
    ChangeRecordWriter two;
    two.create_relationship(0, "KNOWS", 0, 2, Map{});
    two.add_labels(1, {"Person", "City"});
    two.remove_labels(0, {"Admin"});
    apply_tx(store, two);
    ChangeRecordWriter three;
    three.delete_node(3);
    three.add_labels(0, {"Zed"});
    apply_tx(store, three);
}

std::string running_now(MemberStore& store) {
    auto f = store.running_fingerprint(0);
    REQUIRE(f);
    return f->hex;
}

std::string full_pass(MemberStore& store) {
    auto lease = store.connection();
    REQUIRE(lease);
    REQUIRE((*lease)->begin_read());
    auto sum = compute_running_sum((*lease)->db());
    REQUIRE(sum);
    (*lease)->rollback();
    return sum->hex();
}

// What Cypher reads: each node's labels, nodes and counts by label.
struct LabelView {
    std::vector<std::vector<std::string>> labels_of;  // nodes 0..3
    std::vector<std::vector<int64_t>> by_label;        // Person, City, Zed, Admin, Gone, État
    std::vector<int64_t> counts;
    bool operator==(const LabelView&) const = default;
};

LabelView read_labels(MemberStore& store) {
    auto lease = store.connection();
    REQUIRE(lease);
    StoreConnection& c = **lease;
    REQUIRE(c.begin_read());
    LabelView v;
    for (int64_t id = 0; id < 4; ++id) {
        std::vector<std::string> labels;
        REQUIRE(c.node_labels(id, labels));
        v.labels_of.push_back(labels);
    }
    for (const char* label : {"Person", "City", "Zed", "Admin", "Gone", "\xc3\x89tat"}) {
        std::vector<StoreConnection::NodeRow> rows;
        REQUIRE(c.node_page(label, -1, 100, rows));
        std::vector<int64_t> ids;
        for (const auto& r : rows) {
            ids.push_back(r.id);
        }
        v.by_label.push_back(ids);
        auto n = c.count_nodes(label);
        REQUIRE(n);
        v.counts.push_back(*n);
    }
    c.rollback();
    return v;
}

std::vector<std::string> schema_of(const fs::path& file) {
    auto db = sql::Connection::open(file.string(), false);
    REQUIRE(db);
    auto q = db->prepare("SELECT name || ': ' || coalesce(sql, '') FROM sqlite_master ORDER BY name");
    REQUIRE(q);
    std::vector<std::string> out;
    while (q->step() == SQLITE_ROW) {
        out.emplace_back(q->text(0));
    }
    return out;
}

int64_t format_of(const fs::path& file) {
    auto db = sql::Connection::open(file.string(), false);
    REQUIRE(db);
    auto f = db->scalar("SELECT format FROM state WHERE id = 1");
    REQUIRE(f);
    return *f;
}

}  // namespace

TEST_CASE("node label set: a record's labels in order are stored as they come, others sorted", "[refhost][labels]") {
    auto record_labels = [](const std::vector<std::string>& labels) {
        std::vector<uint8_t> out;
        codec::ByteWriter w(out);
        for (const auto& l : labels) {
            w.str(l);
        }
        return out;
    };
    std::vector<uint8_t> scratch;
    std::span<const uint8_t> stored;
    const auto in_order = record_labels({"A", "B", "b"});
    REQUIRE(node_label_set::stored_form(in_order, 3, scratch, stored) == node_label_set::Fault::None);
    CHECK(stored.data() == in_order.data());

    const auto shuffled = record_labels({"b", "\xc3\x89", "A"});
    REQUIRE(node_label_set::stored_form(shuffled, 3, scratch, stored) == node_label_set::Fault::None);
    std::vector<std::string> decoded;
    REQUIRE(node_label_set::decode(stored, decoded));
    CHECK(decoded == std::vector<std::string>{"A", "b", "\xc3\x89"});

    const auto twice = record_labels({"B", "A", "B"});
    CHECK(node_label_set::stored_form(twice, 3, scratch, stored) == node_label_set::Fault::Duplicate);
    CHECK(node_label_set::stored_form(in_order, 4, scratch, stored) == node_label_set::Fault::Malformed);

    // A length written in two bytes is read, and stored in one.
    const std::vector<uint8_t> long_length{0x81, 0x00, 'X'};
    REQUIRE(node_label_set::stored_form(long_length, 1, scratch, stored) == node_label_set::Fault::None);
    CHECK(std::vector<uint8_t>(stored.begin(), stored.end()) == std::vector<uint8_t>{0x01, 'X'});

    CHECK(node_label_set::encode({}).empty());
    CHECK(node_label_set::decode({}, decoded));
    CHECK(decoded.empty());
    const std::vector<uint8_t> truncated{0x05, 'A'};
    CHECK_FALSE(node_label_set::decode(truncated, decoded));
}

TEST_CASE("label migration: a format-1 store opens as format 2 with the same labels and fingerprints",
          "[refhost][labels]") {
    TempDir dir;
    std::string running_new, content_new;
    LabelView labels_new;
    std::vector<std::string> schema_new;
    {
        auto built = MemberStore::open(dir.path / "new", "store-a", fast());
        REQUIRE(built);
        build_graph(**built);
        running_new = running_now(**built);
        CHECK(running_new == full_pass(**built));
        content_new = (*built)->content_hash().value();
        labels_new = read_labels(**built);
        schema_new = schema_of((*built)->file());
    }
    CHECK(labels_new.labels_of == std::vector<std::vector<std::string>>{
                                      {"Person", "Zed"}, {"City", "Person"}, {"Person", "\xc3\x89tat"}, {}});
    CHECK(labels_new.by_label == std::vector<std::vector<int64_t>>{{0, 1, 2}, {1}, {0}, {}, {}, {2}});
    CHECK(labels_new.counts == std::vector<int64_t>{3, 1, 1, 0, 0, 1});

    // The same graph in a store of format 1, its running value kept by the
    // refhost that wrote it.
    fs::path old_file;
    {
        auto old = MemberStore::open(dir.path / "old", "store-a", fast());
        REQUIRE(old);
        build_graph(**old);
        old_file = (*old)->file();
    }
    refhost::test::make_format_1(old_file);
    REQUIRE(format_of(old_file) == 1);
    CHECK(schema_of(old_file) != schema_new);

    auto moved = MemberStore::open(dir.path / "old", "store-a", fast());
    REQUIRE(moved);
    CHECK(format_of(old_file) == 2);
    CHECK(schema_of(old_file) == schema_new);
    CHECK(read_labels(**moved) == labels_new);
    CHECK(running_now(**moved) == running_new);
    CHECK(full_pass(**moved) == running_new);
    CHECK((*moved)->content_hash().value() == content_new);
    CHECK((*moved)->last_committed() == 3);

    // It goes on as a store of format 2.
    ChangeRecordWriter more;
    more.remove_labels(2, {"Person"});
    more.add_labels(1, {"Admin"});
    more.delete_node(1);
    apply_tx(**moved, more);
    CHECK(running_now(**moved) == full_pass(**moved));
    auto after = read_labels(**moved);
    CHECK(after.labels_of[1].empty());
    CHECK(after.labels_of[2] == std::vector<std::string>{"\xc3\x89tat"});
    CHECK(after.counts == std::vector<int64_t>{1, 0, 1, 0, 0, 1});
}

TEST_CASE("label migration: a format-2 store is left as it is", "[refhost][labels]") {
    TempDir dir;
    fs::path file;
    {
        auto store = MemberStore::open(dir.path / "m", "store-a", fast());
        REQUIRE(store);
        build_graph(**store);
        file = (*store)->file();
    }
    const auto schema = schema_of(file);
    auto db = sql::Connection::open(file.string(), false);
    REQUIRE(db);
    REQUIRE(move_labels_into_node_rows(*db));
    db->close();
    CHECK(schema_of(file) == schema);
    CHECK(format_of(file) == 2);
}

TEST_CASE("label index: entries of nodes created in the open transaction are seen by its reads and changes",
          "[refhost][labels]") {
    TempDir dir;
    auto store = MemberStore::open(dir.path / "m", "store-a", fast());
    REQUIRE(store);
    // More nodes than one multi-row insert holds, two labels interleaved.
    const int kNodes = 300;
    ChangeRecordWriter w;
    for (int i = 0; i < kNodes; ++i) {
        w.create_node(i, {i % 3 == 0 ? "Three" : "Other", "All"}, Map{});
    }
    {
        auto lock = (*store)->lock_for_write();
        REQUIRE(lock);
        auto lease = (*store)->connection();
        REQUIRE(lease);
        StoreConnection& c = **lease;
        REQUIRE(c.begin_write());
        IdHighWater ids;
        REQUIRE(c.apply_record(w.bytes(), ids));
        CHECK(c.count_nodes("All").value() == kNodes);
        CHECK(c.count_nodes("Three").value() == kNodes / 3);
        ChangeRecordWriter more;
        more.create_node(kNodes, {"Three"}, Map{});
        REQUIRE(c.apply_record(more.bytes(), ids));
        std::vector<StoreConnection::NodeRow> rows;
        REQUIRE(c.node_page("Three", kNodes - 4, 10, rows));
        REQUIRE(rows.size() == 2);
        CHECK(rows[0].id == kNodes - 3);
        CHECK(rows[1].id == kNodes);
        ChangeRecordWriter change;
        change.create_node(kNodes + 1, {"All"}, Map{});
        change.remove_labels(kNodes + 1, {"All"});
        change.create_node(kNodes + 2, {"All"}, Map{});
        change.delete_node(kNodes + 2);
        REQUIRE(c.apply_record(change.bytes(), ids));
        CHECK(c.count_nodes("All").value() == kNodes);
        c.rollback();
        CHECK(c.count_nodes("All").value() == 0);
    }
    apply_tx(**store, w);
    CHECK(running_now(**store) == full_pass(**store));
    auto lease = (*store)->connection();
    REQUIRE(lease);
    REQUIRE((*lease)->begin_read());
    CHECK((*lease)->count_nodes("All").value() == kNodes);
    CHECK((*lease)->count_nodes("Other").value() == kNodes - kNodes / 3);
    (*lease)->rollback();
}

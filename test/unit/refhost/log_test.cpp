// The transaction log through the host side of the ABI (plugin_host's
// StoreAccess): read_log, apply_batch (ids, atomicity), snapshots, retention.
#include "plugin_host/store_access.hpp"
#include "store/change_record.hpp"
#include "support/refhost_home.hpp"

#include <ccdr/host_handle.hpp>

#include <catch2/catch.hpp>

#include <cstring>

using namespace refhost;
using refhost::test::admin;
using refhost::test::TempHome;

namespace {

struct OwnedTx {
    uint64_t id;
    int64_t time;
    std::vector<uint8_t> payload;
};

// `n` change records, each creating one node (ids from `first_node`).
std::vector<OwnedTx> node_records(uint64_t first_tx, size_t n, int64_t first_node = 0) {
    std::vector<OwnedTx> out;
    for (size_t i = 0; i < n; ++i) {
        ChangeRecordWriter w;
        w.create_node(first_node + static_cast<int64_t>(i), {"Item"},
                      Map{{"seq", Value(static_cast<int64_t>(first_tx + i))}, {"text", Value(std::string(40, 'x'))}});
        out.push_back(OwnedTx{first_tx + i, 1'700'000'000'000 + static_cast<int64_t>(i), w.bytes()});
    }
    return out;
}

std::vector<ccdr_tx> views(const std::vector<OwnedTx>& txs) {
    std::vector<ccdr_tx> out;
    for (const auto& t : txs) {
        out.push_back(ccdr_tx{t.id, t.time, ccdr_bytes{t.payload.data(), t.payload.size()}});
    }
    return out;
}

ccdr::DatabaseSpec replica_spec(const std::string& name, const std::string& store_id = "") {
    ccdr::DatabaseSpec s;
    s.name = name;
    s.kind = CCDR_KIND_REPLICA;
    s.primaries = 1;
    s.secondaries = 0;
    s.store_id = store_id;
    return s;
}

std::vector<OwnedTx> read_all(Cluster& c, size_t server, const std::string& db, uint64_t from, ccdr::Status& st,
                              uint64_t max_bytes = UINT64_MAX) {
    std::vector<OwnedTx> out;
    struct Ctx {
        std::vector<OwnedTx>* out;
    } ctx{&out};
    ccdr_tx_visitor v{CCDR_HEADER_INIT(ccdr_tx_visitor), &ctx, [](void* c, const ccdr_tx* tx) {
                          auto* x = static_cast<Ctx*>(c);
                          x->out->push_back(OwnedTx{tx->tx_id, tx->commit_time_ms,
                                                    std::vector<uint8_t>(tx->payload.data,
                                                                         tx->payload.data + tx->payload.len)});
                          return CCDR_OK;
                      }};
    st = StoreAccess(c).read_log(server, db, from, max_bytes, v);
    return out;
}

}  // namespace

TEST_CASE("apply_batch keeps ids and times, and read_log returns them", "[refhost][log]") {
    TempHome home;
    auto cluster = home.open_cluster();
    REQUIRE(cluster->create(replica_spec("rep")).is_ok());
    auto batch = node_records(1, 50);
    auto v = views(batch);
    REQUIRE(StoreAccess(*cluster).apply_batch(0, "rep", v).is_ok());
    auto info = StoreAccess(*cluster).log_info(0, "rep");
    REQUIRE(info.is_ok());
    CHECK(info->last_committed_tx == 50);
    CHECK(info->last_commit_time_ms == batch.back().time);
    CHECK(info->oldest_retained_tx == 1);
    ccdr::Status st;
    auto back = read_all(*cluster, 0, "rep", 1, st);
    REQUIRE(st.is_ok());
    REQUIRE(back.size() == 50);
    for (size_t i = 0; i < back.size(); ++i) {
        CHECK(back[i].id == batch[i].id);
        CHECK(back[i].time == batch[i].time);
        CHECK(back[i].payload == batch[i].payload);
    }
    // max_bytes bounds a read, but at least one transaction comes.
    auto some = read_all(*cluster, 0, "rep", 10, st, 1);
    REQUIRE(st.is_ok());
    CHECK(some.size() == 1);
    CHECK(some[0].id == 10);
    // The data is there: 50 nodes, readable.
    auto tx = cluster->begin(0, "rep", AccessMode::Read, admin(), {}, std::chrono::milliseconds(100));
    REQUIRE(tx.ok());
    CHECK(tx.value()->graph().count_nodes("Item") == 50);
}

TEST_CASE("apply_batch refuses a gap or a repeat, changing nothing", "[refhost][log]") {
    TempHome home;
    auto cluster = home.open_cluster();
    REQUIRE(cluster->create(replica_spec("rep")).is_ok());
    auto first = node_records(1, 3);
    REQUIRE(StoreAccess(*cluster).apply_batch(0, "rep", views(first)).is_ok());
    auto gap = node_records(5, 2, 10);
    ccdr::Status st = StoreAccess(*cluster).apply_batch(0, "rep", views(gap));
    CHECK(st.code() == CCDR_OUT_OF_ORDER);
    CHECK(st.message().find("expected tx 4") != std::string::npos);
    auto repeat = node_records(3, 2, 20);
    CHECK(StoreAccess(*cluster).apply_batch(0, "rep", views(repeat)).code() == CCDR_OUT_OF_ORDER);
    CHECK(StoreAccess(*cluster).log_info(0, "rep")->last_committed_tx == 3);
}

TEST_CASE("a batch that fails midway leaves neither data nor last applied id changed", "[refhost][log]") {
    TempHome home;
    auto cluster = home.open_cluster();
    REQUIRE(cluster->create(replica_spec("rep")).is_ok());
    REQUIRE(StoreAccess(*cluster).apply_batch(0, "rep", views(node_records(1, 10))).is_ok());
    auto member = cluster->database("rep")->member_on(0);
    auto before = member->store()->content_hash();
    REQUIRE(before.is_ok());

    SECTION("an injected I/O failure after half the batch") {
        member->store()->inject_apply_failure(50);
        ccdr::Status st = StoreAccess(*cluster).apply_batch(0, "rep", views(node_records(11, 100, 10)));
        CHECK(st.code() == CCDR_IO_ERROR);
        CHECK(st.message().find("injected failure at position 50") != std::string::npos);
    }
    SECTION("a corrupt record in the middle of the batch") {
        auto batch = node_records(11, 100, 10);
        batch[60].payload.resize(batch[60].payload.size() / 2);
        ccdr::Status st = StoreAccess(*cluster).apply_batch(0, "rep", views(batch));
        CHECK(st.code() == CCDR_CORRUPT);
        CHECK(st.message().find("tx 71") != std::string::npos);
    }
    SECTION("a record that does not fit the store (a node id that exists)") {
        auto batch = node_records(11, 100, 10);
        batch[99] = node_records(110, 1, 3)[0];
        ccdr::Status st = StoreAccess(*cluster).apply_batch(0, "rep", views(batch));
        CHECK(st.code() == CCDR_CORRUPT);
    }
    CHECK(StoreAccess(*cluster).log_info(0, "rep")->last_committed_tx == 10);
    CHECK(member->last_tx() == 10);
    CHECK(member->store()->content_hash().value() == before.value());
    ccdr::Status st;
    CHECK(read_all(*cluster, 0, "rep", 1, st).size() == 10);
    // And the next good batch applies normally.
    REQUIRE(StoreAccess(*cluster).apply_batch(0, "rep", views(node_records(11, 5, 10))).is_ok());
    CHECK(StoreAccess(*cluster).log_info(0, "rep")->last_committed_tx == 15);
}

TEST_CASE("apply_batch is for replica members only", "[refhost][log]") {
    TempHome home;
    auto cluster = home.open_cluster();
    CHECK(StoreAccess(*cluster).apply_batch(0, "neo4j", views(node_records(1, 1))).code() == CCDR_INVALID_ARGUMENT);
    CHECK(StoreAccess(*cluster).apply_batch(0, "nope", views(node_records(1, 1))).code() == CCDR_DATABASE_NOT_FOUND);
}

namespace {

struct Snapshot {
    ccdr_snapshot_info info{};
    std::vector<uint8_t> bytes;
    size_t chunks = 0;
};

Snapshot export_snapshot(Cluster& c, size_t server, const std::string& db) {
    Snapshot s;
    ccdr_snapshot_sink sink{CCDR_HEADER_INIT(ccdr_snapshot_sink), &s,
                            [](void* ctx, const ccdr_snapshot_info* info) {
                                static_cast<Snapshot*>(ctx)->info = *info;
                                return CCDR_OK;
                            },
                            [](void* ctx, ccdr_bytes data) {
                                auto* x = static_cast<Snapshot*>(ctx);
                                x->bytes.insert(x->bytes.end(), data.data, data.data + data.len);
                                x->chunks++;
                                return CCDR_OK;
                            }};
    ccdr::Status st = StoreAccess(c).snapshot_export(server, db, sink);
    REQUIRE(st.is_ok());
    return s;
}

ccdr::Status import_snapshot(Cluster& c, size_t server, const std::string& db, const Snapshot& s,
                             size_t fail_after = SIZE_MAX) {
    struct Src {
        const Snapshot* s;
        size_t off = 0;
        size_t fail_after;
    } src{&s, 0, fail_after};
    ccdr_snapshot_source source{CCDR_HEADER_INIT(ccdr_snapshot_source), &src,
                                [](void* ctx, uint8_t* buf, size_t cap, size_t* n) {
                                    auto* x = static_cast<Src*>(ctx);
                                    if (x->off >= x->fail_after) {
                                        return CCDR_IO_ERROR;
                                    }
                                    size_t left = x->s->bytes.size() - x->off;
                                    *n = std::min({cap, left, size_t{7777}});
                                    std::memcpy(buf, x->s->bytes.data() + x->off, *n);
                                    x->off += *n;
                                    return CCDR_OK;
                                }};
    return StoreAccess(c).snapshot_import(server, db, s.info, source);
}

}  // namespace

TEST_CASE("a snapshot exported at tx N and imported elsewhere is identical and at tx N", "[refhost][log]") {
    TempHome home_a;
    TempHome home_b;
    auto a = home_a.open_cluster();
    auto b = home_b.open_cluster();
    // Upstream: a standard database with a varied graph over many commits.
    std::string store_id = a->database("neo4j")->record.store_id;
    for (int i = 0; i < 30; ++i) {
        auto tx = a->begin(0, "neo4j", AccessMode::Write, admin(), {}, std::chrono::milliseconds(100));
        REQUIRE(tx.ok());
        auto n1 = tx.value()->graph().create_node({"P", "Q"}, Map{{"i", Value(i)}, {"d", Value(Date{i})}});
        auto n2 = tx.value()->graph().create_node({"P"}, Map{{"s", Value(std::string(500, 'a' + i % 26))}});
        REQUIRE(tx.value()->graph().create_relationship(n1->id, n2->id, "R", Map{{"w", Value(i * 0.5)}}).ok());
        if (i % 3 == 0) {
            REQUIRE(tx.value()->graph().delete_node(n2->id, true).ok());
        }
        REQUIRE(tx.value()->commit().ok());
    }
    auto snap = export_snapshot(*a, 0, "neo4j");
    CHECK(snap.info.tx_id == 30);
    CHECK(snap.info.total_bytes == snap.bytes.size());
    CHECK(snap.info.commit_time_ms == StoreAccess(*a).log_info(0, "neo4j")->last_commit_time_ms);

    REQUIRE(b->create(replica_spec("copy", store_id)).is_ok());
    SECTION("imported whole") {
        REQUIRE(import_snapshot(*b, 0, "copy", snap).is_ok());
        auto src_hash = a->database("neo4j")->member_on(0)->store()->content_hash();
        auto dst_hash = b->database("copy")->member_on(0)->store()->content_hash();
        CHECK(dst_hash.value() == src_hash.value());
        auto info = StoreAccess(*b).log_info(0, "copy");
        CHECK(info->last_committed_tx == 30);
        CHECK(info->oldest_retained_tx == 31);
        // The log starts after the snapshot: asking before it is LOG_PRUNED.
        ccdr::Status st;
        CHECK(read_all(*b, 0, "copy", 30, st).empty());
        CHECK(st.code() == CCDR_LOG_PRUNED);
        // Applying continues at 31 (node ids beyond the snapshot's).
        ChangeRecordWriter w;
        w.create_node(1000, {"After"}, {});
        ccdr_tx next{31, 1, ccdr_bytes{w.bytes().data(), w.bytes().size()}};
        REQUIRE(StoreAccess(*b).apply_batch(0, "copy", std::span<const ccdr_tx>(&next, 1)).is_ok());
        CHECK(StoreAccess(*b).log_info(0, "copy")->last_committed_tx == 31);
    }
    SECTION("an import that fails leaves the old store untouched") {
        REQUIRE(StoreAccess(*b).apply_batch(0, "copy", views(node_records(1, 3))).is_ok());
        auto before = b->database("copy")->member_on(0)->store()->content_hash().value();
        CHECK(import_snapshot(*b, 0, "copy", snap, snap.bytes.size() / 2).code() == CCDR_IO_ERROR);
        Snapshot truncated = snap;
        truncated.bytes.resize(truncated.bytes.size() - 100);
        CHECK(import_snapshot(*b, 0, "copy", truncated).code() == CCDR_CORRUPT);
        Snapshot garbage = snap;
        std::memset(garbage.bytes.data(), 'x', 100);
        CHECK(import_snapshot(*b, 0, "copy", garbage).code() == CCDR_CORRUPT);
        Snapshot lying = snap;
        lying.info.tx_id = 29;
        CHECK(import_snapshot(*b, 0, "copy", lying).code() == CCDR_CORRUPT);
        CHECK(b->database("copy")->member_on(0)->store()->content_hash().value() == before);
        CHECK(StoreAccess(*b).log_info(0, "copy")->last_committed_tx == 3);
    }
    SECTION("a snapshot of another lineage is refused") {
        REQUIRE(b->create(replica_spec("stranger")).is_ok());
        CHECK(import_snapshot(*b, 0, "stranger", snap).code() == CCDR_INVALID_ARGUMENT);
    }
}

TEST_CASE("after pruning, read_log from a pruned id is LOG_PRUNED and never partial", "[refhost][log]") {
    TempHome home(1, {"db.tx_log.rotation.retention_policy=10 txs"});
    auto cluster = home.open_cluster();
    REQUIRE(cluster->create(replica_spec("rep")).is_ok());
    REQUIRE(StoreAccess(*cluster).apply_batch(0, "rep", views(node_records(1, 100))).is_ok());
    cluster->prune_logs();
    auto info = StoreAccess(*cluster).log_info(0, "rep");
    CHECK(info->last_committed_tx == 100);
    CHECK(info->oldest_retained_tx == 91);
    for (uint64_t from : {1, 50, 90}) {
        ccdr::Status st;
        auto got = read_all(*cluster, 0, "rep", from, st);
        CHECK(st.code() == CCDR_LOG_PRUNED);
        CHECK(got.empty());
    }
    ccdr::Status st;
    auto kept = read_all(*cluster, 0, "rep", 91, st);
    REQUIRE(st.is_ok());
    REQUIRE(kept.size() == 10);
    CHECK(kept.front().id == 91);
    CHECK(kept.back().id == 100);
}

TEST_CASE("retention by size and by age", "[refhost][log]") {
    SECTION("size: the newest transactions that fit") {
        TempHome home(1, {"db.tx_log.rotation.retention_policy=1k size"});
        auto cluster = home.open_cluster();
        REQUIRE(cluster->create(replica_spec("rep")).is_ok());
        auto batch = node_records(1, 100);
        REQUIRE(StoreAccess(*cluster).apply_batch(0, "rep", views(batch)).is_ok());
        cluster->prune_logs();
        auto info = StoreAccess(*cluster).log_info(0, "rep");
        // Newest first, as many as fit in 1024 bytes of payload.
        uint64_t total = 0;
        uint64_t expected_oldest = 100;
        for (size_t i = batch.size(); i-- > 0;) {
            total += batch[i].payload.size();
            if (total > 1024) {
                break;
            }
            expected_oldest = batch[i].id;
        }
        CHECK(info->oldest_retained_tx == expected_oldest);
        CHECK(info->last_committed_tx - info->oldest_retained_tx + 1 > 10);
    }
    SECTION("age: transactions older than the policy go, the last stays") {
        TempHome home(1, {"db.tx_log.rotation.retention_policy=1 hours"});
        auto cluster = home.open_cluster();
        REQUIRE(cluster->create(replica_spec("rep")).is_ok());
        // Commit times from 2023: all older than an hour.
        REQUIRE(StoreAccess(*cluster).apply_batch(0, "rep", views(node_records(1, 20))).is_ok());
        cluster->prune_logs();
        CHECK(StoreAccess(*cluster).log_info(0, "rep")->oldest_retained_tx == 20);
    }
    SECTION("keep_all keeps everything") {
        TempHome home(1, {"db.tx_log.rotation.retention_policy=keep_all"});
        auto cluster = home.open_cluster();
        REQUIRE(cluster->create(replica_spec("rep")).is_ok());
        REQUIRE(StoreAccess(*cluster).apply_batch(0, "rep", views(node_records(1, 20))).is_ok());
        cluster->prune_logs();
        CHECK(StoreAccess(*cluster).log_info(0, "rep")->oldest_retained_tx == 1);
    }
}

TEST_CASE("a member whose source log was pruned catches up by store copy", "[refhost][log]") {
    TempHome home(2, {"initial.dbms.default_primaries_count=2", "db.tx_log.rotation.retention_policy=2 txs"});
    auto cluster = home.open_cluster();
    auto db = cluster->database("neo4j");
    auto writer = db->writer();
    std::shared_ptr<Member> follower = db->members[0] == writer ? db->members[1] : db->members[0];
    REQUIRE(cluster->stop_database("neo4j", true).ok());
    REQUIRE(cluster->start_database("neo4j", true).ok());
    // Take the follower out of the commit path by hand: stop it, commit,
    // prune, then let the cluster resynchronise it.
    follower->set_state(CCDR_DB_OFFLINE);
    for (int i = 0; i < 10; ++i) {
        auto tx = cluster->begin(writer->server(), "neo4j", AccessMode::Write, admin(), {}, std::chrono::milliseconds(100));
        REQUIRE(tx.value()->graph().create_node({"N"}, Map{{"i", Value(i)}}).ok());
        REQUIRE(tx.value()->commit().ok());
    }
    cluster->prune_logs();
    CHECK(writer->store()->log_info().oldest_retained_tx == 9);
    CHECK(follower->last_tx() == 0);
    follower->set_state(CCDR_DB_ONLINE);
    cluster->catch_up_all();
    CHECK(follower->last_tx() == 10);
    CHECK(follower->store()->content_hash().value() == writer->store()->content_hash().value());
}

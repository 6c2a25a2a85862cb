// ABI 1.2 host functions for switching regions, on a real in-process
// cluster: the fence with a reason and its last tx (set_access, which
// set_database_access calls) and make_replica (a standard database becomes a
// replica at a tx, members ahead rebuilt from their own log).
#include "plugin_host/store_access.hpp"
#include "store/change_record.hpp"
#include "support/eventually.hpp"
#include "support/refhost_home.hpp"

#include <catch2/catch.hpp>
#include <sqlite3.h>

#include <atomic>
#include <fstream>
#include <mutex>
#include <thread>

using namespace refhost;
using refhost::test::admin;
using refhost::test::TempHome;

namespace {

std::vector<DatabaseRow> rows_of(Cluster& c, const std::string& name) {
    auto rows = c.show_databases(0, name, admin());
    REQUIRE(rows.ok());
    return rows.value();
}

// One write transaction on `server`'s member: the commit's tx id, or the error.
Outcome<uint64_t> write_on(Cluster& c, size_t server, const std::string& db,
                           const std::function<Done(GraphWriter&)>& body) {
    auto tx = c.begin(server, db, AccessMode::Write, admin(), {}, std::chrono::milliseconds(100));
    if (!tx.ok()) {
        return tx.error();
    }
    Done done = body(tx.value()->graph());
    if (!done.ok()) {
        tx.value()->rollback();
        return done.error();
    }
    auto bm = tx.value()->commit();
    if (!bm.ok()) {
        return bm.error();
    }
    return static_cast<uint64_t>(std::stoull(bm.value().substr(bm.value().rfind(':') + 1)));
}

Outcome<uint64_t> write_one(Cluster& c, size_t server, const std::string& db) {
    return write_on(c, server, db, [](GraphWriter& g) -> Done {
        auto n = g.create_node({"F"}, {});
        if (!n.ok()) {
            return n.error();
        }
        return done();
    });
}

uint64_t commit_node(Cluster& c, const std::string& db, int i) {
    auto id = write_on(c, c.database(db)->writer()->server(), db, [&](GraphWriter& g) -> Done {
        auto n = g.create_node({"N"}, Map{{"i", Value(i)}});
        if (!n.ok()) {
            return n.error();
        }
        return done();
    });
    REQUIRE(id.ok());
    return id.value();
}

// Records the events the cluster sends to plugins.
class EventLog final : public PluginBridge {
public:
    struct Event {
        size_t server;
        std::string database;
        ccdr_event_kind event;
        ccdr_database_kind kind;
    };
    ccdr::Status before_commit(size_t, std::string_view, ccdr_origin, std::string_view) override { return {}; }
    void after_commit(size_t, std::string_view, uint64_t, int64_t) override {}
    void database_event(size_t server, std::string_view database, ccdr_event_kind event, ccdr_member_role,
                        ccdr_database_kind kind) override {
        std::lock_guard lock(mu_);
        events_.push_back(Event{server, std::string(database), event, kind});
    }
    std::optional<ccdr_database_status> describe_database(size_t, std::string_view) override { return std::nullopt; }
    void collect_metrics(size_t, const MetricEmit&) override {}
    std::vector<ProcedureInfo> procedures(size_t) override { return {}; }
    Outcome<std::vector<std::string>> call_procedure(size_t, const std::string&, const List&, const AuthUser&,
                                                     const std::string&, const RowSink&) override {
        return std::vector<std::string>{};
    }
    std::vector<Event> events() {
        std::lock_guard lock(mu_);
        return events_;
    }
    void clear() {
        std::lock_guard lock(mu_);
        events_.clear();
    }

private:
    std::mutex mu_;
    std::vector<Event> events_;
};

// What make_replica hands the plugin, copied; optionally refusing one tx.
struct UndoneLog {
    struct Tx {
        uint64_t id;
        int64_t time;
        size_t payload_bytes;
        std::string changes;
    };
    std::vector<Tx> txs;
    uint64_t refuse_at = 0;
    ccdr_undone_sink sink() {
        return ccdr_undone_sink{CCDR_HEADER_INIT(ccdr_undone_sink), this, [](void* ctx, const ccdr_undone_tx* t) {
                                    auto* self = static_cast<UndoneLog*>(ctx);
                                    if (t->tx_id == self->refuse_at) {
                                        return CCDR_IO_ERROR;
                                    }
                                    self->txs.push_back(Tx{t->tx_id, t->commit_time_ms, t->payload.len,
                                                           std::string(t->changes.data, t->changes.len)});
                                    return CCDR_OK;
                                }};
    }
};

// Everything make_replica may change, to check a refusal changed nothing.
struct Shape {
    ccdr_database_kind kind;
    uint64_t epoch;
    bool read_only;
    std::vector<uint64_t> last;
    std::vector<std::string> hashes;
    std::vector<std::string> files;
    bool operator==(const Shape&) const = default;
};

Shape shape_of(Cluster& c, const std::string& name) {
    auto db = c.database(name);
    Shape s{db->record.kind, db->record.epoch, db->record.read_only, {}, {}, {}};
    for (const auto& m : db->members) {
        s.last.push_back(m->store()->last_committed());
        s.hashes.push_back(m->store()->content_hash().value());
        s.files.push_back(m->store()->file().string());
    }
    return s;
}

size_t graph_files_in(const std::filesystem::path& dir) {
    size_t n = 0;
    for (const auto& e : std::filesystem::directory_iterator(dir)) {
        n += e.path().extension() == ".db" ? 1 : 0;
    }
    return n;
}

ccdr::ValueMap replica_options() {
    return ccdr::ValueMap{{"replicaConfig", ccdr::Value(ccdr::ValueMap{
                                                {"remote", ccdr::Value("foo-replica")},
                                                {"addresses", ccdr::Value::list({ccdr::Value("b1:6000")})}})}};
}

}  // namespace

TEST_CASE("set_database_access: a fence with a reason on every member, its last tx, across a restart",
          "[refhost][fence][switchover]") {
    TempHome home(3);
    {
        auto c = home.open_cluster();
        REQUIRE(c->create_database("foo", false, TopologyRequest{3, 0}, true).ok());
        for (int i = 0; i < 5; ++i) {
            commit_node(*c, "foo", i);
        }
        auto last = c->set_access("FOO", true, "switchover to region B in progress", true);
        REQUIRE(last.is_ok());
        CHECK(*last == 5);
        CHECK(c->database("foo")->writer()->store()->log_info().last_committed_tx == 5);
        for (size_t s = 0; s < 3; ++s) {
            auto w = write_one(*c, s, "foo");
            REQUIRE_FALSE(w.ok());
            CHECK(w.error().code == "Neo.ClientError.General.ForbiddenOnReadOnlyDatabase");
        }
        for (const auto& r : rows_of(*c, "foo")) {
            CHECK(r.access == "read-only");
            CHECK(r.status_message == "switchover to region B in progress");
        }
        // Again: the same answer, a new reason replaces the old one.
        auto again = c->set_access("foo", true, "switchover step 2", true);
        REQUIRE(again.is_ok());
        CHECK(*again == 5);
    }
    auto c = home.open_cluster();  // a restart of the home
    CHECK(c->database("foo")->record.access_reason == "switchover step 2");
    for (const auto& r : rows_of(*c, "foo")) {
        CHECK(r.access == "read-only");
        CHECK(r.status_message == "switchover step 2");
    }
    CHECK_FALSE(write_one(*c, c->database("foo")->writer()->server(), "foo").ok());

    SECTION("ALTER DATABASE ... SET ACCESS READ WRITE lifts it and clears the reason") {
        REQUIRE(c->alter_database("foo", false, AlterDatabaseRequest{false, std::nullopt}, true).ok());
    }
    SECTION("set_database_access READ WRITE lifts it and clears the reason") {
        REQUIRE(c->set_access("foo", false, "ignored when writable", true).is_ok());
    }
    CHECK(c->database("foo")->record.access_reason.empty());
    for (const auto& r : rows_of(*c, "foo")) {
        CHECK(r.access == "read-write");
        CHECK(r.status_message.empty());
    }
    auto w = write_one(*c, c->database("foo")->writer()->server(), "foo");
    REQUIRE(w.ok());
    CHECK(w.value() == 6);
    // ALTER's READ ONLY has no reason to show.
    REQUIRE(c->alter_database("foo", false, AlterDatabaseRequest{true, std::nullopt}, true).ok());
    for (const auto& r : rows_of(*c, "foo")) {
        CHECK(r.status_message.empty());
    }

    // Refusals: the system database, a replica (either way), a database that does not exist.
    auto system = c->set_access("system", true, "x", true);
    CHECK(system.status().code() == CCDR_INVALID_ARGUMENT);
    ccdr::DatabaseSpec spec;
    spec.name = "rep";
    spec.kind = CCDR_KIND_REPLICA;
    REQUIRE(c->create(spec).is_ok());
    for (bool read_only : {true, false}) {
        auto replica = c->set_access("rep", read_only, "x", true);
        CHECK(replica.status().code() == CCDR_INVALID_ARGUMENT);
        CHECK_THAT(replica.status().message(), Catch::Contains("is a replica database"));
    }
    CHECK_FALSE(c->database("rep")->record.read_only);
    CHECK(c->set_access("nope", true, "x", true).status().code() == CCDR_DATABASE_NOT_FOUND);
}

TEST_CASE("set_database_access under 16 writers: the last tx it returns is the last acknowledged write",
          "[refhost][fence][switchover]") {
    TempHome home(2);
    auto c = home.open_cluster();
    REQUIRE(c->create_database("foo", false, TopologyRequest{2, 0}, true).ok());
    const size_t server = c->database("foo")->writer()->server();
    std::atomic<bool> stop{false};
    std::atomic<int> refused{0};
    std::mutex mu;
    std::vector<uint64_t> acknowledged;
    std::vector<std::thread> writers;
    for (int t = 0; t < 16; ++t) {
        writers.emplace_back([&] {
            while (!stop.load()) {
                auto w = write_one(*c, server, "foo");
                if (w.ok()) {
                    std::lock_guard lock(mu);
                    acknowledged.push_back(w.value());
                } else {
                    refused.fetch_add(1);
                }
            }
        });
    }
    REQUIRE(ccdr::test::eventually([&] {
        std::lock_guard lock(mu);
        return acknowledged.size() >= 32;
    }));
    auto fence = c->set_access("foo", true, "switchover", true);
    // The writers keep trying after the fence until each has been refused
    // a few times on average: any write still in flight has ended by then.
    REQUIRE(ccdr::test::eventually([&] { return refused.load() >= 64; }));
    stop = true;
    for (auto& w : writers) {
        w.join();
    }
    REQUIRE(fence.is_ok());
    std::sort(acknowledged.begin(), acknowledged.end());
    CHECK(acknowledged.back() == *fence);
    CHECK(acknowledged.size() == *fence);  // every tx up to the fence was acknowledged, none after
    for (const auto& m : c->database("foo")->members) {
        CHECK(m->store()->log_info().last_committed_tx == *fence);  // every primary has it
    }
}

TEST_CASE("make_replica at the last tx: nothing undone, kind, epoch and options recorded, fence lifted, "
          "STOPPED then STARTED as a replica",
          "[refhost][make_replica][switchover]") {
    TempHome home(3);
    {
        auto c = home.open_cluster();
        EventLog events;
        c->set_plugins(&events);
        REQUIRE(c->create_database("foo", false, TopologyRequest{2, 1}, true).ok());
        for (int i = 0; i < 6; ++i) {
            commit_node(*c, "foo", i);
        }
        REQUIRE(ccdr::test::eventually([&] {
            for (const auto& m : c->database("foo")->members) {
                if (m->last_tx() != 6) {
                    return false;
                }
            }
            return true;
        }));
        REQUIRE(c->set_access("foo", true, "switchover", true).is_ok());
        const std::string hash = c->database("foo")->writer()->store()->content_hash().value();
        events.clear();
        // Nothing is undone: no sink needed.
        REQUIRE(c->make_replica("foo", 2, 6, replica_options(), nullptr).is_ok());
        auto db = c->database("foo");
        CHECK(db->record.kind == CCDR_KIND_REPLICA);
        CHECK(db->record.epoch == 2);
        CHECK_FALSE(db->record.read_only);
        CHECK(db->record.access_reason.empty());
        REQUIRE(db->record.options.count("replicaConfig") == 1);
        CHECK(db->record.options.at("replicaConfig").as<Map>().at("remote") == Value("foo-replica"));
        for (const auto& m : db->members) {
            CHECK(m->last_tx() == 6);
            CHECK(m->online());
            CHECK_FALSE(m->writer());
            CHECK(m->store()->content_hash().value() == hash);
        }
        for (const auto& r : rows_of(*c, "foo")) {
            CHECK(r.type == "replica");
            CHECK(r.access == "read-only");
            CHECK_FALSE(r.writer);
            CHECK(r.status_message.empty());
        }
        auto seen = events.events();
        REQUIRE(seen.size() == 6);
        for (size_t i = 0; i < 3; ++i) {
            CHECK(seen[i].event == CCDR_EVENT_STOPPED);
            CHECK(seen[i].kind == CCDR_KIND_STANDARD);
            CHECK(seen[3 + i].event == CCDR_EVENT_STARTED);
            CHECK(seen[3 + i].kind == CCDR_KIND_REPLICA);
            CHECK(seen[3 + i].database == "foo");
        }
        // A replica: user writes are refused, replication continues at 7.
        auto w = write_one(*c, db->members[0]->server(), "foo");
        REQUIRE_FALSE(w.ok());
        CHECK(w.error().code == "Neo.ClientError.General.ForbiddenOnReadOnlyDatabase");
        c->set_plugins(nullptr);
    }
    auto c = home.open_cluster();  // it survives a restart
    auto db = c->database("foo");
    CHECK(db->record.kind == CCDR_KIND_REPLICA);
    CHECK(db->record.epoch == 2);
    CHECK_FALSE(db->record.read_only);
    CHECK(db->record.options.count("replicaConfig") == 1);
    ChangeRecordWriter next;
    next.create_node(100, {"Upstream"}, {});
    std::vector<ccdr_tx> txs{ccdr_tx{7, 7007, ccdr_bytes{next.bytes().data(), next.bytes().size()}}};
    for (const auto& m : db->members) {
        REQUIRE(StoreAccess(*c).apply_batch(m->server(), "foo", txs).is_ok());
        CHECK(m->last_tx() == 7);
    }
}

TEST_CASE("make_replica before the last tx: the undone transactions go to the sink first, every member "
          "ends exactly at to_tx",
          "[refhost][make_replica][reattach]") {
    TempHome home(3);
    auto c = home.open_cluster();
    EventLog events;
    c->set_plugins(&events);
    REQUIRE(c->create_database("foo", false, TopologyRequest{3, 0}, true).ok());
    const std::string store_id = c->database("foo")->record.store_id;
    for (int i = 0; i < 3; ++i) {
        commit_node(*c, "foo", i);
    }
    // One member misses what follows (offline: neither copies nor catch-up reach it).
    auto db = c->database("foo");
    std::shared_ptr<Member> behind;
    for (const auto& m : db->members) {
        if (!m->writer()) {
            behind = m;
            break;
        }
    }
    REQUIRE(behind);
    behind->set_state(CCDR_DB_OFFLINE);
    for (int i = 3; i < 7; ++i) {
        commit_node(*c, "foo", i);  // txs 4..7
    }
    const std::string hash_at_7 = db->writer()->store()->content_hash().value();
    const int64_t time_at_7 = db->writer()->store()->state().last_time_ms;
    // 8: a relationship and a property; 9: a label and a property removed; 10: deletes.
    const size_t server = db->writer()->server();
    REQUIRE(write_on(*c, server, "foo", [](GraphWriter& g) -> Done {
                auto r = g.create_relationship(0, 1, "KNOWS", Map{{"since", Value(2020)}});
                if (!r.ok()) {
                    return r.error();
                }
                return g.set_node_property(2, "name", Value("x\"y"));
            }).ok());
    REQUIRE(write_on(*c, server, "foo", [](GraphWriter& g) -> Done {
                Done d = g.add_labels(3, {"Extra"});
                return d.ok() ? g.set_node_property(2, "name", Value()) : d;
            }).ok());
    REQUIRE(write_on(*c, server, "foo", [](GraphWriter& g) -> Done { return g.delete_node(0, true); }).ok());
    REQUIRE(db->writer()->last_tx() == 10);
    CHECK(behind->last_tx() == 3);
    REQUIRE(c->set_access("foo", true, "re-attaching", true).is_ok());
    events.clear();

    UndoneLog undone;
    auto sink = undone.sink();
    const auto t0 = std::chrono::steady_clock::now();
    REQUIRE(c->make_replica("foo", 7, 7, replica_options(), &sink).is_ok());
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0);
    WARN("make_replica reverting 2 members of 10 txs to tx 7: " << ms.count() << " ms");

    REQUIRE(undone.txs.size() == 3);
    for (size_t i = 0; i < 3; ++i) {
        CHECK(undone.txs[i].id == 8 + i);
        CHECK(undone.txs[i].time >= time_at_7);
        CHECK(undone.txs[i].payload_bytes > 0);
    }
    CHECK(undone.txs[0].changes ==
          R"([{"op":"createRelationship","id":0,"type":"KNOWS","start":0,"end":1,"properties":{"since":2020}},)"
          R"({"op":"setNodeProperty","id":2,"key":"name","value":"x\"y"}])");
    CHECK(undone.txs[1].changes ==
          R"([{"op":"addLabels","id":3,"labels":["Extra"]},{"op":"setNodeProperty","id":2,"key":"name","value":null}])");
    CHECK(undone.txs[2].changes == R"([{"op":"deleteRelationship","id":0},{"op":"deleteNode","id":0}])");

    db = c->database("foo");
    CHECK(db->record.kind == CCDR_KIND_REPLICA);
    CHECK(db->record.epoch == 7);
    CHECK(db->record.store_id == store_id);
    for (const auto& m : db->members) {
        auto store = m->store();
        CHECK(m->last_tx() == 7);
        CHECK(store->log_info().last_committed_tx == 7);
        CHECK(store->log_info().last_commit_time_ms == time_at_7);
        CHECK(store->content_hash().value() == hash_at_7);
        std::vector<uint64_t> ids;
        REQUIRE(store->read_log(1, 1 << 20, [&](const ccdr_tx& tx) {
                         ids.push_back(tx.tx_id);
                         return CCDR_OK;
                     }).is_ok());
        REQUIRE(ids.size() == 7);
        CHECK(ids.front() == 1);
        CHECK(ids.back() == 7);
        // The old generation is gone once nothing uses it.
        CHECK(ccdr::test::eventually([&] { return graph_files_in(store->dir()) == 1; }));
    }
    // Events: STOPPED for the two members that were online, STARTED (REPLICA) for all three.
    size_t stopped = 0, started = 0;
    for (const auto& e : events.events()) {
        if (e.event == CCDR_EVENT_STOPPED) {
            CHECK(started == 0);
            ++stopped;
        } else if (e.event == CCDR_EVENT_STARTED) {
            CHECK(e.kind == CCDR_KIND_REPLICA);
            ++started;
        }
    }
    CHECK(stopped == 2);
    CHECK(started == 3);
    c->set_plugins(nullptr);
    // The replica continues at 8 with the upstream's transactions, on every member.
    ChangeRecordWriter next;
    next.create_node(50, {"FromB"}, {});
    std::vector<ccdr_tx> txs{ccdr_tx{8, time_at_7 + 1, ccdr_bytes{next.bytes().data(), next.bytes().size()}}};
    for (const auto& m : db->members) {
        REQUIRE(StoreAccess(*c).apply_batch(m->server(), "foo", txs).is_ok());
    }
}

TEST_CASE("make_replica refusals change nothing", "[refhost][make_replica]") {
    TempHome home(2, {"db.tx_log.rotation.retention_policy=keep_all"});
    auto c = home.open_cluster();
    REQUIRE(c->create_database("foo", false, TopologyRequest{2, 0}, true).ok());
    for (int i = 0; i < 10; ++i) {
        commit_node(*c, "foo", i);
    }
    const Shape before = shape_of(*c, "foo");
    EventLog events;
    c->set_plugins(&events);
    UndoneLog undone;
    auto sink = undone.sink();
    auto unchanged = [&] {
        CHECK(shape_of(*c, "foo") == before);
        auto db = c->database("foo");
        CHECK(db->record.options.empty());
        for (const auto& m : db->members) {
            CHECK(m->online());
            CHECK(graph_files_in(m->store()->dir()) == 1);
        }
        CHECK(db->writer());
    };

    SECTION("not a standard database") {
        CHECK(c->make_replica("system", 5, 0, {}, &sink).code() == CCDR_INVALID_ARGUMENT);
        ccdr::DatabaseSpec spec;
        spec.name = "rep";
        spec.kind = CCDR_KIND_REPLICA;
        REQUIRE(c->create(spec).is_ok());
        auto st = c->make_replica("rep", 5, 0, {}, &sink);
        CHECK(st.code() == CCDR_INVALID_ARGUMENT);
        CHECK_THAT(st.message(), Catch::Contains("only a standard database can become a replica"));
        CHECK(c->make_replica("nope", 5, 0, {}, &sink).code() == CCDR_DATABASE_NOT_FOUND);
        CHECK(events.events().size() == 2);  // rep's CREATED and STARTED only
    }
    SECTION("an epoch that is not greater") {
        auto st = c->make_replica("foo", 1, 10, {}, &sink);
        CHECK(st.code() == CCDR_INVALID_ARGUMENT);
        CHECK_THAT(st.message(), Catch::Contains("its own epoch is 1"));
        CHECK(events.events().empty());
    }
    SECTION("a tx beyond the last") {
        auto st = c->make_replica("foo", 2, 11, {}, &sink);
        CHECK(st.code() == CCDR_INVALID_ARGUMENT);
        CHECK_THAT(st.message(), Catch::Contains("its last committed tx is 10"));
        CHECK(events.events().empty());
    }
    SECTION("the sink refuses a transaction") {
        undone.refuse_at = 9;
        auto st = c->make_replica("foo", 2, 6, {}, &sink);
        CHECK(st.code() == CCDR_IO_ERROR);
        CHECK_THAT(st.message(), Catch::Contains("refused undone tx 9"));
        CHECK(undone.txs.size() == 2);  // 7 and 8
        CHECK(events.events().empty());  // nothing stopped
    }
    SECTION("transactions to undo and no sink") {
        CHECK(c->make_replica("foo", 2, 6, {}, nullptr).code() == CCDR_INVALID_ARGUMENT);
    }
    SECTION("the system database cannot record it (after the new generations were built)") {
        sqlite3* other = nullptr;
        auto file = c->config().data_dir() / "system" / "system.db";
        REQUIRE(sqlite3_open(file.c_str(), &other) == SQLITE_OK);
        REQUIRE(sqlite3_exec(other, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) == SQLITE_OK);
        auto st = c->make_replica("foo", 2, 4, replica_options(), &sink);
        sqlite3_exec(other, "ROLLBACK", nullptr, nullptr, nullptr);
        sqlite3_close(other);
        REQUIRE_FALSE(st.is_ok());
        CHECK_THAT(st.message(), Catch::Contains("recording it in the system database (nothing was changed)"));
        CHECK(undone.txs.size() == 6);
        // Restarted as the standard database it was, and writable.
        auto seen = events.events();
        REQUIRE_FALSE(seen.empty());
        CHECK(seen.back().event == CCDR_EVENT_STARTED);
        CHECK(seen.back().kind == CCDR_KIND_STANDARD);
        unchanged();
        REQUIRE(write_one(*c, c->database("foo")->writer()->server(), "foo").ok());
        c->set_plugins(nullptr);
        return;
    }
    unchanged();
    c->set_plugins(nullptr);
}

TEST_CASE("make_replica refuses a revert the log does not reach, naming the member", "[refhost][make_replica]") {
    TempHome home(2, {"db.tx_log.rotation.retention_policy=3 txs"});
    auto c = home.open_cluster();
    REQUIRE(c->create_database("foo", false, TopologyRequest{2, 0}, true).ok());
    for (int i = 0; i < 10; ++i) {
        commit_node(*c, "foo", i);
    }
    c->prune_logs();
    const Shape before = shape_of(*c, "foo");
    UndoneLog undone;
    auto sink = undone.sink();
    auto st = c->make_replica("foo", 2, 5, replica_options(), &sink);
    CHECK(st.code() == CCDR_LOG_PRUNED);
    CHECK_THAT(st.message(), Catch::Contains("the member on ") && Catch::Contains("its log starts at tx 8") &&
                                 Catch::Contains("cannot go back to tx 5"));
    CHECK(undone.txs.empty());
    CHECK(shape_of(*c, "foo") == before);
    CHECK(c->database("foo")->record.kind == CCDR_KIND_STANDARD);
    // At the last tx no log is needed.
    REQUIRE(c->make_replica("foo", 2, 10, replica_options(), &sink).is_ok());
    CHECK(c->database("foo")->record.kind == CCDR_KIND_REPLICA);
}

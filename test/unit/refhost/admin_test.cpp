// Administration (create, drop, start, stop), SHOW DATABASES rows, SHOW
// SERVERS, routing tables, promotion and topology changes, options.
#include "plugin_host/store_access.hpp"
#include "store/change_record.hpp"
#include "support/eventually.hpp"
#include "support/refhost_home.hpp"

#include <catch2/catch.hpp>
#include <sqlite3.h>

#include <fstream>
#include <atomic>
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

void commit_nodes(Cluster& c, const std::string& db, int n) {
    auto w = c.database(db)->writer();
    REQUIRE(w);
    for (int i = 0; i < n; ++i) {
        auto tx = c.begin(w->server(), db, AccessMode::Write, admin(), {}, std::chrono::milliseconds(100));
        REQUIRE(tx.ok());
        REQUIRE(tx.value()->graph().create_node({"N"}, Map{{"i", Value(i)}}).ok());
        REQUIRE(tx.value()->commit().ok());
    }
}

ccdr_tx view(uint64_t id, const std::vector<uint8_t>& payload) {
    return ccdr_tx{id, 1000 + static_cast<int64_t>(id), ccdr_bytes{payload.data(), payload.size()}};
}

}  // namespace

TEST_CASE("CREATE, DROP, START, STOP DATABASE", "[refhost][admin]") {
    TempHome home(3);
    auto c = home.open_cluster();
    REQUIRE(c->create_database("Foo", false, TopologyRequest{2, 1}, true).ok());
    auto db = c->database("foo");
    REQUIRE(db);
    CHECK(db->members.size() == 3);
    db.reset();
    auto again = c->create_database("foo", false, std::nullopt, true);
    REQUIRE_FALSE(again.ok());
    CHECK(again.error().code == "Neo.ClientError.Database.ExistingDatabaseFound");
    CHECK(c->create_database("foo", true, std::nullopt, true).ok());
    auto bad_name = c->create_database("no_underscore", false, std::nullopt, true);
    REQUIRE_FALSE(bad_name.ok());
    CHECK(bad_name.error().message.find("letters, digits, dots and dashes") != std::string::npos);
    auto too_big = c->create_database("big", false, TopologyRequest{4, 0}, true);
    REQUIRE_FALSE(too_big.ok());
    CHECK(too_big.error().message.find("Cannot allocate 4 primaries: only 3 servers allow the primary role") !=
          std::string::npos);
    CHECK_FALSE(c->database("big"));

    commit_nodes(*c, "foo", 3);
    REQUIRE(c->stop_database("foo", true).ok());
    auto stopped = rows_of(*c, "foo");
    for (const auto& r : stopped) {
        CHECK(r.requested_status == "offline");
        CHECK(r.current_status == "offline");
        CHECK(r.last_stop_time.has_value());
    }
    REQUIRE(c->start_database("foo", true).ok());
    for (const auto& r : rows_of(*c, "foo")) {
        CHECK(r.current_status == "online");
        CHECK(r.last_committed_txn == 3);
    }
    auto stop_system = c->stop_database("system", true);
    REQUIRE_FALSE(stop_system.ok());
    CHECK(stop_system.error().message.find("Not allowed to stop system database.") != std::string::npos);

    std::filesystem::path dir = home.path() / "data/servers/server-1/databases/foo";
    CHECK(std::filesystem::exists(dir));
    REQUIRE(c->drop_database("foo", false, true).ok());
    CHECK_FALSE(c->database("foo"));
    CHECK_FALSE(std::filesystem::exists(dir));
    auto missing = c->drop_database("foo", false, true);
    REQUIRE_FALSE(missing.ok());
    CHECK(missing.error().code == "Neo.ClientError.Database.DatabaseNotFound");
    CHECK(c->drop_database("foo", true, true).ok());
    auto drop_system = c->drop_database("system", false, true);
    REQUIRE_FALSE(drop_system.ok());
    CHECK(drop_system.error().message.find("Not allowed to delete system database.") != std::string::npos);
}

TEST_CASE("the system database survives restarts with its databases and users", "[refhost][admin]") {
    TempHome home(2);
    std::string store_id;
    {
        auto c = home.open_cluster();
        REQUIRE(c->create_database("kept", false, TopologyRequest{2, 0}, true).ok());
        commit_nodes(*c, "kept", 4);
        store_id = c->database("kept")->record.store_id;
        REQUIRE(c->stop_database("kept", true).ok());
    }
    auto c = home.open_cluster();
    auto db = c->database("kept");
    REQUIRE(db);
    CHECK(db->record.store_id == store_id);
    CHECK_FALSE(db->record.requested_online);
    for (const auto& m : db->members) {
        CHECK(m->last_tx() == 4);
    }
    CHECK(c->authenticate("basic", "neo4j", "neo4j").ok());
    CHECK(c->authenticate("basic", "neo4j", "wrong").error().code == "Neo.ClientError.Security.Unauthorized");
    CHECK(c->authenticate("none", "", "").error().code == "Neo.ClientError.Security.Unauthorized");
}

TEST_CASE("SHOW DATABASES rows", "[refhost][admin]") {
    TempHome home(3, {"initial.dbms.default_primaries_count=2", "initial.dbms.default_secondaries_count=1"});
    auto c = home.open_cluster();
    commit_nodes(*c, "neo4j", 2);
    c->catch_up_all();  // the secondary follows shortly after; do not race it
    auto all = c->show_databases(0, std::nullopt, admin());
    REQUIRE(all.ok());
    REQUIRE(all->size() == 6);  // neo4j on 3 servers, system on 3
    CHECK(all->at(0).name == "neo4j");
    CHECK(all->at(3).name == "system");
    int writers = 0;
    for (const auto& r : rows_of(*c, "neo4j")) {
        CHECK(r.type == "standard");
        CHECK(r.access == "read-write");
        CHECK(r.requested_status == "online");
        CHECK(r.current_status == "online");
        CHECK(r.is_default);
        CHECK(r.is_home);
        CHECK(r.store == "sqlite-graph-1.0");
        CHECK(r.last_committed_txn == 2);
        CHECK(r.replication_lag == 0);
        CHECK(r.current_primaries_count == 2);
        CHECK(r.requested_secondaries_count == 1);
        CHECK(r.address.has_value());
        writers += r.writer ? 1 : 0;
        if (r.writer) {
            CHECK(r.role == "primary");
        }
    }
    CHECK(writers == 1);
    for (const auto& r : rows_of(*c, "system")) {
        CHECK(r.type == "system");
        CHECK(r.role == "primary");
        CHECK(r.last_committed_txn >= 1);
    }
    CHECK(rows_of(*c, "nope").empty());
    auto servers = c->show_servers();
    REQUIRE(servers.size() == 3);
    CHECK(servers[0].name == "server-1");
    CHECK(servers[0].address == home.bolt(0));
    CHECK(std::find(servers[0].hosting.begin(), servers[0].hosting.end(), "system") != servers[0].hosting.end());
}

TEST_CASE("routing tables as DESIGN section 6 says", "[refhost][admin]") {
    SECTION("2 primaries, 1 secondary: 1 WRITE, 2 READ, 3 ROUTE") {
        TempHome home(3, {"initial.dbms.default_primaries_count=2", "initial.dbms.default_secondaries_count=1"});
        auto c = home.open_cluster();
        auto t = c->routing_table(0, "neo4j");
        REQUIRE(t.ok());
        CHECK(t->ttl_seconds == 300);
        CHECK(t->writers.size() == 1);
        CHECK(t->readers.size() == 2);
        CHECK(t->routers.size() == 3);
        CHECK(std::find(t->readers.begin(), t->readers.end(), t->writers[0]) == t->readers.end());
        auto dflt = c->routing_table(1, "");
        REQUIRE(dflt.ok());
        CHECK(dflt->database == "neo4j");
        auto sys = c->routing_table(0, "system");
        REQUIRE(sys.ok());
        CHECK(sys->writers == std::vector<std::string>{home.bolt(0)});
        CHECK(sys->readers.size() == 2);
        CHECK(sys->routers.size() == 3);
        auto none = c->routing_table(0, "nope");
        REQUIRE_FALSE(none.ok());
        CHECK(none.error().code == "Neo.ClientError.Database.DatabaseNotFound");
    }
    SECTION("reads_on_primaries_enabled=false: only secondaries read") {
        TempHome home(3, {"initial.dbms.default_primaries_count=2", "initial.dbms.default_secondaries_count=1",
                          "dbms.routing.reads_on_primaries_enabled=false", "dbms.routing_ttl=10s"});
        auto c = home.open_cluster();
        auto t = c->routing_table(0, "neo4j");
        REQUIRE(t.ok());
        CHECK(t->ttl_seconds == 10);
        REQUIRE(t->readers.size() == 1);
        auto db = c->database("neo4j");
        for (const auto& m : db->members) {
            if (m->role() == CCDR_ROLE_SECONDARY) {
                CHECK(t->readers[0] == home.bolt(m->server()));
            }
        }
    }
    SECTION("a single member reads and writes") {
        TempHome home(1);
        auto c = home.open_cluster();
        auto t = c->routing_table(0, "neo4j");
        REQUIRE(t.ok());
        CHECK(t->writers == std::vector<std::string>{home.bolt(0)});
        CHECK(t->readers == std::vector<std::string>{home.bolt(0)});
        CHECK(t->routers == std::vector<std::string>{home.bolt(0)});
    }
    SECTION("a replica: no writer, every member reads; only secondaries without reads on primaries") {
        for (bool on_primaries : {true, false}) {
            TempHome home(5, {on_primaries ? "dbms.routing.reads_on_primaries_enabled=true"
                                           : "dbms.routing.reads_on_primaries_enabled=false"});
            auto c = home.open_cluster();
            ccdr::DatabaseSpec spec;
            spec.name = "foo-replica";
            spec.kind = CCDR_KIND_REPLICA;
            spec.primaries = 3;
            spec.secondaries = 2;
            REQUIRE(c->create(spec).is_ok());
            auto t = c->routing_table(0, "foo-replica");
            REQUIRE(t.ok());
            CHECK(t->writers.empty());
            CHECK(t->readers.size() == (on_primaries ? 5u : 2u));
            CHECK(t->routers.size() == 5);
            for (const auto& r : rows_of(*c, "foo-replica")) {
                CHECK(r.type == "replica");
                CHECK(r.access == "read-only");
                CHECK_FALSE(r.writer);
            }
        }
    }
}

namespace {

// A replica of 3 primaries and 2 secondaries (store id upstream-store,
// epoch 4, an upstream link in its options) on `home`'s cluster, its
// members fed unevenly (4, 6, 8, 10 and 12 transactions), as independent
// appliers leave them.
std::unique_ptr<Cluster> uneven_replica(const TempHome& home) {
    auto c = home.open_cluster();
    ccdr::DatabaseSpec spec;
    spec.name = "foo-replica";
    spec.kind = CCDR_KIND_REPLICA;
    spec.primaries = 3;
    spec.secondaries = 2;
    spec.store_id = "upstream-store";
    spec.epoch = 4;
    spec.options = ccdr::ValueMap{{"remote", ccdr::Value("foo")},
                                  {"addresses", ccdr::Value::list({ccdr::Value("a:6000"), ccdr::Value("b:6000")})}};
    REQUIRE(c->create(spec).is_ok());
    auto db = c->database("foo-replica");
    std::vector<std::vector<uint8_t>> payloads;
    for (int i = 0; i < 12; ++i) {
        ChangeRecordWriter w;
        w.create_node(i, {"R"}, Map{{"i", Value(i)}});
        payloads.push_back(w.bytes());
    }
    for (size_t k = 0; k < db->members.size(); ++k) {
        std::vector<ccdr_tx> txs;
        for (size_t i = 0; i < 4 + 2 * k; ++i) {
            txs.push_back(view(i + 1, payloads[i]));
        }
        REQUIRE(StoreAccess(*c).apply_batch(db->members[k]->server(), "foo-replica", txs).is_ok());
    }
    return c;
}

struct MemberShape {
    size_t server;
    ccdr_member_role role;
    uint64_t last_tx;
    bool operator==(const MemberShape&) const = default;
};

std::vector<MemberShape> shape_of(const DatabaseState& db) {
    std::vector<MemberShape> out;
    for (const auto& m : db.members) {
        out.push_back({m->server(), m->role(), m->last_tx()});
    }
    return out;
}

// A server of the cluster without a member of `db`.
size_t server_without(const Cluster& c, const DatabaseState& db) {
    for (size_t s = 0; s < c.servers().size(); ++s) {
        if (!db.member_on(s)) {
            return s;
        }
    }
    FAIL("every server has a member");
    return 0;
}

}  // namespace

TEST_CASE("promotion: members equalised, a writer elected, a new epoch", "[refhost][admin]") {
    TempHome home(5);
    auto c = uneven_replica(home);
    auto db = c->database("foo-replica");
    CHECK(db->record.options.at("remote") == Value("foo"));
    auto w = c->begin(db->members[0]->server(), "foo-replica", AccessMode::Write, admin(), {},
                      std::chrono::milliseconds(100));
    REQUIRE(w.ok());
    auto refused = w.value()->graph().create_node({"X"}, {});
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.error().code == "Neo.ClientError.General.ForbiddenOnReadOnlyDatabase");
    w.value()->rollback();

    CHECK(c->set_database_kind("neo4j", CCDR_KIND_STANDARD, 0).code() == CCDR_INVALID_ARGUMENT);
    REQUIRE(c->set_database_kind("foo-replica", CCDR_KIND_STANDARD, 0).is_ok());
    db = c->database("foo-replica");
    CHECK(db->record.kind == CCDR_KIND_STANDARD);
    CHECK(db->record.epoch == 5);
    CHECK(db->record.store_id == "upstream-store");
    auto writer = db->writer();
    REQUIRE(writer);
    CHECK(writer->role() == CCDR_ROLE_PRIMARY);
    std::string hash = writer->store()->content_hash().value();
    for (const auto& m : db->members) {
        CHECK(m->last_tx() == 12);
        CHECK(m->store()->content_hash().value() == hash);
    }
    // Writable now, and the ids continue from the upstream's.
    auto tx = c->begin(writer->server(), "foo-replica", AccessMode::Write, admin(), {}, std::chrono::milliseconds(100));
    REQUIRE(tx.value()->graph().create_node({"After"}, {}).ok());
    auto bm = tx.value()->commit();
    REQUIRE(bm.ok());
    CHECK(bm.value().substr(bm.value().rfind(':') + 1) == "13");
    int writers = 0;
    for (const auto& r : rows_of(*c, "foo-replica")) {
        CHECK(r.type == "standard");
        CHECK(r.access == "read-write");
        writers += r.writer ? 1 : 0;
    }
    CHECK(writers == 1);
    // One-way.
    CHECK(c->set_database_kind("foo-replica", CCDR_KIND_STANDARD, 0).code() == CCDR_INVALID_ARGUMENT);
    CHECK(c->set_database_kind("foo-replica", CCDR_KIND_REPLICA, 0).code() == CCDR_INVALID_ARGUMENT);
}

TEST_CASE("promotion with a topology is one step: new members seeded, kind and topology recorded together",
          "[refhost][admin]") {
    TempHome home(7);
    auto c = uneven_replica(home);
    auto before = c->database("foo-replica");
    REQUIRE(c->promote_with_topology("foo-replica", 0, 2, 4).is_ok());
    auto db = c->database("foo-replica");
    CHECK(db->record.kind == CCDR_KIND_STANDARD);
    CHECK(db->record.epoch == 5);
    CHECK(db->record.primaries == 2);
    CHECK(db->record.secondaries == 4);
    REQUIRE(db->members.size() == 6);
    auto writer = db->writer();
    REQUIRE(writer);
    CHECK(writer->role() == CCDR_ROLE_PRIMARY);
    std::string hash = writer->store()->content_hash().value();
    size_t primaries = 0;
    for (const auto& m : db->members) {
        CHECK(m->last_tx() == 12);  // the new ones were seeded from the most advanced member
        CHECK(m->online());
        CHECK(m->store()->content_hash().value() == hash);
        primaries += m->role() == CCDR_ROLE_PRIMARY ? 1 : 0;
    }
    CHECK(primaries == 2);
    CHECK(c->promote_with_topology("foo-replica", 0, 1, 0).code() == CCDR_INVALID_ARGUMENT);  // one-way
}

TEST_CASE("promotion with a topology that fails changes nothing", "[refhost][admin]") {
    TempHome home(7);
    auto c = uneven_replica(home);
    auto before = c->database("foo-replica");
    const auto shape = shape_of(*before);
    auto unchanged = [&] {
        auto db = c->database("foo-replica");
        CHECK(db->record.kind == CCDR_KIND_REPLICA);
        CHECK(db->record.epoch == 4);
        CHECK(db->record.primaries == 3);
        CHECK(db->record.secondaries == 2);
        // The same members in the same roles; a failure after step 5 may
        // leave some of them caught up with the most advanced one (12), the
        // transactions they would have pulled anyway.
        auto now = shape_of(*db);
        REQUIRE(now.size() == shape.size());
        for (size_t i = 0; i < now.size(); ++i) {
            CHECK(now[i].server == shape[i].server);
            CHECK(now[i].role == shape[i].role);
            CHECK(now[i].last_tx >= shape[i].last_tx);
            CHECK(now[i].last_tx <= 12);
        }
        for (const auto& m : db->members) {
            CHECK(m->online());
            CHECK_FALSE(m->writer());
        }
    };
    SECTION("the servers cannot hold it") {
        auto st = c->promote_with_topology("foo-replica", 0, 8, 0);
        CHECK(st.code() == CCDR_INVALID_ARGUMENT);
        CHECK_THAT(st.message(), Catch::Contains("Cannot allocate 8 primaries"));
        unchanged();
    }
    SECTION("no primary") {
        CHECK(c->promote_with_topology("foo-replica", 0, 0, 3).code() == CCDR_INVALID_ARGUMENT);
        unchanged();
    }
    SECTION("a new member's store cannot be created") {
        // A file where the new member's store directory would go.
        size_t free_server = server_without(*c, *before);
        auto blocked = c->config().data_dir() / "servers" / c->servers()[free_server].name / "databases" / "foo-replica";
        std::filesystem::create_directories(blocked.parent_path());
        { std::ofstream(blocked) << "not a directory"; }
        auto st = c->promote_with_topology("foo-replica", 0, 3, 4);
        REQUIRE_FALSE(st.is_ok());
        CHECK_THAT(st.message(), Catch::Contains("nothing was changed"));
        unchanged();
        std::filesystem::remove(blocked);
        REQUIRE(c->promote_with_topology("foo-replica", 0, 3, 4).is_ok());
        CHECK(c->database("foo-replica")->members.size() == 7);
    }
    SECTION("the system database cannot record it (after the new members were seeded)") {
        // Another connection holds the system database's write lock: the
        // promotion's one write waits busy_timeout (10 s) and fails.
        sqlite3* other = nullptr;
        auto file = c->config().data_dir() / "system" / "system.db";
        REQUIRE(sqlite3_open(file.c_str(), &other) == SQLITE_OK);
        REQUIRE(sqlite3_exec(other, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) == SQLITE_OK);
        auto st = c->promote_with_topology("foo-replica", 0, 2, 4);
        sqlite3_exec(other, "ROLLBACK", nullptr, nullptr, nullptr);
        sqlite3_close(other);
        REQUIRE_FALSE(st.is_ok());
        CHECK_THAT(st.message(), Catch::Contains("recording it in the system database"));
        unchanged();
        // The new members' stores are gone again.
        size_t free_server = server_without(*c, *c->database("foo-replica"));
        CHECK_FALSE(std::filesystem::exists(c->config().data_dir() / "servers" / c->servers()[free_server].name /
                                            "databases" / "foo-replica"));
    }
}

TEST_CASE("a replica's new members are seeded inside the cluster", "[refhost][admin]") {
    TempHome home(7);
    auto c = uneven_replica(home);
    REQUIRE(c->set_topology("foo-replica", 3, 4).is_ok());
    auto db = c->database("foo-replica");
    CHECK(db->record.kind == CCDR_KIND_REPLICA);
    REQUIRE(db->members.size() == 7);
    size_t seeded = 0;
    for (const auto& m : db->members) {
        CHECK_FALSE(m->writer());
        CHECK(m->last_tx() >= 4);
        seeded += m->last_tx() == 12 ? 1 : 0;
    }
    CHECK(seeded == 3);  // the most advanced one and the two new ones
}

TEST_CASE("topology changes add, remove and re-role members", "[refhost][admin]") {
    TempHome home(7);
    auto c = home.open_cluster();
    auto created = c->create_database("topo", false, TopologyRequest{3, 2}, true);
    INFO((created.ok() ? std::string() : created.error().message));
    REQUIRE(created.ok());
    commit_nodes(*c, "topo", 5);
    auto before = c->database("topo");
    auto old_writer = before->writer();
    REQUIRE(c->set_topology("topo", 3, 4).is_ok());
    auto after = c->database("topo");
    CHECK(after->members.size() == 7);
    CHECK(after->record.secondaries == 4);
    CHECK(after->writer() == old_writer);
    c->catch_up_all();  // existing secondaries follow asynchronously
    for (const auto& m : after->members) {
        CHECK(m->last_tx() == 5);
    }
    REQUIRE(c->set_topology("topo", 1, 0).is_ok());
    after = c->database("topo");
    REQUIRE(after->members.size() == 1);
    CHECK(after->members[0]->writer());
    CHECK(c->set_topology("topo", 8, 0).code() == CCDR_INVALID_ARGUMENT);
    commit_nodes(*c, "topo", 1);
    CHECK(after->members[0]->last_tx() == 6);
}

namespace {

// A one-node write on `server`'s member of `db`: the commit's tx id, or the error.
Outcome<uint64_t> write_one(Cluster& c, size_t server, const std::string& db) {
    auto tx = c.begin(server, db, AccessMode::Write, admin(), {}, std::chrono::milliseconds(100));
    if (!tx.ok()) {
        return tx.error();
    }
    auto node = tx.value()->graph().create_node({"F"}, {});
    if (!node.ok()) {
        tx.value()->rollback();
        return node.error();
    }
    auto bm = tx.value()->commit();
    if (!bm.ok()) {
        return bm.error();
    }
    return static_cast<uint64_t>(std::stoull(bm.value().substr(bm.value().rfind(':') + 1)));
}

}  // namespace

TEST_CASE("SET ACCESS READ ONLY fences every member, survives a restart, and READ WRITE lifts it",
          "[refhost][admin][fence]") {
    TempHome home(3);
    {
        auto c = home.open_cluster();
        REQUIRE(c->create_database("foo", false, TopologyRequest{3, 0}, true).ok());
        commit_nodes(*c, "foo", 2);
        REQUIRE(c->alter_database("foo", false, AlterDatabaseRequest{true, std::nullopt}, true).ok());
        for (const auto& r : rows_of(*c, "foo")) {
            CHECK(r.access == "read-only");
        }
        for (size_t s = 0; s < 3; ++s) {
            auto w = write_one(*c, s, "foo");
            REQUIRE_FALSE(w.ok());
            CHECK(w.error().code == "Neo.ClientError.General.ForbiddenOnReadOnlyDatabase");
        }
        CHECK(c->database("foo")->writer()->last_tx() == 2);
    }
    auto c = home.open_cluster();  // a restart
    for (const auto& r : rows_of(*c, "foo")) {
        CHECK(r.access == "read-only");
    }
    auto w = write_one(*c, c->database("foo")->writer()->server(), "foo");
    REQUIRE_FALSE(w.ok());
    CHECK_THAT(w.error().message, Catch::Contains("it is read-only (ALTER DATABASE foo SET ACCESS READ ONLY)"));
    REQUIRE(c->alter_database("foo", false, AlterDatabaseRequest{false, std::nullopt}, true).ok());
    for (const auto& r : rows_of(*c, "foo")) {
        CHECK(r.access == "read-write");
    }
    auto again = write_one(*c, c->database("foo")->writer()->server(), "foo");
    REQUIRE(again.ok());
    CHECK(again.value() == 3);

    // What cannot be fenced or opened, and a database that does not exist.
    auto system = c->alter_database("system", false, AlterDatabaseRequest{true, std::nullopt}, true);
    REQUIRE_FALSE(system.ok());
    CHECK_THAT(system.error().message, Catch::Contains("system database cannot be changed"));
    auto missing = c->alter_database("nope", false, AlterDatabaseRequest{true, std::nullopt}, true);
    REQUIRE_FALSE(missing.ok());
    CHECK(missing.error().code == "Neo.ClientError.Database.DatabaseNotFound");
    CHECK(c->alter_database("nope", true, AlterDatabaseRequest{true, std::nullopt}, true).ok());
    ccdr::DatabaseSpec spec;
    spec.name = "rep";
    spec.kind = CCDR_KIND_REPLICA;
    REQUIRE(c->create(spec).is_ok());
    auto replica = c->alter_database("rep", false, AlterDatabaseRequest{false, std::nullopt}, true);
    REQUIRE_FALSE(replica.ok());
    CHECK(replica.error().code == "Neo.ClientError.General.InvalidArguments");
    CHECK_THAT(replica.error().message, Catch::Contains("is a replica database: it stays read-only until it is "
                                                        "promoted"));
    CHECK(c->database("rep")->record.kind == CCDR_KIND_REPLICA);
    CHECK_FALSE(c->database("rep")->record.read_only);
}

TEST_CASE("a fence set under 64 writers: no write that starts after it commits, none is lost",
          "[refhost][admin][fence]") {
    TempHome home(1);
    auto c = home.open_cluster();
    REQUIRE(c->create_database("foo", false, TopologyRequest{1, 0}, true).ok());
    const size_t server = c->database("foo")->writer()->server();
    std::atomic<bool> fenced{false};
    std::mutex mu;
    std::vector<uint64_t> committed;
    size_t committed_after = 0;  // writes that began after the fence returned and committed
    size_t refused = 0;
    size_t other_errors = 0;
    std::vector<std::thread> writers;
    for (int t = 0; t < 64; ++t) {
        writers.emplace_back([&] {
            for (int i = 0; i < 40; ++i) {
                const bool after = fenced.load();
                auto w = write_one(*c, server, "foo");
                std::lock_guard lock(mu);
                if (w.ok()) {
                    committed.push_back(w.value());
                    committed_after += after ? 1 : 0;
                } else if (w.error().code == "Neo.ClientError.General.ForbiddenOnReadOnlyDatabase") {
                    ++refused;
                } else if (w.error().code != "Neo.TransientError.Transaction.LockAcquisitionTimeout") {
                    ++other_errors;
                }
            }
        });
    }
    // The fence comes once the writers are committing.
    REQUIRE(ccdr::test::eventually([&] {
        std::lock_guard lock(mu);
        return committed.size() >= 64;
    }));
    REQUIRE(c->alter_database("foo", false, AlterDatabaseRequest{true, std::nullopt}, true).ok());
    fenced = true;
    for (auto& w : writers) {
        w.join();
    }
    CHECK(other_errors == 0);
    CHECK(committed_after == 0);
    CHECK_FALSE(committed.empty());
    CHECK(refused > 0);
    // Every id the log holds is an acknowledged write: the ones whose commit
    // had begun when the fence came finished; none was cut off.
    std::sort(committed.begin(), committed.end());
    const uint64_t last = c->database("foo")->writer()->last_tx();
    CHECK(committed.size() == last);
    CHECK(committed.back() == last);
}

TEST_CASE("database options are stored typed and survive restarts", "[refhost][admin]") {
    TempHome home;
    {
        auto c = home.open_cluster();
        ccdr::Value v = ccdr::Value::map({{"remote", ccdr::Value("foo")}, {"n", ccdr::Value(int64_t{3})}});
        REQUIRE(c->set_database_option("neo4j", "upstream", &v).is_ok());
        REQUIRE(c->set_database_option("neo4j", "gone", &v).is_ok());
        REQUIRE(c->set_database_option("neo4j", "gone", nullptr).is_ok());
        CHECK(c->set_database_option("nope", "k", &v).code() == CCDR_DATABASE_NOT_FOUND);
    }
    auto c = home.open_cluster();
    auto v = c->get_database_option("neo4j", "upstream");
    REQUIRE(v.is_ok());
    REQUIRE(v->is_map());
    CHECK(v->find("n")->as_int() == 3);
    CHECK(c->get_database_option("neo4j", "gone")->is_null());
    auto row = rows_of(*c, "neo4j").at(0);
    CHECK(row.options.count("upstream") == 1);
    auto info = c->database_info(0, "neo4j");
    REQUIRE(info.is_ok());
    CHECK(info->members.size() == 1);
    CHECK(info->members[0].is_local);
    CHECK(info->members[0].is_writer);
}

// The DbmsApi of an in-process cluster: transactions, bookmarks,
// intra-cluster replication, administration, SHOW rows, routing, errors.
#include "support/refhost_home.hpp"

#include <catch2/catch.hpp>

using namespace refhost;
using refhost::test::admin;
using refhost::test::TempHome;

namespace {

std::unique_ptr<Transaction> begin_tx(DbmsApi& dbms, size_t server, const std::string& db, AccessMode mode,
                                      std::vector<std::string> bookmarks = {}) {
    auto tx = dbms.begin(server, db, mode, admin(), bookmarks, std::chrono::milliseconds(2000));
    if (!tx) {
        FAIL(tx.error().code << ": " << tx.error().message);
    }
    return std::move(tx.value());
}

std::string write_person(DbmsApi& dbms, size_t server, const std::string& db, const std::string& name) {
    auto tx = begin_tx(dbms, server, db, AccessMode::Write);
    auto n = tx->graph().create_node({"Person"}, Map{{"name", Value(name)}});
    REQUIRE(n.ok());
    auto bm = tx->commit();
    REQUIRE(bm.ok());
    return bm.value();
}

int64_t count(DbmsApi& dbms, size_t server, const std::string& db, const std::string& label,
              std::vector<std::string> bookmarks = {}) {
    auto tx = begin_tx(dbms, server, db, AccessMode::Read, std::move(bookmarks));
    int64_t n = tx->graph().count_nodes(label);
    tx->rollback();
    return n;
}

}  // namespace

TEST_CASE("a write committed on the writer is read back, with a bookmark", "[refhost][dbms]") {
    TempHome home;
    auto cluster = home.open_cluster();
    DbmsApi& dbms = *cluster;
    REQUIRE(dbms.default_database() == "neo4j");
    std::string bm = write_person(dbms, 0, "neo4j", "Ada");
    CHECK(bm.find("refhost:neo4j:") == 0);
    CHECK(bm.substr(bm.rfind(':') + 1) == "1");
    auto tx = begin_tx(dbms, 0, "neo4j", AccessMode::Read, {bm});
    std::vector<Node> seen;
    REQUIRE(tx->graph().scan_nodes("Person", [&](const Node& n) {
        seen.push_back(n);
        return true;
    }).ok());
    REQUIRE(seen.size() == 1);
    CHECK(seen[0].labels == std::vector<std::string>{"Person"});
    CHECK(seen[0].properties.at("name") == Value("Ada"));
    CHECK(seen[0].element_id.rfind("4:", 0) == 0);
    // A read-only transaction's commit returns the member's current bookmark.
    auto again = tx->commit();
    REQUIRE(again.ok());
    CHECK(again.value() == bm);
}

TEST_CASE("every property type round-trips through the store", "[refhost][dbms]") {
    TempHome home;
    auto cluster = home.open_cluster();
    Map props{{"b", Value(true)},
              {"i", Value(int64_t{-9007199254740993})},
              {"f", Value(3.25)},
              {"s", Value("héllo")},
              {"bytes", Value(Bytes{{0, 1, 255}})},
              {"list", Value(List{Value(int64_t{1}), Value(int64_t{2})})},
              {"strings", Value(List{Value("a"), Value("b")})},
              {"date", Value(Date{19000})},
              {"lt", Value(LocalTime{123456789})},
              {"t", Value(Time{1000, 3600})},
              {"ldt", Value(LocalDateTime{1700000000, 5})},
              {"dt", Value(DateTime{1700000000, 7, -7200})},
              {"dtz", Value(DateTimeZoneId{1700000000, 9, "Europe/Paris"})},
              {"dur", Value(Duration{14, 3, 7200, 11})},
              {"p2", Value(Point2D{7203, 1.5, -2.5})},
              {"p3", Value(Point3D{9157, 1, 2, 3})}};
    int64_t id = 0;
    {
        auto tx = begin_tx(*cluster, 0, "neo4j", AccessMode::Write);
        auto n = tx->graph().create_node({"T"}, props);
        REQUIRE(n.ok());
        id = n->id;
        REQUIRE(tx->commit().ok());
    }
    auto tx = begin_tx(*cluster, 0, "neo4j", AccessMode::Read);
    auto n = tx->graph().node(id);
    REQUIRE(n.has_value());
    CHECK(n->properties == props);
}

TEST_CASE("unstorable property values are refused with a TypeError", "[refhost][dbms]") {
    TempHome home;
    auto cluster = home.open_cluster();
    auto tx = begin_tx(*cluster, 0, "neo4j", AccessMode::Write);
    auto bad_map = tx->graph().create_node({"X"}, Map{{"m", Value(Map{{"a", Value(1)}})}});
    REQUIRE_FALSE(bad_map.ok());
    CHECK(bad_map.error().code == "Neo.ClientError.Statement.TypeError");
    auto mixed = tx->graph().create_node({"X"}, Map{{"l", Value(List{Value(1), Value("a")})}});
    REQUIRE_FALSE(mixed.ok());
    CHECK(mixed.error().code == "Neo.ClientError.Statement.TypeError");
    CHECK_FALSE(tx->graph().has_writes());
}

TEST_CASE("writes in a READ transaction are AccessMode errors", "[refhost][dbms]") {
    TempHome home;
    auto cluster = home.open_cluster();
    auto tx = begin_tx(*cluster, 0, "neo4j", AccessMode::Read);
    auto n = tx->graph().create_node({"X"}, {});
    REQUIRE_FALSE(n.ok());
    CHECK(n.error().code == "Neo.ClientError.Statement.AccessMode");
    CHECK(n.error().gql_status == "42N02");
}

TEST_CASE("a rolled-back transaction leaves nothing and uses no tx id", "[refhost][dbms]") {
    TempHome home;
    auto cluster = home.open_cluster();
    {
        auto tx = begin_tx(*cluster, 0, "neo4j", AccessMode::Write);
        REQUIRE(tx->graph().create_node({"Gone"}, {}).ok());
        tx->rollback();
    }
    {
        auto tx = begin_tx(*cluster, 0, "neo4j", AccessMode::Write);
        REQUIRE(tx->graph().create_node({"Gone"}, {}).ok());
        // destroyed uncommitted: rolled back
    }
    CHECK(count(*cluster, 0, "neo4j", "Gone") == 0);
    std::string bm = write_person(*cluster, 0, "neo4j", "Bo");
    CHECK(bm.substr(bm.rfind(':') + 1) == "1");
}

TEST_CASE("relationships, labels, property updates and deletes", "[refhost][dbms]") {
    TempHome home;
    auto cluster = home.open_cluster();
    auto tx = begin_tx(*cluster, 0, "neo4j", AccessMode::Write);
    GraphWriter& g = tx->graph();
    auto a = g.create_node({"A"}, Map{{"x", Value(1)}});
    auto b = g.create_node({"B"}, {});
    REQUIRE((a.ok() && b.ok()));
    auto r = g.create_relationship(a->id, b->id, "KNOWS", Map{{"since", Value(2020)}});
    REQUIRE(r.ok());
    CHECK(r->start_element_id == a->element_id);
    REQUIRE(g.set_node_property(a->id, "y", Value("z")).ok());
    REQUIRE(g.set_node_property(a->id, "x", Value()).ok());
    REQUIRE(g.add_labels(a->id, {"C", "A"}).ok());
    REQUIRE(g.remove_labels(b->id, {"B"}).ok());
    REQUIRE(g.set_relationship_property(r->id, "w", Value(0.5)).ok());
    auto del = g.delete_node(a->id, false);
    REQUIRE_FALSE(del.ok());
    CHECK(del.error().code == "Neo.ClientError.Schema.ConstraintValidationFailed");
    auto stats = g.stats();
    CHECK(stats.nodes_created == 2);
    CHECK(stats.relationships_created == 1);
    CHECK(stats.labels_added == 3);
    CHECK(stats.labels_removed == 1);
    auto bm = tx->commit();
    REQUIRE(bm.ok());

    auto rd = begin_tx(*cluster, 0, "neo4j", AccessMode::Read);
    auto na = rd->graph().node(a->id);
    REQUIRE(na.has_value());
    CHECK(na->labels == std::vector<std::string>{"A", "C"});
    CHECK(na->properties == Map{{"y", Value("z")}});
    std::vector<Relationship> rels;
    REQUIRE(rd->graph().expand(b->id, Direction::Incoming, "KNOWS", [&](const Relationship& rel) {
        rels.push_back(rel);
        return true;
    }).ok());
    REQUIRE(rels.size() == 1);
    CHECK(rels[0].properties == Map{{"since", Value(2020)}, {"w", Value(0.5)}});
    rd->rollback();

    auto wr = begin_tx(*cluster, 0, "neo4j", AccessMode::Write);
    REQUIRE(wr->graph().delete_node(a->id, true).ok());
    CHECK(wr->graph().stats().relationships_deleted == 1);
    REQUIRE(wr->commit().ok());
    CHECK(count(*cluster, 0, "neo4j", "") == 1);
}

TEST_CASE("a three-server cluster replicates to primaries and secondaries", "[refhost][dbms]") {
    TempHome home(3, {"initial.dbms.default_primaries_count=2", "initial.dbms.default_secondaries_count=1"});
    auto cluster = home.open_cluster();
    auto db = cluster->database("neo4j");
    REQUIRE(db->members.size() == 3);
    auto writer = db->writer();
    REQUIRE(writer);
    size_t w = writer->server();
    std::string bm;
    for (int i = 0; i < 5; ++i) {
        bm = write_person(*cluster, w, "neo4j", "p" + std::to_string(i));
    }
    for (const auto& m : db->members) {
        if (m->role() == CCDR_ROLE_PRIMARY) {
            // Primaries have every acknowledged transaction at once.
            CHECK(m->last_tx() == 5);
        }
        CHECK(count(*cluster, m->server(), "neo4j", "Person", {bm}) == 5);
    }
    // Every member's content is the same.
    auto hash = writer->store()->content_hash();
    REQUIRE(hash.is_ok());
    for (const auto& m : db->members) {
        CHECK(m->store()->content_hash().value() == hash.value());
    }
}

TEST_CASE("writes to a follower or secondary are refused with Neo4j's codes", "[refhost][dbms]") {
    TempHome home(3, {"initial.dbms.default_primaries_count=2", "initial.dbms.default_secondaries_count=1"});
    auto cluster = home.open_cluster();
    auto db = cluster->database("neo4j");
    for (const auto& m : db->members) {
        if (m->writer()) {
            continue;
        }
        auto tx = begin_tx(*cluster, m->server(), "neo4j", AccessMode::Write);
        auto n = tx->graph().create_node({"X"}, {});
        REQUIRE_FALSE(n.ok());
        if (m->role() == CCDR_ROLE_PRIMARY) {
            CHECK(n.error().code == "Neo.ClientError.Cluster.NotALeader");
        } else {
            CHECK(n.error().code == "Neo.ClientError.General.ForbiddenOnReadOnlyDatabase");
        }
    }
}

TEST_CASE("unknown and unavailable databases", "[refhost][dbms]") {
    TempHome home(2, {"initial.dbms.default_primaries_count=1"});
    auto cluster = home.open_cluster();
    auto missing = cluster->begin(0, "nope", AccessMode::Read, admin(), {}, std::chrono::milliseconds(10));
    REQUIRE_FALSE(missing.ok());
    CHECK(missing.error().code == "Neo.ClientError.Database.DatabaseNotFound");
    CHECK(missing.error().message == "Database does not exist. Database name: 'nope'.");
    CHECK(missing.error().gql_status == "22N51");
    auto db = cluster->database("neo4j");
    size_t other = db->members[0]->server() == 0 ? 1 : 0;
    auto not_here = cluster->begin(other, "neo4j", AccessMode::Read, admin(), {}, std::chrono::milliseconds(10));
    REQUIRE_FALSE(not_here.ok());
    CHECK(not_here.error().code == "Neo.TransientError.General.DatabaseUnavailable");
    REQUIRE(cluster->stop_database("neo4j", true).ok());
    auto stopped = cluster->begin(db->members[0]->server(), "neo4j", AccessMode::Read, admin(), {},
                                  std::chrono::milliseconds(10));
    REQUIRE_FALSE(stopped.ok());
    CHECK(stopped.error().code == "Neo.TransientError.General.DatabaseUnavailable");
    CHECK(stopped.error().message == "Database 'neo4j' is unavailable.");
    REQUIRE(cluster->start_database("neo4j", true).ok());
    CHECK(count(*cluster, db->members[0]->server(), "neo4j", "") == 0);
}

TEST_CASE("a bookmark ahead of the member times out, a malformed one is refused", "[refhost][dbms]") {
    TempHome home;
    auto cluster = home.open_cluster();
    std::string bm = write_person(*cluster, 0, "neo4j", "x");
    std::string ahead = bm.substr(0, bm.rfind(':') + 1) + "99";
    auto tx = cluster->begin(0, "neo4j", AccessMode::Read, admin(), {ahead}, std::chrono::milliseconds(50));
    REQUIRE_FALSE(tx.ok());
    CHECK(tx.error().code == "Neo.TransientError.Transaction.BookmarkTimeout");
    auto bad = cluster->begin(0, "neo4j", AccessMode::Read, admin(), {"garbage"}, std::chrono::milliseconds(50));
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.error().code == "Neo.ClientError.Transaction.InvalidBookmark");
    // Another database's bookmark asks nothing of this one.
    auto other = cluster->begin(0, "neo4j", AccessMode::Read, admin(), {"refhost:other:abc:7"},
                                std::chrono::milliseconds(50));
    CHECK(other.ok());
}

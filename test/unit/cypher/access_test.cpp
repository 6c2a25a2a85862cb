// test/unit/cypher/access_test.cpp: access modes, the system database,
// errors from the store passing through unchanged, and summary types.
#include "harness.hpp"

using namespace refhost;
using namespace refhost::cypher;
using namespace refhost::cypher::test;

TEST_CASE("a write in a READ transaction is AccessMode, before anything runs", "[cypher][access]") {
    Harness h;
    h.ok("CREATE (:N {v: 1})");
    int64_t before = h.dbms.graph.mutations();
    for (const char* q : {"CREATE (n:N)", "MATCH (n:N) SET n.v = 2", "MATCH (n:N) REMOVE n.v", "MATCH (n:N) DELETE n",
                          "MATCH (n:N) DETACH DELETE n", "UNWIND [1, 2] AS x CREATE (:M {x: x}) RETURN x",
                          "MATCH (n:N) SET n:L"}) {
        INFO(q);
        auto e = h.fails(q, {}, AccessMode::Read, "foo-db");
        CHECK(e.code == "Neo.ClientError.Statement.AccessMode");
        CHECK(e.gql_status == "42N02");
        CHECK(e.message == "Writing in read access mode not allowed. Attempted write to foo-db");
    }
    CHECK(h.dbms.graph.mutations() == before);
    // Reads are fine in READ mode.
    auto r = h.ok("MATCH (n:N) RETURN n.v", {}, AccessMode::Read);
    CHECK(r.rows.size() == 1);
    CHECK(r.type == "r");
}

TEST_CASE("updates_graph tells the queries that write from those that do not", "[cypher][access]") {
    Harness h;
    for (const char* q : {"CREATE (n:N)", "MATCH (n:N) SET n.v = 2", "MATCH (n:N) REMOVE n.v", "MATCH (n:N) DELETE n",
                          "UNWIND [1, 2] AS x CREATE (:M {x: x}) RETURN x", "MATCH (n:N) SET n:L"}) {
        INFO(q);
        CHECK(h.engine->updates_graph(q));
    }
    // Reads, SHOW, administration, and what is not Cypher at all (the run
    // reports the syntax error; asking never throws).
    for (const char* q : {"MATCH (n) RETURN n", "RETURN 1", "SHOW TRANSACTIONS", "CREATE DATABASE foo", "RETURN 1 +",
                          "CREATE (", ""}) {
        INFO(q);
        CHECK_FALSE(h.engine->updates_graph(q));
    }
}

TEST_CASE("the store's refusals come back unchanged", "[cypher][access]") {
    Harness h;
    for (const auto& err : {make_error(status::kForbiddenOnReadOnlyDatabase,
                                       "No write operations are allowed on this database. This is a read only Neo4j "
                                       "instance."),
                            make_error(status::kNotALeader,
                                       "No write operations are allowed directly on this database. Writes must pass "
                                       "through the leader. The role of this server is: FOLLOWER")}) {
        h.dbms.graph.refuse_writes = err;
        auto e = h.fails("CREATE (n:N {v: 1}) RETURN n");
        CHECK(e.code == err.code);
        CHECK(e.message == err.message);
        CHECK(e.gql_status == err.gql_status);
    }
    h.dbms.graph.refuse_writes.reset();
    CHECK(h.dbms.graph.node_count() == 0);
}

TEST_CASE("graph clauses on the system database are refused as Neo4j does", "[cypher][access]") {
    Harness h;
    auto e = h.fails("MATCH (n) RETURN n", {}, AccessMode::Write, "system");
    CHECK(e.code == "Neo.ClientError.Statement.NotSystemDatabaseError");
    CHECK_THAT(e.message, Catch::StartsWith("Not a recognised system command or procedure. This Cypher command can "
                                            "only be executed in a user database: MATCH (n) RETURN n"));
    CHECK(h.fails("CREATE (n)", {}, AccessMode::Write, "system").code ==
          "Neo.ClientError.Statement.NotSystemDatabaseError");
    // Expressions without the graph, SHOW and CALL work on system.
    auto r = h.ok("RETURN 1 + 1 AS two", {}, AccessMode::Write, "system");
    CHECK(r.rows[0][0] == Value(int64_t{2}));
    CHECK(h.ok("CALL db.labels()", {}, AccessMode::Read, "system").rows.empty());
}

TEST_CASE("summary type and stats", "[cypher][access]") {
    Harness h;
    CHECK(h.ok("RETURN 1").type == "r");
    CHECK(h.ok("CREATE (:A)").type == "w");
    CHECK(h.ok("CREATE (a:A) RETURN a").type == "rw");
    CHECK(h.ok("MATCH (a:A) SET a.x = 1").type == "rw");
    auto r = h.ok("MATCH (a:A) RETURN a");
    CHECK(r.type == "r");
    CHECK_FALSE(r.contains_updates);
    CHECK(r.stats.nodes_created == 0);
    // Stats are per query, not per transaction.
    auto w = h.ok("MATCH (a:A) SET a.y = 2, a:B");
    CHECK(w.stats.properties_set == 2);
    CHECK(w.stats.labels_added == 2);
    CHECK(w.stats.nodes_created == 0);
    CHECK(w.contains_updates);
}

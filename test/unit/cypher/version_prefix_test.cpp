// test/unit/cypher/version_prefix_test.cpp: a leading `CYPHER 5` or
// `CYPHER 25` (issue 17 item 3) on every kind of statement the refhost
// accepts, and any other version refused with a SyntaxError before
// anything runs.
#include "harness.hpp"

#include "cypher/parser.hpp"
#include "cypher/query_error.hpp"

using namespace refhost;
using namespace refhost::cypher;
using namespace refhost::cypher::test;

namespace {

const std::string kSyntax = "Neo.ClientError.Statement.SyntaxError";

void add_echo_procedure(Harness& h) {
    h.dbms.procedures.push_back(ProcedureInfo{"internal.dbms.echo",
                                              "internal.dbms.echo(value :: ANY) :: (value :: ANY)",
                                              "Echoes its argument.", "READ", false});
    h.dbms.procedure_bodies["internal.dbms.echo"] = [](const List& args) -> Outcome<std::vector<List>> {
        return std::vector<List>{List{args[0]}};
    };
}

QueryResult sys(Harness& h, std::string_view q) { return h.ok(q, {}, AccessMode::Write, "system"); }

}  // namespace

TEST_CASE("CYPHER 5 and CYPHER 25 lead queries, in any case and layout", "[cypher][syntax][version]") {
    Harness h;
    for (const char* q : {"CYPHER 5 RETURN 1 AS x", "CYPHER 25 RETURN 1 AS x", "cypher 5 RETURN 1 AS x",
                          "Cypher 25\nRETURN 1 AS x", "  CYPHER   25 /* v */ RETURN 1 AS x;",
                          "// version first\nCYPHER 5\n  RETURN 1 AS x"}) {
        INFO(q);
        auto r = h.ok(q);
        CHECK(r.columns == std::vector<std::string>{"x"});
        REQUIRE(r.rows.size() == 1);
        CHECK(r.rows[0] == List{int64_t{1}});
    }
    // Writes behave as without the prefix, and columns keep their text.
    auto w = h.ok("CYPHER 25 CREATE (n:V {v: 25}) RETURN n.v");
    CHECK(w.columns == std::vector<std::string>{"n.v"});
    CHECK(w.stats.nodes_created == 1);
    CHECK(h.ok("CYPHER 5 MATCH (n:V) RETURN count(n) AS c").rows[0] == List{int64_t{1}});
    // The prefix is no variable: `cypher` as a name still works elsewhere.
    CHECK(h.scalar("WITH 2 AS cypher RETURN cypher") == Value(int64_t{2}));
}

TEST_CASE("CYPHER 5 and CYPHER 25 lead procedure calls, administration and SHOW", "[cypher][syntax][version]") {
    Harness h;
    add_echo_procedure(h);
    auto r = h.ok("CYPHER 25 CALL internal.dbms.echo('a')", {}, AccessMode::Read, "system");
    CHECK(r.rows == std::vector<List>{{"a"}});
    r = h.ok("CYPHER 5 CALL internal.dbms.echo('b') YIELD value RETURN value", {}, AccessMode::Read, "system");
    CHECK(r.rows == std::vector<List>{{"b"}});
    CHECK(h.dbms.procedure_calls.size() == 2);

    sys(h, "CYPHER 25 CREATE DATABASE foo TOPOLOGY 3 PRIMARIES 1 SECONDARY");
    CHECK(h.dbms.calls.back() == "create foo if_not_exists=0 topology=3/1 wait=0");
    sys(h, "cypher 5 STOP DATABASE foo");
    CHECK(h.dbms.calls.back().rfind("stop foo", 0) == 0);
    sys(h, "CYPHER 5 START DATABASE foo");
    CHECK(h.dbms.calls.back().rfind("start foo", 0) == 0);
    sys(h, "CYPHER 25 DROP DATABASE foo IF EXISTS");
    CHECK(h.dbms.calls.back().rfind("drop foo", 0) == 0);
    CHECK_FALSE(h.ok("CYPHER 25 SHOW DATABASES", {}, AccessMode::Read, "system").rows.empty());
    CHECK_FALSE(h.ok("CYPHER 5 SHOW SERVERS YIELD *", {}, AccessMode::Read, "system").rows.empty());
    CHECK_FALSE(h.ok("CYPHER 25 SHOW PROCEDURES", {}, AccessMode::Read, "system").rows.empty());
}

TEST_CASE("user and role commands parse after CYPHER 5 and CYPHER 25", "[cypher][syntax][version]") {
    for (const char* q : {"CYPHER 5 CREATE USER bob SET PASSWORD 'password-1' CHANGE NOT REQUIRED",
                          "CYPHER 25 GRANT ROLE reader TO bob", "CYPHER 5 DROP USER bob",
                          "CYPHER 25 ALTER CURRENT USER SET PASSWORD FROM 'a' TO 'b'"}) {
        INFO(q);
        auto st = parse(q);
        CHECK(std::holds_alternative<SecurityCommand>(st.body));
    }
    CHECK(std::holds_alternative<AdminCommand>(parse("CYPHER 25 CREATE DATABASE x").body));
    CHECK(std::holds_alternative<Query>(parse("CYPHER 5 SHOW DATABASES").body));
    CHECK(std::holds_alternative<Query>(parse("CYPHER 25 SHOW USERS").body));  // SHOW runs as a query
}

TEST_CASE("another Cypher version is a SyntaxError and changes nothing", "[cypher][syntax][version]") {
    Harness h;
    add_echo_procedure(h);
    struct Case {
        const char* query;
        const char* token;
        const char* position;
    };
    const Case cases[] = {
        {"CYPHER 4 RETURN 1", "4", "(line 1, column 8 (offset: 7))"},
        {"CYPHER 26 CREATE (:N)", "26", "(line 1, column 8 (offset: 7))"},
        {"cypher 3 CREATE DATABASE foo", "3", "(line 1, column 8 (offset: 7))"},
        {"CYPHER 0 DROP DATABASE neo4j", "0", "(line 1, column 8 (offset: 7))"},
        {"CYPHER 5.0 RETURN 1", "5.0", "(line 1, column 8 (offset: 7))"},
        {"CYPHER 25.1 CALL internal.dbms.echo(1)", "25.1", "(line 1, column 8 (offset: 7))"},
        {"CYPHER 05 RETURN 1", "05", "(line 1, column 8 (offset: 7))"},
        {"CYPHER RETURN 1", "RETURN", "(line 1, column 8 (offset: 7))"},
        {"CYPHER", "", "(line 1, column 7 (offset: 6))"},
        {"CYPHER 1000000 CREATE USER x SET PASSWORD 'password-1'", "1000000", "(line 1, column 8 (offset: 7))"},
        {"CYPHER 5 CYPHER 25 RETURN 1", "CYPHER", "(line 1, column 10 (offset: 9))"},
    };
    for (const auto& c : cases) {
        for (const char* db : {"neo4j", "system"}) {
            INFO(c.query << " on " << db);
            auto e = h.fails(c.query, {}, AccessMode::Write, db);
            CHECK(e.code == kSyntax);
            CHECK(e.gql_status == "42001");
            CHECK_THAT(e.message, Catch::Contains(c.position));
            if (std::string(c.query).rfind("CYPHER 5 CYPHER", 0) != 0) {
                CHECK_THAT(e.message,
                           Catch::StartsWith("Invalid input '" + std::string(c.token) + "': expected '5' or '25'"));
            } else {
                CHECK_THAT(e.message, Catch::StartsWith("Invalid input 'CYPHER'"));
            }
        }
    }
    CHECK(h.dbms.graph.mutations() == 0);
    CHECK(h.dbms.graph.node_count() == 0);
    CHECK(h.dbms.calls.empty());
    CHECK(h.dbms.procedure_calls.empty());
}

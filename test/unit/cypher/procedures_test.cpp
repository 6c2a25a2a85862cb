// test/unit/cypher/procedures_test.cpp: CALL of built-in and plugin procedures.
#include "harness.hpp"

using namespace refhost;
using namespace refhost::cypher;
using namespace refhost::cypher::test;

namespace {

List addresses(std::initializer_list<const char*> a) {
    List l;
    for (const char* s : a) {
        l.push_back(s);
    }
    return l;
}

void add_echo_procedure(Harness& h, bool admin_only = false, const std::string& mode = "READ") {
    h.dbms.procedures.push_back(ProcedureInfo{"test.echo",
                                              "test.echo(value :: ANY, times = 1 :: INTEGER) :: (value :: ANY, "
                                              "index :: INTEGER)",
                                              "Echoes its argument.", mode, admin_only});
    h.dbms.procedure_bodies["test.echo"] = [](const List& args) -> Outcome<std::vector<List>> {
        int64_t times = args.size() > 1 && args[1].is<int64_t>() ? args[1].as<int64_t>() : 1;
        std::vector<List> rows;
        for (int64_t i = 0; i < times; ++i) {
            rows.push_back(List{args[0], i});
        }
        return rows;
    };
}

}  // namespace

TEST_CASE("dbms.routing.getRoutingTable returns ttl and servers, WRITE, READ, ROUTE", "[cypher][procedures]") {
    Harness h;
    h.dbms.routing["foo-replica"] = RoutingTable{300, "foo-replica", {}, {"127.0.0.1:7688", "127.0.0.1:7689"},
                                                 {"127.0.0.1:7687", "127.0.0.1:7688", "127.0.0.1:7689"}};
    for (const char* proc : {"dbms.routing.getRoutingTable", "dbms.cluster.routing.getRoutingTable"}) {
        INFO(proc);
        auto r = h.ok(std::string("CALL ") + proc + "($ctx, $db)", {{"ctx", Map{{"address", "x:1"}}}, {"db", "neo4j"}},
                      AccessMode::Read, "system");
        CHECK(r.columns == std::vector<std::string>{"ttl", "servers"});
        REQUIRE(r.rows.size() == 1);
        CHECK(r.rows[0][0] == Value(int64_t{300}));
        CHECK(r.rows[0][1] == Value(List{
                                  Map{{"addresses", addresses({"127.0.0.1:7687"})}, {"role", "WRITE"}},
                                  Map{{"addresses", addresses({"127.0.0.1:7688", "127.0.0.1:7689"})}, {"role", "READ"}},
                                  Map{{"addresses", addresses({"127.0.0.1:7687", "127.0.0.1:7688", "127.0.0.1:7689"})},
                                      {"role", "ROUTE"}},
                              }));
        CHECK(r.type == "r");
    }
    // A replica has no writer: the WRITE entry is left out, not empty.
    auto r = h.ok("CALL dbms.routing.getRoutingTable({}, 'foo-replica') YIELD servers "
                  "RETURN size(servers) AS n, servers[0].role AS first, servers[1].role AS second",
                  {}, AccessMode::Read, "system");
    CHECK(r.rows == std::vector<List>{{int64_t{2}, "READ", "ROUTE"}});
    // Without a database (or null) the default database's table.
    r = h.ok("CALL dbms.routing.getRoutingTable({})", {}, AccessMode::Read, "neo4j");
    CHECK(r.rows[0][1].as<List>().size() == 3);
    r = h.ok("CALL dbms.routing.getRoutingTable({}, null) YIELD ttl", {}, AccessMode::Read, "neo4j");
    CHECK(r.rows == std::vector<List>{{int64_t{300}}});
    // Unknown database: the DBMS's error, unchanged.
    auto e = h.fails("CALL dbms.routing.getRoutingTable({}, 'nope')", {}, AccessMode::Read, "system");
    CHECK(e.code == "Neo.ClientError.Database.DatabaseNotFound");
    e = h.fails("CALL dbms.routing.getRoutingTable()", {}, AccessMode::Read, "system");
    CHECK(e.code == "Neo.ClientError.Statement.SyntaxError");
    CHECK_THAT(e.message, Catch::Contains("Procedure call does not provide the required number of arguments: got 0 "
                                          "expected at least 1 (total: 2, 1 of which have default values)"));
    CHECK(h.fails("CALL dbms.routing.getRoutingTable(1)", {}, AccessMode::Read, "system").code ==
          "Neo.ClientError.Statement.TypeError");
}

TEST_CASE("unknown procedures are ProcedureNotFound, before anything runs", "[cypher][procedures]") {
    Harness h;
    auto e = h.fails("CALL dbms.nothing.here()", {}, AccessMode::Read, "system");
    CHECK(e.code == "Neo.ClientError.Procedure.ProcedureNotFound");
    CHECK(e.gql_status == "42N08");
    CHECK(e.message == "There is no procedure with the name `dbms.nothing.here` registered for this database "
                       "instance. Please ensure you've spelled the procedure name correctly and that the procedure "
                       "is properly deployed.");
    e = h.fails("CREATE (n:N) WITH n CALL no.such() YIELD x RETURN x");
    CHECK(e.code == "Neo.ClientError.Procedure.ProcedureNotFound");
    CHECK(h.dbms.graph.mutations() == 0);
    // Procedure names are case-sensitive, as in Neo4j.
    CHECK(h.fails("CALL DB.LABELS()").code == "Neo.ClientError.Procedure.ProcedureNotFound");
}

TEST_CASE("dbms.components and the db.* listing procedures", "[cypher][procedures]") {
    Harness h;
    auto r = h.ok("CALL dbms.components()", {}, AccessMode::Read, "system");
    CHECK(r.columns == std::vector<std::string>{"name", "versions", "edition"});
    CHECK(r.rows == std::vector<List>{{"Neo4j Kernel", List{"2026.03.0-refhost"}, "enterprise"}});
    h.ok("CREATE (:B {y: 1})-[:R {w: 1}]->(:A {x: 1}), (:A)-[:Q]->(:C)");
    r = h.ok("CALL db.labels()");
    CHECK(r.columns == std::vector<std::string>{"label"});
    CHECK(r.rows == std::vector<List>{{"A"}, {"B"}, {"C"}});
    r = h.ok("CALL db.relationshipTypes() YIELD relationshipType AS t RETURN collect(t) AS types");
    CHECK(r.rows == std::vector<List>{List{Value(List{"Q", "R"})}});
    r = h.ok("CALL db.propertyKeys() YIELD propertyKey WHERE propertyKey <> 'w'");
    CHECK(r.columns == std::vector<std::string>{"propertyKey"});
    CHECK(r.rows == std::vector<List>{{"x"}, {"y"}});
}

TEST_CASE("plugin procedures: arguments, YIELD, WHERE, RETURN", "[cypher][procedures]") {
    Harness h;
    add_echo_procedure(h);
    auto r = h.ok("CALL test.echo($v, 1 + 2)", {{"v", "hi"}}, AccessMode::Read, "system");
    CHECK(r.columns == std::vector<std::string>{"value", "index"});
    CHECK(r.rows == std::vector<List>{{"hi", int64_t{0}}, {"hi", int64_t{1}}, {"hi", int64_t{2}}});
    CHECK(h.dbms.procedure_calls.back() == "test.echo(hi, ?)");
    r = h.ok("CALL test.echo('x', 4) YIELD index AS i, value WHERE i % 2 = 0 RETURN value, sum(i) AS s", {},
             AccessMode::Read, "system");
    CHECK(r.columns == std::vector<std::string>{"value", "s"});
    CHECK(r.rows == std::vector<List>{{"x", int64_t{2}}});
    // In a query, once per row, with row values as arguments.
    r = h.ok("UNWIND ['a', 'b'] AS s CALL test.echo(s) YIELD value RETURN s, value");
    CHECK(r.rows == std::vector<List>{{"a", "a"}, {"b", "b"}});
    auto e = h.fails("CALL test.echo(1) YIELD nope", {}, AccessMode::Read, "system");
    CHECK(e.code == "Neo.ClientError.Statement.SyntaxError");
    CHECK_THAT(e.message, Catch::Contains("Unknown procedure output: `nope`"));
    CHECK(h.dbms.procedure_calls.size() == 4);  // 1 + 1 + one per UNWIND row; the refused call never ran
    // The procedure's own failure comes back unchanged.
    h.dbms.procedure_bodies["test.echo"] = [](const List&) -> Outcome<std::vector<List>> {
        return make_error(status::kProcedureCallFailed, "Failed to invoke procedure `test.echo`");
    };
    e = h.fails("CALL test.echo(1)", {}, AccessMode::Read, "system");
    CHECK(e.code == "Neo.ClientError.Procedure.ProcedureCallFailed");
}

TEST_CASE("admin-only plugin procedures are Forbidden for a reader", "[cypher][procedures]") {
    Harness h;
    add_echo_procedure(h, true);
    auto e = h.fails("CALL test.echo(1)", {}, AccessMode::Write, "system", &h.reader);
    CHECK(e.code == "Neo.ClientError.Security.Forbidden");
    CHECK(e.message == "Executing procedure is not allowed for user 'alice' with roles [reader].");
    CHECK(h.dbms.procedure_calls.empty());
    CHECK(h.ok("CALL test.echo(1)", {}, AccessMode::Write, "system").rows.size() == 1);
}

TEST_CASE("a WRITE procedure in READ mode is AccessMode", "[cypher][procedures]") {
    Harness h;
    add_echo_procedure(h, false, "WRITE");
    auto e = h.fails("CALL test.echo(1)", {}, AccessMode::Read, "system");
    CHECK(e.code == "Neo.ClientError.Statement.AccessMode");
    CHECK(h.dbms.procedure_calls.empty());
    auto r = h.ok("CALL test.echo(1)", {}, AccessMode::Write, "system");
    CHECK(r.type == "w");
}

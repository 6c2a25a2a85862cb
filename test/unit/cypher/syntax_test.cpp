// test/unit/cypher/syntax_test.cpp: the lexer and parser: positions in
// errors, literals, names, and every construct outside the subset refused
// with a SyntaxError before anything runs.
#include "harness.hpp"

#include "cypher/parse_cache.hpp"
#include "cypher/query_error.hpp"

#include <atomic>
#include <cmath>
#include <limits>
#include <thread>

using namespace refhost;
using namespace refhost::cypher;
using namespace refhost::cypher::test;

namespace {

const std::string kSyntax = "Neo.ClientError.Statement.SyntaxError";

}  // namespace

TEST_CASE("syntax errors name the token, what was expected, and the position", "[cypher][syntax]") {
    Harness h;
    auto e = h.fails("MATCH (n) FOO");
    CHECK(e.code == kSyntax);
    CHECK(e.gql_status == "42001");
    CHECK_THAT(e.message, Catch::StartsWith("Invalid input 'FOO': expected "));
    CHECK_THAT(e.message, Catch::Contains("'RETURN'"));
    CHECK_THAT(e.message, Catch::Contains("'WHERE'"));
    CHECK_THAT(e.message, Catch::Contains("(line 1, column 11 (offset: 10))\n\"MATCH (n) FOO\"\n           ^"));

    e = h.fails("MATCH (n)\nRETURN n ORDR BY n");
    CHECK_THAT(e.message, Catch::Contains("Invalid input 'ORDR'"));
    CHECK_THAT(e.message, Catch::Contains("(line 2, column 10 (offset: 19))\n\"RETURN n ORDR BY n\"\n          ^"));

    // Columns and offsets count characters, not bytes.
    e = h.fails("RETURN 'é' + FOO(");
    CHECK_THAT(e.message, Catch::Contains("(line 1, column 18 (offset: 17))"));

    e = h.fails("SELECT * FROM t");
    CHECK_THAT(e.message, Catch::StartsWith("Invalid input 'SELECT': expected "));
    CHECK_THAT(e.message, Catch::Contains("'MATCH'"));
    CHECK_THAT(e.message, Catch::Contains("(line 1, column 1 (offset: 0))"));

    e = h.fails("RETURN");
    CHECK_THAT(e.message, Catch::StartsWith("Invalid input '': expected 'DISTINCT', '*' or an expression"));
    CHECK_THAT(e.message, Catch::Contains("(line 1, column 7 (offset: 6))"));

    e = h.fails("MATCH (n RETURN n");
    CHECK_THAT(e.message, Catch::StartsWith("Invalid input 'RETURN': expected "));
    CHECK_THAT(e.message, Catch::Contains("')'"));
}

TEST_CASE("lexical errors are syntax errors with positions", "[cypher][syntax]") {
    Harness h;
    struct Case {
        const char* query;
        const char* text;
    };
    for (auto c : {Case{"RETURN 'abc", "Failed to parse string literal"},
                   Case{"RETURN \"a\\qb\"", "invalid escape sequence"},
                   Case{"RETURN '\\u12'", "a Unicode escape needs 4 hexadecimal digits"},
                   Case{"RETURN 1 /* never closed", "must also have a closing '*/'"},
                   Case{"RETURN `abc", "must also end with '`'"},
                   Case{"RETURN 1 != 2", "Invalid input '!'"},
                   Case{"RETURN 9223372036854775808", "integer is too large"},
                   Case{"RETURN 0xZZ", "hexadecimal integer literal has invalid digits"},
                   Case{"RETURN 12abc", "not a number"},
                   Case{"RETURN $", "expected a parameter name"}}) {
        INFO(c.query);
        auto e = h.fails(c.query);
        CHECK(e.code == kSyntax);
        CHECK_THAT(e.message, Catch::Contains(c.text));
        CHECK_THAT(e.message, Catch::Contains("(line 1, column"));
    }
}

TEST_CASE("everything outside the subset is a SyntaxError and executes nothing", "[cypher][syntax]") {
    Harness h;
    const char* queries[] = {
        "MERGE (n:Person {name: 'x'})",
        "CREATE (a:A) MERGE (b:B)",
        "FOREACH (x IN [1, 2] | CREATE (:N {v: x}))",
        "LOAD CSV FROM 'file:///x.csv' AS row CREATE (:Row)",
        "CALL { CREATE (n:Sub) } RETURN 1",
        "CREATE (n:A) WITH n CALL { RETURN 1 AS x } RETURN x",
        "CREATE INDEX idx FOR (n:Person) ON (n.name)",
        "CREATE CONSTRAINT c FOR (n:Person) REQUIRE n.name IS UNIQUE",
        "DROP INDEX idx",
        "CREATE (a:A) WITH a MATCH (a)-[*1..3]->(b) RETURN b",
        "MATCH p = shortestPath((a)-[*]-(b)) RETURN p",
        "CREATE (x:X) RETURN [v IN [1, 2] | v * 2]",
        "CREATE (x:X) RETURN [v IN [1, 2] WHERE v > 1]",
        "MATCH (n) WHERE n.name =~ 'A.*' RETURN n",
        "CREATE (n:A) RETURN n UNION RETURN 1 AS n",
        "EXPLAIN MATCH (n) RETURN n",
        "PROFILE CREATE (n:A)",
        "USE neo4j CREATE (n:A)",
        "MATCH (n) WHERE EXISTS { (n)-->() } RETURN n",
        "MATCH (n) RETURN COUNT { (n)-->() }",
        "CREATE (n:A) RETURN n {.name}",
        "MATCH (n:A|B) RETURN n",
        "MATCH (a) WHERE (a)-->() RETURN a",
        "MATCH (n WHERE n.x = 1) RETURN n",
        "MATCH ((a)-->(b)){1,3} RETURN a",
        "CREATE ROLE auditor",
        "CREATE USER bob SET ENCRYPTED PASSWORD 'secret'",
        "ALTER USER bob SET STATUS SUSPENDED",
        "SHOW USER bob PRIVILEGES",
        "SHOW PROCEDURES EXECUTABLE BY CURRENT USER",
        "ALTER DATABASE foo SET OPTION txLogEnrichment 'FULL'",
        "CREATE OR REPLACE DATABASE foo",
        "CREATE DATABASE foo OPTIONS {existingData: 'use'}",
        "CREATE COMPOSITE DATABASE foo",
        "DROP DATABASE foo DUMP DATA",
        "GRANT TRAVERSE ON GRAPH * TO reader",
        "DENY WRITE ON GRAPH * TO reader",
        "CREATE (n:A); CREATE (m:B)",
        "CREATE (n:A) RETURN all(x IN [1] WHERE x > 0)",
        "CREATE (n:A) RETURN reduce(s = 0, x IN [1] | s + x)",
        "CREATE (n:A) SET n:B:C REMOVE n.x FINISH",
        "CREATE (n:A) CREATE (m:B) SET m.x = 1 MERGE (z)",
        "CREATE (n:A) RETURN n NEXT RETURN 1",
        "MATCH (n)-[r:T*]->(m) DELETE r",
    };
    for (const char* q : queries) {
        INFO(q);
        auto e = h.fails(q);
        CHECK(e.code == kSyntax);
        CHECK_THAT(e.message, Catch::Contains("(line 1, column"));
    }
    CHECK(h.dbms.graph.mutations() == 0);
    CHECK(h.dbms.graph.node_count() == 0);
    CHECK(h.dbms.calls.empty());
}

TEST_CASE("a known but unsupported keyword says it is outside the subset", "[cypher][syntax]") {
    Harness h;
    auto e = h.fails("MERGE (n)");
    CHECK_THAT(e.message, Catch::StartsWith("Invalid input 'MERGE': expected "));
    CHECK_THAT(e.message, Catch::Contains("'MERGE' here is Cypher the refhost does not support"));
    e = h.fails("MATCH (a)-[*2]->(b) RETURN a");
    CHECK_THAT(e.message, Catch::Contains("a variable-length relationship is not supported"));
    CHECK_THAT(e.message, Catch::Contains("(line 1, column 12 (offset: 11))"));
}

TEST_CASE("semantic errors are SyntaxErrors with positions, before anything runs", "[cypher][syntax]") {
    Harness h;
    struct Case {
        const char* query;
        const char* text;
    };
    for (auto c : {
             Case{"CREATE (n:A) RETURN m", "Variable `m` not defined (line 1, column 21 (offset: 20))"},
             Case{"CREATE (n:A) RETURN nope(n)", "Unknown function 'nope'"},
             Case{"CREATE (n:A) RETURN size(n, 1)", "Too many parameters for function 'size'"},
             Case{"CREATE (n:A) RETURN range(1)", "Insufficient parameters for function 'range'"},
             Case{"CREATE (n:A) WITH n WHERE count(*) > 1 RETURN n", "Invalid use of aggregating function count"},
             Case{"CREATE (n:A) RETURN count(count(*))", "Can't use aggregate functions inside of aggregate"},
             Case{"CREATE (n:A) WITH n.x RETURN 1", "Expression in WITH must be aliased (use AS)"},
             Case{"CREATE (n:A) RETURN n.x AS a, n.y AS a", "Multiple result columns with the same name"},
             Case{"RETURN *", "RETURN * is not allowed when there are no variables in scope"},
             Case{"MATCH (n)", "Query cannot conclude with MATCH"},
             Case{"CREATE (n:A) WITH n", "Query cannot conclude with WITH"},
             Case{"CREATE (n:A) MATCH (m) RETURN m", "WITH is required between CREATE and MATCH"},
             Case{"CREATE (a)-[:T]-(b)", "Only directed relationships are supported in CREATE"},
             Case{"CREATE (a)-[r]->(b)", "Exactly one relationship type must be specified for CREATE"},
             Case{"CREATE (a)-[:T|U]->(b)", "Exactly one relationship type must be specified for CREATE"},
             Case{"CREATE (a:A) WITH a CREATE (a:B)", "Can't create node `a` with labels or properties here"},
             Case{"CREATE (a:A) WITH a CREATE (a)", "Variable `a` already declared"},
             Case{"CREATE (a:A)-[r:T]->(b) WITH r MATCH (r) RETURN r", "Type mismatch: r defined with conflicting type"},
             Case{"MATCH (a)-[r]->(b)-[r]->(c) RETURN a", "Cannot use the same relationship variable 'r'"},
             Case{"UNWIND [1] AS x UNWIND [2] AS x RETURN x", "Variable `x` already declared"},
             Case{"CREATE (n:A) RETURN DISTINCT n.x ORDER BY n.y",
                  "In a WITH/RETURN with DISTINCT or an aggregation, it is not possible to access variables"},
             Case{"CREATE (n:A) RETURN n LIMIT n.x", "It is not allowed to refer to variables in LIMIT"},
             Case{"MATCH (n $p) RETURN n", "Parameter maps cannot be used in MATCH patterns"},
             Case{"CREATE (n:A) RETURN toUpper(DISTINCT 'a')", "Invalid use of DISTINCT with function 'toUpper'"},
             Case{"MATCH (n) CALL db.labels() RETURN n", "Procedure call inside a query does not support naming"},
             Case{"MATCH (n) CALL db.labels() YIELD label", "Query cannot conclude with CALL together with YIELD"},
             Case{"RETURN {a: 1, a: 2}", "Multiple map entries with the key `a`"},
         }) {
        INFO(c.query);
        auto r = h.run(c.query);
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().code == kSyntax);
        CHECK_THAT(r.error().message, Catch::Contains(c.text));
    }
    CHECK(h.dbms.graph.mutations() == 0);
}

TEST_CASE("keywords are case-insensitive, names may be backquoted", "[cypher][syntax]") {
    Harness h;
    auto r = h.ok("cReAtE (`my node`:`My Label` {`a-b`: 1, `back``tick`: 2}) rEtUrN `my node`.`a-b` aS `the value`, "
                  "labels(`my node`) AS l, `my node`.`back``tick` AS b");
    REQUIRE(r.columns == std::vector<std::string>{"the value", "l", "b"});
    CHECK(r.rows[0][0] == Value(int64_t{1}));
    CHECK(r.rows[0][1] == Value(List{"My Label"}));
    CHECK(r.rows[0][2] == Value(int64_t{2}));
    // Variables are case-sensitive.
    CHECK_THAT(h.fails("match (n:`My Label`) where N.`a-b` = 1 return n").message,
               Catch::Contains("Variable `N` not defined"));
    CHECK(h.scalar("match (n:`My Label`) where n.`a-b` = 1 or false return COUNT(*)") == Value(int64_t{1}));
    // Keywords are names where a name is expected.
    r = h.ok("CREATE (n:Match {return: 1, match: 2}) RETURN n.return AS `order`, n.match");
    CHECK(r.columns == std::vector<std::string>{"order", "n.match"});
    CHECK(r.rows[0] == List{int64_t{1}, int64_t{2}});
}

TEST_CASE("comments and a trailing semicolon are accepted", "[cypher][syntax]") {
    Harness h;
    CHECK(h.scalar("// leading comment\nRETURN /* inline */ 1 // trailing\n;") == Value(int64_t{1}));
}

TEST_CASE("literals of every type", "[cypher][syntax]") {
    Harness h;
    CHECK(h.scalar("RETURN 42") == Value(int64_t{42}));
    CHECK(h.scalar("RETURN -9223372036854775808") == Value(std::numeric_limits<int64_t>::min()));
    CHECK(h.scalar("RETURN 9223372036854775807") == Value(std::numeric_limits<int64_t>::max()));
    CHECK(h.scalar("RETURN 0x1F") == Value(int64_t{31}));
    CHECK(h.scalar("RETURN 0o17") == Value(int64_t{15}));
    CHECK(h.scalar("RETURN 1.5") == Value(1.5));
    CHECK(h.scalar("RETURN .5") == Value(0.5));
    CHECK(h.scalar("RETURN 1e3") == Value(1000.0));
    CHECK(h.scalar("RETURN 2.5E-1") == Value(0.25));
    CHECK(h.fails("RETURN 'it''s'").code == kSyntax);  // Cypher escapes quotes with a backslash only
    CHECK(h.scalar(R"(RETURN 'a\'b\"c\\d\ne\tf')") == Value("a'b\"c\\d\ne\tf"));
    CHECK(h.scalar(R"(RETURN "\u00e9\U0001F600")") == Value("\xC3\xA9\xF0\x9F\x98\x80"));
    CHECK(h.scalar(R"(RETURN "\uD83D\uDE00")") == Value("\xF0\x9F\x98\x80"));
    CHECK(h.scalar("RETURN true") == Value(true));
    CHECK(h.scalar("RETURN FALSE") == Value(false));
    CHECK(h.scalar("RETURN null").is_null());
    CHECK(h.scalar("RETURN [1, 'a', [true], {}]") == Value(List{int64_t{1}, "a", List{true}, Map{}}));
    CHECK(h.scalar("RETURN {a: 1, `b c`: [2], d: {e: null}}") ==
          Value(Map{{"a", int64_t{1}}, {"b c", List{int64_t{2}}}, {"d", Map{{"e", Value()}}}}));
    CHECK(h.scalar("RETURN []") == Value(List{}));
}

TEST_CASE("unaliased columns are named by their text as written", "[cypher][syntax]") {
    Harness h;
    auto r = h.ok("UNWIND [1, 2] AS x RETURN x, x  +  1, count( * ), (x)");
    CHECK(r.columns == std::vector<std::string>{"x", "x  +  1", "count( * )", "(x)"});
}

TEST_CASE("the parse cache parses a repeated query once", "[cypher][syntax]") {
    ParseCache cache(2);
    auto a = cache.get("CREATE (n:Node {v: $v})");
    auto b = cache.get("CREATE (n:Node {v: $v})");
    CHECK(a.get() == b.get());
    CHECK(cache.parses() == 1);
    cache.get("MATCH (n:Label {k: $v}) RETURN n");
    cache.get("MATCH (n:Label {k: $v}) RETURN n");
    CHECK(cache.parses() == 2);
    cache.get("RETURN 1");  // evicts the least recently used
    CHECK(cache.size() == 2);
    cache.get("CREATE (n:Node {v: $v})");
    CHECK(cache.parses() == 4);
    CHECK_THROWS_AS(cache.get("MERGE (n)"), QueryError);
    CHECK(cache.size() == 2);
}

TEST_CASE("deep nesting is refused, not a crash", "[cypher][syntax]") {
    Harness h;
    std::string q = "RETURN " + std::string(5000, '(') + "1" + std::string(5000, ')');
    auto e = h.fails(q);
    CHECK(e.code == kSyntax);
    CHECK_THAT(e.message, Catch::Contains("nested more than"));
    q = "RETURN " + std::string(5000, '[') + std::string(5000, ']');
    CHECK(h.fails(q).code == kSyntax);
    q = "RETURN " + std::string(5000, '-') + "1";
    CHECK(h.fails(q).code == kSyntax);
}

TEST_CASE("the parse cache is shared safely between threads", "[cypher][syntax]") {
    ParseCache cache(4);  // smaller than the working set: entries are evicted while others read
    std::vector<std::thread> threads;
    std::atomic<int> wrong{0};
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < 300; ++i) {
                int k = (i * 7 + t) % 10;
                auto st = cache.get("RETURN " + std::to_string(k) + " AS v");
                const auto& q = std::get<Query>(st->body);
                const auto& item = std::get<ReturnClause>(q.clauses[0].body).projection.items[0];
                if (!(item.expr->value == Value(int64_t{k}))) {
                    ++wrong;
                }
            }
        });
    }
    for (auto& th : threads) {
        th.join();
    }
    CHECK(wrong == 0);
    CHECK(cache.size() <= 4);
}

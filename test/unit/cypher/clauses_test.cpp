// test/unit/cypher/clauses_test.cpp: each clause on the in-memory graph.
#include "harness.hpp"

using namespace refhost;
using namespace refhost::cypher;
using namespace refhost::cypher::test;

namespace {

int64_t I(int64_t v) { return v; }

// Alice-KNOWS->Bob-KNOWS->Carol, Alice-LIKES->Carol, Dave alone.
void people(Harness& h) {
    h.ok("CREATE (a:Person {name: 'Alice', age: 30})-[:KNOWS {since: 2010}]->(b:Person {name: 'Bob', age: 25}),"
         "(b)-[:KNOWS {since: 2015}]->(c:Person:Admin {name: 'Carol', age: 35}),"
         "(a)-[:LIKES]->(c), (:Person {name: 'Dave'})");
}

std::vector<Value> column(const QueryResult& r, size_t i = 0) {
    std::vector<Value> out;
    for (const auto& row : r.rows) {
        out.push_back(row[i]);
    }
    return out;
}

}  // namespace

TEST_CASE("CREATE makes nodes and relationships with labels and properties", "[cypher][exec]") {
    Harness h;
    auto r = h.ok("CREATE (a:A:B {x: 1, n: null})-[r:T {w: 2.5}]->(b:C)<-[s:U]-(c) RETURN a, r, b, s, c");
    CHECK(r.stats.nodes_created == 3);
    CHECK(r.stats.relationships_created == 2);
    CHECK(r.stats.labels_added == 3);
    CHECK(r.stats.properties_set == 2);  // null is not stored
    CHECK(r.contains_updates);
    CHECK(r.type == "rw");
    const auto& a = r.rows[0][0].as<Node>();
    const auto& rel = r.rows[0][1].as<Relationship>();
    const auto& b = r.rows[0][2].as<Node>();
    const auto& s = r.rows[0][3].as<Relationship>();
    const auto& c = r.rows[0][4].as<Node>();
    CHECK(a.labels == std::vector<std::string>{"A", "B"});
    CHECK(a.properties == Map{{"x", I(1)}});
    CHECK(rel.type == "T");
    CHECK(rel.start_id == a.id);
    CHECK(rel.end_id == b.id);
    CHECK(rel.properties == Map{{"w", 2.5}});
    CHECK(s.start_id == c.id);  // (b)<-[s]-(c)
    CHECK(s.end_id == b.id);
    auto w = h.ok("CREATE (:X)");
    CHECK(w.type == "w");
    CHECK(w.columns.empty());
    CHECK(w.rows.empty());
}

TEST_CASE("CREATE with a parameter map, and between matched nodes", "[cypher][exec]") {
    Harness h;
    h.ok("CREATE (n:P $props)", {{"props", Map{{"name", "x"}, {"tags", List{"a", "b"}}}}});
    h.ok("CREATE (n:P {name: 'y'})");
    auto r = h.ok("MATCH (a:P {name: 'x'}), (b:P {name: 'y'}) CREATE (a)-[r:R]->(b) RETURN type(r), a.tags");
    CHECK(r.rows.size() == 1);
    CHECK(r.rows[0][0] == Value("R"));
    CHECK(r.rows[0][1] == Value(List{"a", "b"}));
    CHECK(r.stats.relationships_created == 1);
    CHECK(r.stats.nodes_created == 0);
    auto e = h.fails("CREATE (n:P {bad: {nested: 1}})");
    CHECK(e.code == "Neo.ClientError.Statement.TypeError");
    CHECK_THAT(e.message, Catch::Contains("Property values can only be of primitive types"));
    CHECK(h.fails("CREATE (n:P {bad: [1, 'a']})").code == "Neo.ClientError.Statement.TypeError");
    CHECK(h.fails("CREATE (n:P $p)", {{"p", int64_t{1}}}).code == "Neo.ClientError.Statement.TypeError");
}

TEST_CASE("MATCH follows direction, types, properties and labels", "[cypher][exec]") {
    Harness h;
    people(h);
    auto out = h.ok("MATCH (a:Person {name: 'Alice'})-[:KNOWS]->(b) RETURN b.name");
    CHECK(column(out) == std::vector<Value>{"Bob"});
    auto in = h.ok("MATCH (b:Person {name: 'Bob'})<-[r]-(a) RETURN a.name, r.since");
    CHECK(in.rows == std::vector<List>{{"Alice", I(2010)}});
    auto both = h.ok("MATCH (:Person {name: 'Bob'})-[:KNOWS]-(x) RETURN x.name ORDER BY x.name");
    CHECK(column(both) == std::vector<Value>{"Alice", "Carol"});
    auto any = h.ok("MATCH (a {name: 'Alice'})-->(x) RETURN x.name ORDER BY x.name");
    CHECK(column(any) == std::vector<Value>{"Bob", "Carol"});
    auto types = h.ok("MATCH (a {name: 'Alice'})-[r:KNOWS|LIKES]->(x) RETURN type(r) ORDER BY type(r)");
    CHECK(column(types) == std::vector<Value>{"KNOWS", "LIKES"});
    auto two_labels = h.ok("MATCH (n:Admin:Person) RETURN n.name");
    CHECK(column(two_labels) == std::vector<Value>{"Carol"});
    auto chain = h.ok("MATCH (a)-[:KNOWS]->(b)-[:KNOWS {since: 2015}]->(c) RETURN a.name, b.name, c.name");
    CHECK(chain.rows == std::vector<List>{{"Alice", "Bob", "Carol"}});
    // Several patterns: a cartesian product joined on shared variables.
    auto comma = h.ok("MATCH (a {name: 'Alice'})-[:LIKES]->(c), (b)-[:KNOWS]->(c) RETURN b.name");
    CHECK(column(comma) == std::vector<Value>{"Bob"});
    auto product = h.ok("MATCH (a:Admin), (b:Person) RETURN count(*)");
    CHECK(product.rows[0][0] == Value(I(4)));
    // A bound end node is matched from the other side.
    auto bound = h.ok("MATCH (c {name: 'Carol'}) WITH c MATCH (x)-[:KNOWS]->(c) RETURN x.name");
    CHECK(column(bound) == std::vector<Value>{"Bob"});
    // A relationship is used once per pattern: no a-b-a walks back over the same edge.
    auto unique = h.ok("MATCH (a {name: 'Alice'})-[:KNOWS]-(b)-[:KNOWS]-(c) RETURN c.name");
    CHECK(column(unique) == std::vector<Value>{"Carol"});
    auto none = h.ok("MATCH (n:Nobody) RETURN n");
    CHECK(none.rows.empty());
    CHECK(none.columns == std::vector<std::string>{"n"});
}

TEST_CASE("paths bind nodes and relationships in order", "[cypher][exec]") {
    Harness h;
    people(h);
    auto r = h.ok("MATCH p = (c {name: 'Carol'})<-[:KNOWS]-(b)<-[:KNOWS]-(a) RETURN p, length(p), nodes(p)[0].name, "
                  "relationships(p)[1].since");
    REQUIRE(r.rows.size() == 1);
    const auto& p = r.rows[0][0].as<Path>();
    REQUIRE(p.nodes.size() == 3);
    CHECK(p.nodes[0].properties.at("name") == Value("Carol"));
    CHECK(p.nodes[2].properties.at("name") == Value("Alice"));
    CHECK(p.relationships[0].properties.at("since") == Value(I(2015)));
    CHECK(r.rows[0][1] == Value(I(2)));
    CHECK(r.rows[0][2] == Value("Carol"));
    CHECK(r.rows[0][3] == Value(I(2010)));
    auto c = h.ok("CREATE p = (:S)-[:T]->(:E) RETURN length(p)");
    CHECK(c.rows[0][0] == Value(I(1)));
}

TEST_CASE("OPTIONAL MATCH keeps the row with nulls", "[cypher][exec]") {
    Harness h;
    people(h);
    auto r = h.ok("MATCH (p:Person) OPTIONAL MATCH (p)-[:KNOWS]->(f) RETURN p.name, f.name ORDER BY p.name");
    CHECK(r.rows == std::vector<List>{{"Alice", "Bob"}, {"Bob", "Carol"}, {"Carol", Value()}, {"Dave", Value()}});
    auto w = h.ok("MATCH (p:Person {name: 'Alice'}) OPTIONAL MATCH (p)-->(f) WHERE f.age > 100 RETURN f");
    CHECK(w.rows == std::vector<List>{List{Value()}});
    auto alone = h.ok("OPTIONAL MATCH (n:Nothing) RETURN n, n.x, labels(n)");
    CHECK(alone.rows == std::vector<List>{{Value(), Value(), Value()}});
    // A null from OPTIONAL MATCH matches nothing later.
    auto later = h.ok("OPTIONAL MATCH (n:Nothing) WITH n MATCH (n)-->(m) RETURN m");
    CHECK(later.rows.empty());
    // SET on null does nothing.
    auto set = h.ok("OPTIONAL MATCH (n:Nothing) SET n.x = 1 RETURN n");
    CHECK(set.stats.properties_set == 0);
}

TEST_CASE("WHERE filters with predicates", "[cypher][exec]") {
    Harness h;
    people(h);
    auto names = [&](const std::string& where) {
        return column(h.ok("MATCH (n:Person) WHERE " + where + " RETURN n.name ORDER BY n.name"));
    };
    CHECK(names("n.age >= 30") == std::vector<Value>{"Alice", "Carol"});
    CHECK(names("n.age IS NULL") == std::vector<Value>{"Dave"});
    CHECK(names("n.age IS NOT NULL AND n.age < 30") == std::vector<Value>{"Bob"});
    CHECK(names("n.name STARTS WITH 'A' OR n.name ENDS WITH 'l'") == std::vector<Value>{"Alice", "Carol"});
    CHECK(names("n.name CONTAINS 'a'") == std::vector<Value>{"Carol", "Dave"});
    CHECK(names("n.name IN ['Bob', 'Dave', null]") == std::vector<Value>{"Bob", "Dave"});
    CHECK(names("NOT n.age > 26") == std::vector<Value>{"Bob"});
    CHECK(names("n:Admin") == std::vector<Value>{"Carol"});
    CHECK(names("n.age > 20 XOR n.name = 'Alice'") == std::vector<Value>{"Bob", "Carol"});
    CHECK(names("n.age <> 25") == std::vector<Value>{"Alice", "Carol"});
    CHECK(names("20 < n.age < 31") == std::vector<Value>{"Alice", "Bob"});
    auto e = h.fails("MATCH (n:Person) WHERE n.age RETURN n");
    CHECK(e.code == "Neo.ClientError.Statement.TypeError");
}

TEST_CASE("SET changes properties and labels, later clauses see the change", "[cypher][exec]") {
    Harness h;
    h.ok("CREATE (:N {a: 1, b: 2})");
    auto r = h.ok("MATCH (n:N) SET n.c = n.a + 10, n.d = n.c * 2 RETURN n.c, n.d");
    CHECK(r.rows == std::vector<List>{{I(11), I(22)}});
    CHECK(r.stats.properties_set == 2);
    r = h.ok("MATCH (n:N) SET n += {a: 100, b: null, e: 'x'} RETURN properties(n)");
    CHECK(r.rows[0][0] == Value(Map{{"a", I(100)}, {"c", I(11)}, {"d", I(22)}, {"e", "x"}}));
    h.ok("CREATE (:Src {from: 'src'})");
    r = h.ok("MATCH (n:N), (s:Src) SET n += s RETURN n.from");
    CHECK(r.rows[0][0] == Value("src"));
    r = h.ok("MATCH (n:N) SET n = {only: true} RETURN properties(n)");
    CHECK(r.rows[0][0] == Value(Map{{"only", true}}));
    r = h.ok("MATCH (n:N) SET n:M:K RETURN labels(n)");
    CHECK(r.rows[0][0] == Value(List{"N", "M", "K"}));
    CHECK(r.stats.labels_added == 2);
    r = h.ok("MATCH (n:N) SET n.only = null RETURN keys(n)");
    CHECK(r.rows[0][0] == Value(List{}));
    h.ok("CREATE (:A)-[:T {w: 1}]->(:B)");
    r = h.ok("MATCH ()-[t:T]->() SET t.w = t.w + 1, t += {z: 'z'} RETURN properties(t)");
    CHECK(r.rows[0][0] == Value(Map{{"w", I(2)}, {"z", "z"}}));
    // Every row sees every row's update (the same node in two rows).
    h.ok("CREATE (:Counter {v: 0})");
    r = h.ok("MATCH (c:Counter) UNWIND [1, 2, 3] AS i SET c.v = c.v + i RETURN c.v");
    CHECK(column(r) == std::vector<Value>{I(6), I(6), I(6)});
    CHECK(h.fails("MATCH (n:N) SET n.x = [{}]").code == "Neo.ClientError.Statement.TypeError");
}

TEST_CASE("REMOVE drops properties and labels", "[cypher][exec]") {
    Harness h;
    h.ok("CREATE (:N:M {a: 1, b: 2})");
    auto r = h.ok("MATCH (n:N) REMOVE n.a, n:M RETURN labels(n), keys(n)");
    CHECK(r.rows == std::vector<List>{{List{"N"}, List{"b"}}});
    CHECK(r.stats.labels_removed == 1);
    CHECK(r.stats.properties_set == 1);
}

TEST_CASE("DELETE and DETACH DELETE", "[cypher][exec]") {
    Harness h;
    people(h);
    auto e = h.fails("MATCH (n {name: 'Alice'}) DELETE n");
    CHECK(e.code == "Neo.ClientError.Schema.ConstraintValidationFailed");
    CHECK_THAT(e.message, Catch::Contains("still has relationships"));
    CHECK(h.dbms.graph.node_count() == 4);
    auto r = h.ok("MATCH (n {name: 'Dave'}) DELETE n");
    CHECK(r.stats.nodes_deleted == 1);
    CHECK(r.type == "rw");
    // Relationships go before nodes, whatever the order written; a node in
    // two rows is deleted once.
    r = h.ok("MATCH (a {name: 'Alice'})-[rel]->(b) DELETE a, rel");
    CHECK(r.stats.relationships_deleted == 2);
    CHECK(r.stats.nodes_deleted == 1);
    r = h.ok("MATCH (n {name: 'Bob'}) DETACH DELETE n");
    CHECK(r.stats.relationships_deleted == 1);
    CHECK(r.stats.nodes_deleted == 1);
    CHECK(h.scalar("MATCH (n) RETURN count(n)") == Value(I(1)));
    r = h.ok("OPTIONAL MATCH (n:Nothing) DELETE n");
    CHECK(r.stats.nodes_deleted == 0);
    CHECK(h.fails("WITH 1 AS x DELETE x").code == "Neo.ClientError.Statement.TypeError");
    r = h.ok("CREATE p = (:X)-[:Y]->(:Z) WITH p DELETE p");
    CHECK(r.stats.nodes_deleted == 2);
    CHECK(r.stats.relationships_deleted == 1);
    CHECK(r.stats.nodes_created == 2);
}

TEST_CASE("UNWIND makes a row per element", "[cypher][exec]") {
    Harness h;
    CHECK(column(h.ok("UNWIND [1, 2, 3] AS x RETURN x * 10")) == std::vector<Value>{I(10), I(20), I(30)});
    CHECK(h.ok("UNWIND [] AS x RETURN x").rows.empty());
    CHECK(h.ok("UNWIND null AS x RETURN x").rows.empty());
    CHECK(column(h.ok("UNWIND 5 AS x RETURN x")) == std::vector<Value>{I(5)});
    auto nested = h.ok("UNWIND [[1, 2], [3]] AS l UNWIND l AS x RETURN x");
    CHECK(column(nested) == std::vector<Value>{I(1), I(2), I(3)});
    auto r = h.ok("UNWIND $rows AS row CREATE (n:Row {id: row.id}) RETURN count(n)",
                  {{"rows", List{Map{{"id", I(1)}}, Map{{"id", I(2)}}}}});
    CHECK(r.rows[0][0] == Value(I(2)));
    CHECK(r.stats.nodes_created == 2);
}

TEST_CASE("WITH projects, aliases, filters and pages", "[cypher][exec]") {
    Harness h;
    people(h);
    auto r = h.ok("MATCH (n:Person) WITH n.name AS name, n.age AS age WHERE age > 26 RETURN name ORDER BY name");
    CHECK(column(r) == std::vector<Value>{"Alice", "Carol"});
    r = h.ok("MATCH (n:Person) WITH n ORDER BY n.name DESC SKIP 1 LIMIT 2 RETURN n.name");
    CHECK(column(r) == std::vector<Value>{"Carol", "Bob"});
    r = h.ok("MATCH (n:Person)-->(m) WITH DISTINCT n RETURN n.name ORDER BY n.name");
    CHECK(column(r) == std::vector<Value>{"Alice", "Bob"});
    r = h.ok("MATCH (n:Person) WITH n.age > 26 AS old, count(*) AS c RETURN old, c ORDER BY c, old");
    CHECK(r.rows == std::vector<List>{{false, I(1)}, {Value(), I(1)}, {true, I(2)}});
    // WITH's WHERE runs after ORDER BY / LIMIT.
    r = h.ok("UNWIND [5, 4, 3, 2, 1] AS x WITH x ORDER BY x LIMIT 3 WHERE x > 1 RETURN x");
    CHECK(column(r) == std::vector<Value>{I(2), I(3)});
    // Variables not projected are gone.
    CHECK_THAT(h.fails("MATCH (n) WITH n.name AS name RETURN n").message, Catch::Contains("Variable `n` not defined"));
    r = h.ok("WITH 1 AS a, 'x' AS b WITH *, a + 1 AS c RETURN *");
    CHECK(r.columns == std::vector<std::string>{"a", "b", "c"});
    CHECK(r.rows == std::vector<List>{{I(1), "x", I(2)}});
}

TEST_CASE("RETURN: star, DISTINCT, ORDER BY with nulls, SKIP, LIMIT", "[cypher][exec]") {
    Harness h;
    people(h);
    auto r = h.ok("MATCH (b {name: 'Bob'}), (a {name: 'Alice'}) RETURN *");
    CHECK(r.columns == std::vector<std::string>{"a", "b"});  // sorted by name, as Neo4j does
    r = h.ok("MATCH (n:Person) RETURN n.age ORDER BY n.age");
    CHECK(column(r) == std::vector<Value>{I(25), I(30), I(35), Value()});  // nulls last ascending
    r = h.ok("MATCH (n:Person) RETURN n.age AS age ORDER BY age DESC");
    CHECK(column(r) == std::vector<Value>{Value(), I(35), I(30), I(25)});  // nulls first descending
    r = h.ok("MATCH (n:Person) RETURN n.name ORDER BY n.age ASCENDING, n.name DESCENDING SKIP 1 LIMIT 2");
    CHECK(column(r) == std::vector<Value>{"Alice", "Carol"});
    r = h.ok("UNWIND [1, 1.0, 2, null, null, 'a', 'a'] AS x RETURN DISTINCT x");
    CHECK(column(r) == std::vector<Value>{I(1), I(2), Value(), "a"});
    r = h.ok("UNWIND [3, 1, 2] AS x RETURN x SKIP $s LIMIT $l", {{"s", I(1)}, {"l", I(1)}});
    CHECK(column(r) == std::vector<Value>{I(1)});
    r = h.ok("UNWIND [1, 2] AS x RETURN x LIMIT 0");
    CHECK(r.rows.empty());
    CHECK(h.ok("UNWIND [1, 2] AS x RETURN x SKIP 5").rows.empty());
    auto e = h.fails("RETURN 1 LIMIT -1");
    CHECK(e.code == "Neo.ClientError.Statement.ArgumentError");
    CHECK(h.fails("RETURN 1 SKIP $s", {{"s", 1.5}}).code == "Neo.ClientError.Statement.ArgumentError");
    // Mixed types order as Neo4j: map, node, relationship, list, path, temporal, string, boolean, number, null.
    r = h.ok("UNWIND [1, 'a', true, [1], {a: 1}, null, 0.5] AS x RETURN x ORDER BY x");
    CHECK(column(r) == std::vector<Value>{Map{{"a", I(1)}}, List{I(1)}, "a", true, 0.5, I(1), Value()});
    // ORDER BY an aggregate that is projected.
    r = h.ok("MATCH (n:Person)-->(m) RETURN n.name, count(*) ORDER BY count(*) DESC, n.name");
    CHECK(r.rows == std::vector<List>{{"Alice", I(2)}, {"Bob", I(1)}});
}

TEST_CASE("aggregation groups by the non-aggregate items", "[cypher][exec]") {
    Harness h;
    h.ok("UNWIND [['a', 1], ['a', 2], ['b', 3], ['b', null], ['c', null]] AS p CREATE (:V {g: p[0], v: p[1]})");
    auto r = h.ok("MATCH (n:V) RETURN n.g AS g, count(*) AS rows, count(n.v) AS vals, sum(n.v) AS s, avg(n.v) AS a, "
                  "min(n.v) AS lo, max(n.v) AS hi, collect(n.v) AS c ORDER BY g");
    REQUIRE(r.rows.size() == 3);
    CHECK(r.rows[0] == List{"a", I(2), I(2), I(3), 1.5, I(1), I(2), List{I(1), I(2)}});
    CHECK(r.rows[1] == List{"b", I(2), I(1), I(3), 3.0, I(3), I(3), List{I(3)}});
    CHECK(r.rows[2] == List{"c", I(1), I(0), I(0), Value(), Value(), Value(), List{}});
    // No rows, no grouping key: one row.
    r = h.ok("MATCH (n:Nothing) RETURN count(*), count(n), sum(n.x), avg(n.x), min(n.x), collect(n)");
    CHECK(r.rows == std::vector<List>{{I(0), I(0), I(0), Value(), Value(), List{}}});
    // No rows with a grouping key: no rows.
    CHECK(h.ok("MATCH (n:Nothing) RETURN n.g, count(*)").rows.empty());
    // DISTINCT inside aggregates; expressions around aggregates.
    r = h.ok("UNWIND [1, 1, 2, null] AS x RETURN count(DISTINCT x), collect(DISTINCT x), sum(x) * 2 + 1, "
             "size(collect(x))");
    CHECK(r.rows[0] == List{I(2), List{I(1), I(2)}, I(9), I(3)});
    r = h.ok("UNWIND [1, 2.5] AS x RETURN sum(x), avg(x)");
    CHECK(r.rows[0] == List{3.5, 1.75});
    // A grouping key that is an expression, used inside the aggregate item too.
    r = h.ok("UNWIND [1, 2, 3, 4] AS x RETURN x % 2 AS parity, x % 2 * 100 + sum(x) AS s ORDER BY parity");
    CHECK(r.rows == std::vector<List>{{I(0), I(6)}, {I(1), I(104)}});
    // Grouping on nodes and on null.
    r = h.ok("UNWIND [null, null, 1] AS x RETURN x, count(*) ORDER BY x");
    CHECK(r.rows == std::vector<List>{{I(1), I(1)}, {Value(), I(2)}});
    CHECK(h.fails("UNWIND ['a'] AS x RETURN sum(x)").code == "Neo.ClientError.Statement.TypeError");
    CHECK(h.fails("UNWIND [9223372036854775807, 1] AS x RETURN sum(x)").code ==
          "Neo.ClientError.Statement.ArithmeticError");
}

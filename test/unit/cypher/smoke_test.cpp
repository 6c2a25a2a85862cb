// test/unit/cypher/smoke_test.cpp: the engine end to end on the simplest queries.
#include "harness.hpp"

using namespace refhost;
using namespace refhost::cypher::test;

TEST_CASE("cypher smoke: create, match, return", "[cypher]") {
    Harness h;
    auto c = h.ok("CREATE (n:Person {name: 'Ann', age: 42}) RETURN n.name AS name");
    REQUIRE(c.columns == std::vector<std::string>{"name"});
    REQUIRE(c.rows.size() == 1);
    CHECK(c.rows[0][0] == Value("Ann"));
    CHECK(c.stats.nodes_created == 1);
    CHECK(c.type == "rw");
    auto m = h.ok("MATCH (n:Person) WHERE n.age > 40 RETURN n.name, n.age + 1");
    REQUIRE(m.columns == std::vector<std::string>{"n.name", "n.age + 1"});
    REQUIRE(m.rows.size() == 1);
    CHECK(m.rows[0][1] == Value(int64_t{43}));
    CHECK(m.type == "r");
}

TEST_CASE("cypher smoke: arithmetic", "[cypher]") {
    Harness h;
    CHECK(h.scalar("RETURN 42 + 1") == Value(int64_t{43}));
    CHECK(h.scalar("RETURN {a: 42}.a") == Value(int64_t{42}));
    CHECK(h.scalar("WITH {a: 42} AS m RETURN m.a + 1") == Value(int64_t{43}));
}

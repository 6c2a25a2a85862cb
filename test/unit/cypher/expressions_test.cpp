// test/unit/cypher/expressions_test.cpp: operators, functions, parameters,
// and the runtime errors of expressions.
#include "harness.hpp"

#include <cmath>
#include <limits>

using namespace refhost;
using namespace refhost::cypher;
using namespace refhost::cypher::test;

namespace {

int64_t I(int64_t v) { return v; }
const std::string kType = "Neo.ClientError.Statement.TypeError";
const std::string kArithmetic = "Neo.ClientError.Statement.ArithmeticError";
const std::string kArgument = "Neo.ClientError.Statement.ArgumentError";

}  // namespace

TEST_CASE("arithmetic follows Cypher", "[cypher][expr]") {
    Harness h;
    CHECK(h.scalar("RETURN 7 + 3 * 2 - 1") == Value(I(12)));
    CHECK(h.scalar("RETURN 7 / 2") == Value(I(3)));
    CHECK(h.scalar("RETURN -7 / 2") == Value(I(-3)));
    CHECK(h.scalar("RETURN 7 % 3") == Value(I(1)));
    CHECK(h.scalar("RETURN -7 % 3") == Value(I(-1)));
    CHECK(h.scalar("RETURN 7.0 / 2") == Value(3.5));
    CHECK(h.scalar("RETURN 2 ^ 10") == Value(1024.0));
    CHECK(h.scalar("RETURN -2 ^ 2") == Value(4.0));
    CHECK(h.scalar("RETURN 1 + 2.5") == Value(3.5));
    CHECK(h.scalar("RETURN 5.5 % 2") == Value(1.5));
    CHECK(h.scalar("RETURN -(3)") == Value(I(-3)));
    CHECK(h.scalar("RETURN +3") == Value(I(3)));
    CHECK(h.scalar("RETURN 1 + null").is_null());
    CHECK(h.scalar("RETURN null * 2").is_null());
    CHECK(h.scalar("RETURN 1.0 / 0") == Value(std::numeric_limits<double>::infinity()));
    CHECK(h.scalar("RETURN 'a' + 'b'") == Value("ab"));
    CHECK(h.scalar("RETURN 'n' + 1") == Value("n1"));
    CHECK(h.scalar("RETURN 1.5 + 'x'") == Value("1.5x"));
    CHECK(h.scalar("RETURN [1] + [2, 3]") == Value(List{I(1), I(2), I(3)}));
    CHECK(h.scalar("RETURN [1] + 2") == Value(List{I(1), I(2)}));
    CHECK(h.scalar("RETURN 0 + [1]") == Value(List{I(0), I(1)}));

    auto e = h.fails("RETURN 1 / 0");
    CHECK(e.code == kArithmetic);
    CHECK(e.message == "/ by zero");
    CHECK(h.fails("RETURN 1 % 0").code == kArithmetic);
    CHECK(h.fails("RETURN 9223372036854775807 + 1").code == kArithmetic);
    CHECK(h.fails("RETURN -9223372036854775808 - 1").code == kArithmetic);
    CHECK(h.fails("RETURN 4611686018427387904 * 2").code == kArithmetic);
    CHECK(h.fails("RETURN -(-9223372036854775808)").code == kArithmetic);
    e = h.fails("RETURN 'a' - 1");
    CHECK(e.code == kType);
    CHECK_THAT(e.message, Catch::Contains("Cannot subtract STRING 'a' and INTEGER 1"));
    CHECK(h.fails("RETURN {a: 1} + 1").code == kType);
    CHECK(h.fails("RETURN true * 2").code == kType);
    CHECK(h.fails("RETURN -'a'").code == kType);
}

TEST_CASE("comparisons and equality with nulls", "[cypher][expr]") {
    Harness h;
    CHECK(h.scalar("RETURN 1 = 1.0") == Value(true));
    CHECK(h.scalar("RETURN 1 <> 2") == Value(true));
    CHECK(h.scalar("RETURN 'a' < 'b'") == Value(true));
    CHECK(h.scalar("RETURN 2 >= 2") == Value(true));
    CHECK(h.scalar("RETURN 3 <= 2") == Value(false));
    CHECK(h.scalar("RETURN false < true") == Value(true));
    CHECK(h.scalar("RETURN [1, 2] < [1, 3]") == Value(true));
    CHECK(h.scalar("RETURN null = null").is_null());
    CHECK(h.scalar("RETURN 1 = null").is_null());
    CHECK(h.scalar("RETURN 1 < 'a'").is_null());   // not comparable
    CHECK(h.scalar("RETURN 1 = 'a'") == Value(false));
    CHECK(h.scalar("RETURN [1, null] = [1, null]").is_null());
    CHECK(h.scalar("RETURN [1, null] = [2, null]") == Value(false));
    CHECK(h.scalar("RETURN {a: 1} = {a: 1}") == Value(true));
    CHECK(h.scalar("RETURN {a: 1} = {b: 1}") == Value(false));
    CHECK(h.scalar("RETURN 0.0 / 0.0 = 0.0 / 0.0") == Value(false));
    CHECK(h.scalar("RETURN 1 < 2 < 3") == Value(true));
    CHECK(h.scalar("RETURN 1 < 3 < 2") == Value(false));
}

TEST_CASE("boolean logic is three-valued", "[cypher][expr]") {
    Harness h;
    CHECK(h.scalar("RETURN true AND null").is_null());
    CHECK(h.scalar("RETURN false AND null") == Value(false));
    CHECK(h.scalar("RETURN true OR null") == Value(true));
    CHECK(h.scalar("RETURN false OR null").is_null());
    CHECK(h.scalar("RETURN true XOR false") == Value(true));
    CHECK(h.scalar("RETURN true XOR null").is_null());
    CHECK(h.scalar("RETURN NOT null").is_null());
    CHECK(h.scalar("RETURN NOT false") == Value(true));
    CHECK(h.scalar("RETURN NOT 1 = 2") == Value(true));  // NOT binds looser than =
    CHECK(h.scalar("RETURN true OR false AND false") == Value(true));  // AND binds tighter than OR
    CHECK(h.fails("RETURN 1 AND true").code == kType);
    CHECK(h.fails("RETURN NOT 'x'").code == kType);
}

TEST_CASE("IN, IS NULL and string predicates", "[cypher][expr]") {
    Harness h;
    CHECK(h.scalar("RETURN 2 IN [1, 2]") == Value(true));
    CHECK(h.scalar("RETURN 3 IN [1, 2]") == Value(false));
    CHECK(h.scalar("RETURN 3 IN [1, null]").is_null());
    CHECK(h.scalar("RETURN null IN []") == Value(false));
    CHECK(h.scalar("RETURN null IN [1]").is_null());
    CHECK(h.scalar("RETURN 1 IN null").is_null());
    CHECK(h.scalar("RETURN [1] IN [[1], [2]]") == Value(true));
    CHECK(h.fails("RETURN 1 IN 1").code == kType);
    CHECK(h.scalar("RETURN null IS NULL") == Value(true));
    CHECK(h.scalar("RETURN 1 IS NOT NULL") == Value(true));
    CHECK(h.scalar("RETURN 'hello' STARTS WITH 'he'") == Value(true));
    CHECK(h.scalar("RETURN 'hello' ENDS WITH 'lo'") == Value(true));
    CHECK(h.scalar("RETURN 'hello' CONTAINS 'ell'") == Value(true));
    CHECK(h.scalar("RETURN 'hello' CONTAINS 'xyz'") == Value(false));
    CHECK(h.scalar("RETURN 'hello' STARTS WITH null").is_null());
    CHECK(h.scalar("RETURN 1 STARTS WITH 'a'").is_null());
}

TEST_CASE("property access, indexing and slicing", "[cypher][expr]") {
    Harness h;
    CHECK(h.scalar("RETURN {a: {b: 2}}.a.b") == Value(I(2)));
    CHECK(h.scalar("RETURN {a: 1}.missing").is_null());
    CHECK(h.scalar("WITH null AS m RETURN m.x").is_null());
    CHECK(h.scalar("RETURN [10, 20, 30][1]") == Value(I(20)));
    CHECK(h.scalar("RETURN [10, 20, 30][-1]") == Value(I(30)));
    CHECK(h.scalar("RETURN [10, 20, 30][5]").is_null());
    CHECK(h.scalar("RETURN {k: 'v'}['k']") == Value("v"));
    CHECK(h.scalar("RETURN [1, 2, 3, 4][1..3]") == Value(List{I(2), I(3)}));
    CHECK(h.scalar("RETURN [1, 2, 3, 4][..2]") == Value(List{I(1), I(2)}));
    CHECK(h.scalar("RETURN [1, 2, 3, 4][-2..]") == Value(List{I(3), I(4)}));
    CHECK(h.scalar("RETURN [1, 2, 3][2..1]") == Value(List{}));
    CHECK(h.scalar("RETURN $list[$i]", {{"list", List{"a", "b"}}, {"i", I(1)}}) == Value("b"));
    CHECK(h.fails("RETURN [1][1.5]").code == kType);
    CHECK(h.fails("RETURN (1).x").code == kType);
    h.ok("CREATE (:N {k: 'v'})");
    CHECK(h.scalar("MATCH (n:N) RETURN n['k']") == Value("v"));
}

TEST_CASE("CASE in both forms", "[cypher][expr]") {
    Harness h;
    CHECK(h.scalar("RETURN CASE WHEN 1 > 2 THEN 'a' WHEN 2 > 1 THEN 'b' ELSE 'c' END") == Value("b"));
    CHECK(h.scalar("RETURN CASE WHEN false THEN 1 END").is_null());
    CHECK(h.scalar("RETURN CASE 2 WHEN 1 THEN 'one' WHEN 2 THEN 'two' END") == Value("two"));
    CHECK(h.scalar("RETURN CASE null WHEN null THEN 'null' ELSE 'other' END") == Value("other"));
    CHECK(h.scalar("RETURN CASE WHEN null THEN 1 ELSE 2 END") == Value(I(2)));
}

TEST_CASE("conversion functions", "[cypher][fn]") {
    Harness h;
    CHECK(h.scalar("RETURN toString(42)") == Value("42"));
    CHECK(h.scalar("RETURN toString(1.0)") == Value("1.0"));
    CHECK(h.scalar("RETURN toString(0.1)") == Value("0.1"));
    CHECK(h.scalar("RETURN toString(1.0e7)") == Value("1.0E7"));
    CHECK(h.scalar("RETURN toString(1.5e-5)") == Value("1.5E-5"));
    CHECK(h.scalar("RETURN toString(123456.789)") == Value("123456.789"));
    CHECK(h.scalar("RETURN toString(true)") == Value("true"));
    CHECK(h.scalar("RETURN toString('s')") == Value("s"));
    CHECK(h.scalar("RETURN toString(null)").is_null());
    CHECK(h.fails("RETURN toString([1])").code == kType);
    CHECK(h.scalar("RETURN toInteger('42')") == Value(I(42)));
    CHECK(h.scalar("RETURN toInteger('4.7')") == Value(I(4)));
    CHECK(h.scalar("RETURN toInteger(-4.7)") == Value(I(-4)));
    CHECK(h.scalar("RETURN toInteger('x')").is_null());
    CHECK(h.scalar("RETURN toInteger(true)") == Value(I(1)));
    CHECK(h.fails("RETURN toInteger([1])").code == kType);
    CHECK(h.scalar("RETURN toFloat('2.5')") == Value(2.5));
    CHECK(h.scalar("RETURN toFloat(2)") == Value(2.0));
    CHECK(h.scalar("RETURN toFloat('nope')").is_null());
    CHECK(h.scalar("RETURN toBoolean('TRUE')") == Value(true));
    CHECK(h.scalar("RETURN toBoolean(' false ')") == Value(false));
    CHECK(h.scalar("RETURN toBoolean('yes')").is_null());
    CHECK(h.scalar("RETURN toBoolean(0)") == Value(false));
    CHECK(h.fails("RETURN toBoolean(1.5)").code == kType);
}

TEST_CASE("list, string and number functions", "[cypher][fn]") {
    Harness h;
    CHECK(h.scalar("RETURN coalesce(null, null, 3, 4)") == Value(I(3)));
    CHECK(h.scalar("RETURN coalesce(null)").is_null());
    CHECK(h.scalar("RETURN size([1, 2, 3])") == Value(I(3)));
    CHECK(h.scalar("RETURN size('héllo')") == Value(I(5)));
    CHECK(h.scalar("RETURN size(null)").is_null());
    CHECK(h.fails("RETURN size(1)").code == kType);
    CHECK(h.scalar("RETURN range(1, 5)") == Value(List{I(1), I(2), I(3), I(4), I(5)}));
    CHECK(h.scalar("RETURN range(0, 10, 5)") == Value(List{I(0), I(5), I(10)}));
    CHECK(h.scalar("RETURN range(5, 1, -2)") == Value(List{I(5), I(3), I(1)}));
    CHECK(h.scalar("RETURN range(5, 1)") == Value(List{}));
    CHECK(h.fails("RETURN range(1, 5, 0)").code == kArgument);
    CHECK(h.fails("RETURN range(0, 100000000000)").code == kArgument);
    CHECK(h.scalar("RETURN head([1, 2])") == Value(I(1)));
    CHECK(h.scalar("RETURN head([])").is_null());
    CHECK(h.scalar("RETURN last([1, 2])") == Value(I(2)));
    CHECK(h.scalar("RETURN tail([1, 2])") == Value(List{I(2)}));
    CHECK(h.scalar("RETURN abs(-3)") == Value(I(3)));
    CHECK(h.scalar("RETURN abs(-2.5)") == Value(2.5));
    CHECK(h.scalar("RETURN ceil(1.2)") == Value(2.0));
    CHECK(h.scalar("RETURN floor(1.8)") == Value(1.0));
    CHECK(h.scalar("RETURN round(2.5)") == Value(3.0));
    CHECK(h.scalar("RETURN sqrt(16)") == Value(4.0));
    CHECK(h.scalar("RETURN sign(-5)") == Value(I(-1)));
    CHECK(h.scalar("RETURN toUpper('abc')") == Value("ABC"));
    CHECK(h.scalar("RETURN toLower('ABC')") == Value("abc"));
    CHECK(h.scalar("RETURN trim('  x  ')") == Value("x"));
    CHECK(h.scalar("RETURN ltrim('  x  ')") == Value("x  "));
    CHECK(h.scalar("RETURN rtrim('  x  ')") == Value("  x"));
    CHECK(h.scalar("RETURN replace('a-b-c', '-', '+')") == Value("a+b+c"));
    CHECK(h.scalar("RETURN substring('hello', 1, 3)") == Value("ell"));
    CHECK(h.scalar("RETURN substring('hello', 2)") == Value("llo"));
    CHECK(h.scalar("RETURN split('a,b,,c', ',')") == Value(List{"a", "b", "", "c"}));
    CHECK(h.scalar("RETURN reverse('abc')") == Value("cba"));
    CHECK(h.scalar("RETURN reverse([1, 2])") == Value(List{I(2), I(1)}));
}

TEST_CASE("graph functions", "[cypher][fn]") {
    Harness h;
    auto r = h.ok("CREATE (a:A:B {x: 1, y: 'z'})-[r:REL {w: 2}]->(b:C) RETURN elementId(a), id(a), labels(a), "
                  "type(r), keys(a), properties(r), startNode(r) = a, endNode(r) = b, elementId(r), id(r)");
    const auto& row = r.rows[0];
    CHECK(row[0] == Value("4:mem:0"));
    CHECK(row[1] == Value(I(0)));
    CHECK(row[2] == Value(List{"A", "B"}));
    CHECK(row[3] == Value("REL"));
    CHECK(row[4] == Value(List{"x", "y"}));
    CHECK(row[5] == Value(Map{{"w", I(2)}}));
    CHECK(row[6] == Value(true));
    CHECK(row[7] == Value(true));
    CHECK(row[8] == Value("5:mem:0"));
    CHECK(row[9] == Value(I(0)));
    CHECK(h.scalar("RETURN keys({b: 1, a: 2})") == Value(List{"a", "b"}));
    CHECK(h.scalar("RETURN labels(null)").is_null());
    CHECK(h.fails("RETURN labels(1)").code == kType);
    CHECK(h.fails("RETURN type('x')").code == kType);
    CHECK(h.scalar("MATCH (n:A) WHERE elementId(n) = $id RETURN n.x", {{"id", "4:mem:0"}}) == Value(I(1)));
}

TEST_CASE("timestamp() is one value per query", "[cypher][fn]") {
    Harness h;
    auto r = h.ok("UNWIND range(1, 100) AS i RETURN count(DISTINCT timestamp()) AS n, min(timestamp()) AS t");
    CHECK(r.rows[0][0] == Value(I(1)));
    CHECK(r.rows[0][1].as<int64_t>() > 1700000000000);
}

TEST_CASE("datetime(): the statement's time or ISO-8601 text, toString gives it back", "[cypher][fn]") {
    Harness h;
    auto r = h.ok("RETURN datetime() = datetime() AS same, toString(datetime('2026-12-06T13:10:00.25+01:00')) "
                  "AS t, toString(datetime('2026-12-06T12:10Z')) AS m, toString(datetime('2024-02-29T00:00:00')) AS leap");
    CHECK(r.rows[0][0] == Value(true));
    CHECK(r.rows[0][1] == Value("2026-12-06T13:10:00.25+01:00"));
    CHECK(r.rows[0][2] == Value("2026-12-06T12:10:00Z"));
    CHECK(r.rows[0][3] == Value("2024-02-29T00:00:00Z"));
    CHECK(h.scalar("RETURN datetime(null)").is_null());
    for (const char* bad : {"'yesterday'", "'2026-02-29T00:00Z'", "'2026-12-06T24:00Z'", "'2026-12-06 12:10Z'",
                            "'2026-12-06T12:10:00+1'", "'2026-12-06T12:10:00.Z'"}) {
        INFO(bad);
        CHECK(h.fails(std::string("RETURN datetime(") + bad + ")").code == "Neo.ClientError.Statement.ArgumentError");
    }
    CHECK(h.fails("RETURN datetime(1)").code == kType);
}

TEST_CASE("parameters of every type round-trip through RETURN $x", "[cypher][params]") {
    Harness h;
    std::vector<Value> values = {
        Value(),
        true,
        false,
        I(0),
        std::numeric_limits<int64_t>::min(),
        std::numeric_limits<int64_t>::max(),
        3.25,
        -0.0,
        std::numeric_limits<double>::infinity(),
        "",
        "text with 'quotes' and \xC3\xA9",
        Bytes{{0, 1, 2, 255}},
        List{},
        List{I(1), "two", List{3.0}, Map{{"k", Value()}}},
        Map{},
        Map{{"a", I(1)}, {"nested", Map{{"b", List{true}}}}},
        Date{19000},
        LocalTime{3600000000000LL},
        Time{3600000000000LL, 7200},
        LocalDateTime{1700000000, 5},
        DateTime{1700000000, 5, -3600},
        DateTimeZoneId{1700000000, 0, "Europe/Berlin"},
        Duration{14, 3, 25, 7},
        Point2D{7203, 1.5, 2.5},
        Point3D{9157, 1.0, 2.0, 3.0},
    };
    for (const auto& v : values) {
        INFO(type_name(v) << " " << describe_value(v));
        auto r = h.ok("RETURN $x AS x", {{"x", v}});
        REQUIRE(r.columns == std::vector<std::string>{"x"});
        CHECK(r.rows[0][0] == v);
    }
    auto nan = h.scalar("RETURN $x", {{"x", std::nan("")}});
    CHECK(std::isnan(nan.as<double>()));
    // Parameters also work as lists, maps and inside expressions.
    CHECK(h.scalar("RETURN $m.a + size($l)", {{"m", Map{{"a", I(1)}}}, {"l", List{I(1), I(2)}}}) == Value(I(3)));
}

TEST_CASE("a missing parameter is ParameterMissing, before anything runs", "[cypher][params]") {
    Harness h;
    auto e = h.fails("CREATE (n:N {a: $a}) RETURN $b, $c", {{"b", I(1)}});
    CHECK(e.code == "Neo.ClientError.Statement.ParameterMissing");
    CHECK(e.message == "Expected parameter(s): a, c");
    CHECK(e.gql_status == "42N51");
    CHECK(h.dbms.graph.mutations() == 0);
}

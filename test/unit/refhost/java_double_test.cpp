// test/unit/refhost/java_double_test.cpp: the one formatting of floats that
// Cypher's toString() and ccdr-shell's output share (common/java_double.hpp):
// what Java's Double.toString (JDK 19 and later) prints.
#include "common/java_double.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

using refhost::java_double;

TEST_CASE("java_double prints the shortest decimal that reads back", "[refhost][java_double]") {
    CHECK(java_double(0.008) == "0.008");  // %.17g would print 0.0080000000000000002
    CHECK(java_double(0.1 + 0.2) == "0.30000000000000004");
    CHECK(java_double(1.0 / 3) == "0.3333333333333333");
    CHECK(java_double(1e23) == "1.0E23");
    CHECK(java_double(std::numeric_limits<double>::max()) == "1.7976931348623157E308");
    // At a power of two the shortest is 16 digits; trying precisions with
    // printf and strtod gives 17 (7.1202363472230444E-307).
    CHECK(java_double(std::ldexp(1.0, -1017)) == "7.120236347223045E-307");
}

TEST_CASE("java_double writes plain between 1e-3 and 1e7, scientific outside", "[refhost][java_double]") {
    CHECK(java_double(1.0) == "1.0");
    CHECK(java_double(-2.5) == "-2.5");
    CHECK(java_double(1234567.0) == "1234567.0");
    CHECK(java_double(9999999.0) == "9999999.0");
    CHECK(java_double(1e7) == "1.0E7");
    CHECK(java_double(-12345678.0) == "-1.2345678E7");
    CHECK(java_double(0.001) == "0.001");
    CHECK(java_double(0.0001) == "1.0E-4");
    CHECK(java_double(-0.00012) == "-1.2E-4");
}

TEST_CASE("java_double: a one-digit decimal gives way to the closest two-digit one", "[refhost][java_double]") {
    CHECK(java_double(std::numeric_limits<double>::denorm_min()) == "4.9E-324");
    CHECK(java_double(2 * std::numeric_limits<double>::denorm_min()) == "9.9E-324");
    CHECK(java_double(2e-3) == "0.002");
    CHECK(java_double(3e10) == "3.0E10");
}

TEST_CASE("java_double: zeros, infinities and NaN as Java names them", "[refhost][java_double]") {
    CHECK(java_double(0.0) == "0.0");
    CHECK(java_double(-0.0) == "-0.0");
    CHECK(java_double(std::numeric_limits<double>::infinity()) == "Infinity");
    CHECK(java_double(-std::numeric_limits<double>::infinity()) == "-Infinity");
    CHECK(java_double(std::nan("")) == "NaN");
}

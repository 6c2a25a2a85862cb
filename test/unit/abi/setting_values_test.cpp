#include <ccdr/setting_values.hpp>

#include <catch2/catch.hpp>

namespace s = ccdr::settings;

TEST_CASE("neo4j.conf value syntaxes parse and refuse", "[settings]") {
    CHECK(*s::parse_bool(" TRUE ") == true);
    CHECK(*s::parse_bool("false") == false);
    CHECK_FALSE(s::parse_bool("yes"));

    CHECK(s::parse_duration("500ms")->count() == 500);
    CHECK(s::parse_duration("10s")->count() == 10'000);
    CHECK(s::parse_duration("5m")->count() == 300'000);
    CHECK(s::parse_duration("2 days")->count() == 2 * 86'400'000LL);
    CHECK_FALSE(s::parse_duration("ten seconds"));
    CHECK_FALSE(s::parse_duration("10 parsecs"));

    CHECK(*s::parse_size("4096") == 4096);
    CHECK(*s::parse_size("64KiB") == 65536);
    CHECK(*s::parse_size("16m") == 16u << 20);
    CHECK_FALSE(s::parse_size("-1"));
    CHECK_FALSE(s::parse_size("12 furlongs"));

    CHECK(*s::parse_int("42", 0, 100) == 42);
    CHECK_FALSE(s::parse_int("420", 0, 100));
    CHECK_FALSE(s::parse_int("4x"));

    auto a = s::parse_address("127.0.0.1:7687");
    REQUIRE(a);
    CHECK(a->host == "127.0.0.1");
    CHECK(a->port == 7687);
    CHECK(s::parse_address(":6000")->host == "localhost");
    CHECK_FALSE(s::parse_address("localhost"));
    CHECK_FALSE(s::parse_address("localhost:99999"));
    CHECK_FALSE(s::parse_address("localhost:http"));

    CHECK(s::parse_list(" a, b ,,c ") == std::vector<std::string>{"a", "b", "c"});
}

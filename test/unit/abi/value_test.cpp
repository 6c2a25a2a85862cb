#include <ccdr/procedure.hpp>
#include <ccdr/status.hpp>
#include <ccdr/value.hpp>

#include <catch2/catch.hpp>

using ccdr::Value;
using ccdr::ValueList;

TEST_CASE("a value tree survives the trip through ABI views", "[abi][value]") {
    Value original = Value::map({
        {"remote", "foo"},
        {"addresses", Value::list({"server01:6000", "server02:6000"})},
        {"count", int64_t{3}},
        {"ratio", 0.25},
        {"on", true},
        {"nothing", nullptr},
        {"raw", Value(ccdr::Bytes{{1, 2, 3}})},
        {"nested", Value::map({{"deep", Value::list({Value::list({int64_t{1}})})}})},
    });
    ccdr::AbiValueBuilder builder;
    ccdr_value view = builder.build(original);
    REQUIRE(view.type == CCDR_VALUE_MAP);
    REQUIRE(view.as.map.count == 8);
    CHECK(Value::from_abi(view) == original);
}

TEST_CASE("status fills a caller's error and truncates long messages", "[abi][status]") {
    auto err = ccdr::make_error();
    std::string long_message(5000, 'x');
    ccdr_status code = ccdr::Status(CCDR_CORRUPT, long_message).fill(&err);
    CHECK(code == CCDR_CORRUPT);
    CHECK(err.status == CCDR_CORRUPT);
    CHECK(std::string(err.message).size() == CCDR_MESSAGE_MAX - 1);
    CHECK(ccdr::Status(CCDR_OK, "").fill(nullptr) == CCDR_OK);
    CHECK(std::string(ccdr::Status(CCDR_READ_ONLY_DATABASE, "x").neo4j_code()) ==
          "Neo.ClientError.General.ForbiddenOnReadOnlyDatabase");
}

TEST_CASE("procedure arguments are bound with exact conversions only", "[abi][procedure]") {
    ccdr::Procedure p;
    p.name = "internal.dbms.createReplicaDatabase";
    p.args = {{"databaseName", CCDR_TYPE_STRING, false, {}, ""},
              {"numPrimaries", CCDR_TYPE_INTEGER, false, {}, ""},
              {"options", CCDR_TYPE_MAP, true, Value(ccdr::ValueMap{}), ""}};

    SECTION("a driver's float 3.0 becomes the integer 3") {
        auto bound = p.bind(ValueList{"foo", 3.0});
        REQUIRE(bound);
        CHECK((*bound)[1].is_int());
        CHECK((*bound)[1].as_int() == 3);
        CHECK((*bound)[2].is_map());
    }
    SECTION("3.5 is not an integer") {
        auto bound = p.bind(ValueList{"foo", 3.5});
        REQUIRE_FALSE(bound);
        CHECK(bound.status().code() == CCDR_PROCEDURE_CALL_FAILED);
        CHECK_THAT(bound.status().message(), Catch::Contains("numPrimaries") && Catch::Contains("INTEGER") &&
                                                 Catch::Contains("FLOAT"));
    }
    SECTION("too few and too many arguments name the signature") {
        auto few = p.bind(ValueList{"foo"});
        REQUIRE_FALSE(few);
        CHECK_THAT(few.status().message(), Catch::Contains("got 1") && Catch::Contains("at least 2"));
        auto many = p.bind(ValueList{"foo", 1, Value::map({}), 4});
        REQUIRE_FALSE(many);
        CHECK_THAT(many.status().message(), Catch::Contains("got 4"));
    }
    SECTION("a list of strings refuses a list holding a number") {
        CHECK_FALSE(ccdr::coerce(Value::list({"a", int64_t{1}}), CCDR_TYPE_LIST_OF_STRING));
        CHECK(ccdr::coerce(Value::list({"a", "b"}), CCDR_TYPE_LIST_OF_STRING));
        auto ints = ccdr::coerce(Value::list({1.0, int64_t{2}}), CCDR_TYPE_LIST_OF_INTEGER);
        REQUIRE(ints);
        CHECK(ints->as_list()[0].is_int());
    }
}

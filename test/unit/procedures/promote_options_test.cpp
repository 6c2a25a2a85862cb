// The options of a promotion to a point (procedures/promote_to_point.hpp)
// and the replicaConfig key applyDelay (session/replica_config.hpp): what is
// accepted, and the reason given for what is not.
#include "procedures/promote_to_point.hpp"
#include "procedures/upstream_link.hpp"
#include "session/replica_config.hpp"

#include <catch2/catch.hpp>

using namespace ccdr;
using namespace ccdr::plugin;

namespace {

Result<PromoteOptions> options(ValueMap map) { return parse_promote_options(ValueList{Value("r"), Value(std::move(map))}, 1); }

Value link(ValueMap extra) {
    ValueMap map{{"remote", Value("foo")}, {"addresses", Value(ValueList{Value("127.0.0.1:7000")})}};
    for (auto& e : extra) {
        map.push_back(std::move(e));
    }
    return Value(std::move(map));
}

}  // namespace

TEST_CASE("promotion options: upToTx, upToTime as ISO-8601 or epoch ms, fenceOnHeal", "[procedures][delay]") {
    auto none = parse_promote_options(ValueList{Value("r")}, 1);
    REQUIRE(none);
    CHECK(none->fence_on_heal);
    CHECK_FALSE(none->up_to_tx);
    auto tx = options({{"upToTx", Value(int64_t{42})}, {"fenceOnHeal", Value(false)}});
    REQUIRE(tx);
    CHECK(*tx->up_to_tx == 42);
    CHECK_FALSE(tx->fence_on_heal);
    auto iso = options({{"upToTime", Value("2026-12-06T12:10:00.250Z")}});
    REQUIRE(iso);
    CHECK(*iso->up_to_time_ms == 1'796'559'000'250);
    auto offset = options({{"upToTime", Value("2026-12-06T13:10:00.25+01:00")}});
    REQUIRE(offset);
    CHECK(*offset->up_to_time_ms == 1'796'559'000'250);
    auto ms = options({{"upToTime", Value(int64_t{1'796'559'000'250})}});
    REQUIRE(ms);
    CHECK(*ms->up_to_time_ms == 1'796'559'000'250);
    CHECK(iso_datetime(1'796'559'000'250) == "2026-12-06T12:10:00.250Z");
}

TEST_CASE("promotion options: bad input is refused with the reason", "[procedures][delay]") {
    const std::vector<std::pair<ValueMap, std::string>> cases = {
        {{{"upToTx", Value(int64_t{0})}}, "upToTx must be a positive INTEGER transaction id, got 0"},
        {{{"upToTx", Value("7")}}, "upToTx must be a positive INTEGER"},
        {{{"upToTime", Value(true)}}, "upToTime must be a DATETIME"},
        {{{"upToTime", Value("yesterday")}}, "upToTime 'yesterday' is not an ISO-8601 date-time"},
        {{{"upToTime", Value("2026-13-06T12:10:00Z")}}, "is not an ISO-8601 date-time"},
        {{{"upToTime", Value("2026-12-06T12:10:00")}}, "is not an ISO-8601 date-time"},
        {{{"upToTx", Value(int64_t{3})}, {"upToTime", Value(int64_t{5})}}, "give upToTx or upToTime, not both"},
        {{{"upTo", Value(int64_t{3})}}, "unknown option 'upTo' (the options are: fenceOnHeal, upToTx, upToTime)"},
        {{{"fenceOnHeal", Value("no")}}, "fenceOnHeal must be a BOOLEAN"},
    };
    for (const auto& [map, why] : cases) {
        auto parsed = options(map);
        REQUIRE_FALSE(parsed);
        CHECK(parsed.status().code() == CCDR_PROCEDURE_CALL_FAILED);
        CHECK_THAT(parsed.status().message(), Catch::Contains(why));
    }
    auto not_map = parse_promote_options(ValueList{Value("r"), Value(int64_t{1})}, 1);
    REQUIRE_FALSE(not_map);
    CHECK_THAT(not_map.status().message(), Catch::Contains("options must be a MAP"));
}

TEST_CASE("applyDelay: a duration string, kept as written, negative, unparsable or other types refused",
          "[procedures][delay]") {
    auto parsed = parse_upstream_link(link({{"applyDelay", Value("90s")}}));
    REQUIRE(parsed);
    CHECK(parsed->apply_delay == std::chrono::seconds(90));
    auto stored = parse_replica_config(to_value(*parsed));
    REQUIRE(stored);
    CHECK(stored->apply_delay == std::chrono::seconds(90));
    CHECK(to_value(*stored).find("applyDelay")->as_string() == "90s");
    auto off = parse_upstream_link(link({{"applyDelay", Value("0s")}}));
    REQUIRE(off);
    CHECK(off->apply_delay.count() == 0);
    CHECK(to_value(*off).find("applyDelay") == nullptr);
    CHECK(parse_upstream_link(link({{"applyDelay", Value("1h")}}))->apply_delay == std::chrono::hours(1));

    const std::vector<std::pair<Value, std::string>> bad = {
        {Value("-5s"), "applyDelay '-5s' is negative"},
        {Value("soon"), "applyDelay 'soon': expected a duration"},
        {Value("5 parsecs"), "applyDelay '5 parsecs'"},
        {Value(int64_t{5}), "applyDelay must be a STRING duration"},
    };
    for (const auto& [value, why] : bad) {
        auto refused = parse_upstream_link(link({{"applyDelay", value}}));
        REQUIRE_FALSE(refused);
        CHECK_THAT(refused.status().message(), Catch::Contains(why));
    }
    auto unknown = parse_replica_config(link({{"applyDelai", Value("1s")}}));
    REQUIRE_FALSE(unknown);
    CHECK_THAT(unknown.status().message(), Catch::Contains("unknown key 'applyDelai'"));
}

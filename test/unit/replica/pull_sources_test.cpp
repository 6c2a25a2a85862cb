// Where a replica member pulls from (replica/pull_sources.hpp): with
// fan-out, the members before it by server id that its host sees ONLINE,
// then the upstream addresses, then the members after it; with fanOut false
// or alone, the upstream addresses only. And the option itself: fanOut is a
// BOOLEAN (anything else is refused, saying why), on when absent, written
// back only when off.
#include "replica/pull_sources.hpp"

#include <catch2/catch.hpp>

using namespace ccdr;
using namespace ccdr::plugin;
using Catch::Matchers::Contains;

namespace {

MemberInfo member(const std::string& id, const std::string& address, ccdr_database_state state, bool local) {
    return MemberInfo{id, "", address, CCDR_ROLE_PRIMARY, false, state, local, 0, 0};
}

MemberSetup setup_for(const std::string& self, bool fan_out) {
    MemberSetup s;
    s.config.remote = "foo";
    s.config.addresses = {"10.0.0.1:6000", "10.0.0.2:6000"};
    s.config.fan_out = fan_out;
    for (const char* id : {"server-4", "server-1", "server-3", "server-2", "server-5"}) {
        const std::string name(id);
        s.members.push_back(member(name, "127.0.0.1:700" + name.substr(7),
                                   name == "server-4" ? CCDR_DB_UNKNOWN : CCDR_DB_ONLINE, name == self));
    }
    return s;
}

std::vector<std::string> described(const std::vector<PullSource>& sources) {
    std::vector<std::string> out;
    for (const auto& s : sources) {
        out.push_back(s.describe());
    }
    return out;
}

}  // namespace

TEST_CASE("pull sources: members before, the upstream, members after, offline members left out",
          "[replica][fanout]") {
    CHECK(described(order_pull_sources(setup_for("server-1", true))) ==
          std::vector<std::string>{"upstream 10.0.0.1:6000", "upstream 10.0.0.2:6000",
                                   "puller server-2 at 127.0.0.1:7002", "puller server-3 at 127.0.0.1:7003",
                                   "puller server-5 at 127.0.0.1:7005"});
    CHECK(described(order_pull_sources(setup_for("server-3", true))) ==
          std::vector<std::string>{"puller server-1 at 127.0.0.1:7001", "puller server-2 at 127.0.0.1:7002",
                                   "upstream 10.0.0.1:6000", "upstream 10.0.0.2:6000",
                                   "puller server-5 at 127.0.0.1:7005"});
    // server-4 is UNKNOWN to its host: nobody tries it.
    CHECK(described(order_pull_sources(setup_for("server-5", true))) ==
          std::vector<std::string>{"puller server-1 at 127.0.0.1:7001", "puller server-2 at 127.0.0.1:7002",
                                   "puller server-3 at 127.0.0.1:7003", "upstream 10.0.0.1:6000",
                                   "upstream 10.0.0.2:6000"});
    CHECK(fan_out_applies(setup_for("server-2", true)));
}

TEST_CASE("pull sources: fan-out off, or a member alone, pulls from the upstream only", "[replica][fanout]") {
    const std::vector<std::string> upstream{"upstream 10.0.0.1:6000", "upstream 10.0.0.2:6000"};
    CHECK(described(order_pull_sources(setup_for("server-3", false))) == upstream);
    CHECK_FALSE(fan_out_applies(setup_for("server-3", false)));
    MemberSetup alone = setup_for("server-1", true);
    alone.members.resize(2);  // server-4 (UNKNOWN but listed) and server-1 (this one)
    alone.members.erase(alone.members.begin());
    CHECK(described(order_pull_sources(alone)) == upstream);
    CHECK_FALSE(fan_out_applies(alone));
}

TEST_CASE("replicaConfig fanOut: a BOOLEAN, on when absent, written back only when off", "[replica][fanout]") {
    const ValueList addresses{Value("10.0.0.1:6000")};
    auto absent = parse_replica_config(Value(ValueMap{{"remote", Value("foo")}, {"addresses", Value(addresses)}}));
    REQUIRE(absent);
    CHECK(absent->fan_out);
    CHECK(to_value(*absent).find(kFanOutKey) == nullptr);

    auto off = parse_replica_config(
        Value(ValueMap{{"remote", Value("foo")}, {"addresses", Value(addresses)}, {"fanOut", Value(false)}}));
    REQUIRE(off);
    CHECK_FALSE(off->fan_out);
    const Value back = to_value(*off);
    REQUIRE(back.find(kFanOutKey) != nullptr);
    CHECK(back.find(kFanOutKey)->as_bool() == false);
    auto again = parse_replica_config(back);
    REQUIRE(again);
    CHECK_FALSE(again->fan_out);

    for (const Value& bad : {Value("false"), Value(int64_t{0}), Value(ValueList{})}) {
        auto refused = parse_replica_config(
            Value(ValueMap{{"remote", Value("foo")}, {"addresses", Value(addresses)}, {"fanOut", bad}}));
        REQUIRE_FALSE(refused);
        CHECK(refused.status().code() == CCDR_INVALID_ARGUMENT);
        CHECK_THAT(refused.status().message(), Contains("fanOut must be a BOOLEAN"));
    }
}

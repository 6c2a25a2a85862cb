// Allocation of members to servers under mode constraints.
#include "system/allocation.hpp"

#include <catch2/catch.hpp>

using namespace refhost;

namespace {

std::vector<ServerSlot> slots(std::vector<std::string> modes) {
    std::vector<ServerSlot> out;
    for (size_t i = 0; i < modes.size(); ++i) {
        out.push_back(ServerSlot{i, modes[i], 0});
    }
    return out;
}

size_t count(const std::vector<Placement>& p, ccdr_member_role role) {
    return static_cast<size_t>(std::count_if(p.begin(), p.end(), [&](const Placement& x) { return x.role == role; }));
}

}  // namespace

TEST_CASE("topologies that fit the mode constraints", "[refhost][allocation]") {
    auto s = slots({"PRIMARY", "PRIMARY", "NONE", "SECONDARY", "SECONDARY"});
    auto a = allocate(s, 3, 2);
    REQUIRE(a.is_ok());
    CHECK(count(*a, CCDR_ROLE_PRIMARY) == 3);
    CHECK(count(*a, CCDR_ROLE_SECONDARY) == 2);
    for (const auto& p : *a) {
        const std::string& mode = s[p.server].mode_constraint;
        CHECK(mode != (p.role == CCDR_ROLE_PRIMARY ? "SECONDARY" : "PRIMARY"));
    }
    auto b = allocate(s, 2, 3);
    REQUIRE(b.is_ok());
    CHECK(count(*b, CCDR_ROLE_SECONDARY) == 3);
    auto one = allocate(slots({"NONE"}), 1, 0);
    REQUIRE(one.is_ok());
    CHECK(one->at(0) == Placement{0, CCDR_ROLE_PRIMARY});
}

TEST_CASE("topologies that do not fit are refused with the reason", "[refhost][allocation]") {
    auto s = slots({"PRIMARY", "NONE", "SECONDARY"});
    auto p = allocate(s, 3, 0);
    REQUIRE_FALSE(p.is_ok());
    CHECK(p.status().message() == "Cannot allocate 3 primaries: only 2 servers allow the primary role");
    auto q = allocate(s, 0, 3);
    REQUIRE_FALSE(q.is_ok());
    CHECK(q.status().message() == "Cannot allocate 3 secondaries: only 2 servers allow the secondary role");
    auto both = allocate(s, 2, 2);
    REQUIRE_FALSE(both.is_ok());
    CHECK(both.status().message().find("Cannot allocate 2 primaries and 2 secondaries") == 0);
    auto none = allocate(s, 0, 0);
    REQUIRE_FALSE(none.is_ok());
    CHECK(none.status().code() == CCDR_INVALID_ARGUMENT);
    auto single = allocate(slots({"SECONDARY"}), 1, 0);
    CHECK(single.status().message() == "Cannot allocate 1 primary: only 0 servers allow the primary role");
}

TEST_CASE("existing members keep their place and role", "[refhost][allocation]") {
    auto s = slots({"NONE", "NONE", "NONE", "NONE", "NONE", "NONE", "NONE"});
    std::vector<Placement> current = {{4, CCDR_ROLE_PRIMARY}, {5, CCDR_ROLE_PRIMARY}, {6, CCDR_ROLE_PRIMARY},
                                      {0, CCDR_ROLE_SECONDARY}, {1, CCDR_ROLE_SECONDARY}};
    auto a = allocate(s, 3, 4, current);
    REQUIRE(a.is_ok());
    for (const auto& c : current) {
        CHECK(std::find(a->begin(), a->end(), c) != a->end());
    }
    CHECK(count(*a, CCDR_ROLE_SECONDARY) == 4);
}

TEST_CASE("new members go to the least loaded servers", "[refhost][allocation]") {
    auto s = slots({"NONE", "NONE", "NONE"});
    s[0].load = 3;
    s[1].load = 0;
    s[2].load = 1;
    auto a = allocate(s, 1, 0);
    REQUIRE(a.is_ok());
    CHECK(a->at(0).server == 1);
}

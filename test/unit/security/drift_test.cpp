// The pieces of the drift check (internal.dbms.compareSecurity): the
// comparison of two clusters' users, the SECURITY_* messages and their
// refusal of forged counts, and the ABI 1.2 list_users call, which an older
// host's vtable does not have.
#include "procedures/security_compare.hpp"
#include "protocol/messages.hpp"
#include "support/memory_host.hpp"

#include <catch2/catch.hpp>

using namespace ccdr;
using namespace ccdr::plugin;
using namespace ccdr::protocol;

TEST_CASE("users of two clusters side by side: present, missing, roles differ", "[security][drift]") {
    std::vector<UserInfo> here = {{"app", {"reader", "PUBLIC"}}, {"ops", {"admin", "PUBLIC"}}, {"neo4j", {"admin"}}};
    std::vector<UserInfo> there = {{"app", {"PUBLIC", "editor"}}, {"neo4j", {"admin", "admin"}}, {"etl", {"PUBLIC"}}};
    auto rows = compare_users(here, there);
    REQUIRE(rows.size() == 4);
    CHECK(rows[0].user == "app");
    CHECK(rows[0].verdict == std::string(kVerdictRolesDiffer));
    CHECK(rows[0].roles_here == std::vector<std::string>{"PUBLIC", "reader"});
    CHECK(rows[0].roles_there == std::vector<std::string>{"PUBLIC", "editor"});
    CHECK(rows[1].user == "etl");
    CHECK(rows[1].verdict == std::string(kVerdictMissingHere));
    CHECK_FALSE(rows[1].present_here);
    CHECK(rows[1].present_there);
    CHECK(rows[2].user == "neo4j");
    CHECK(rows[2].verdict == std::string(kVerdictSame));  // roles compare as sets
    CHECK(rows[3].user == "ops");
    CHECK(rows[3].verdict == std::string(kVerdictMissingThere));
    CHECK(count_differences(rows) == 3);
    CHECK(count_differences(compare_users(here, here)) == 0);
    CHECK(compare_users({}, {}).empty());
}

TEST_CASE("SECURITY_SNAPSHOT round-trips and refuses counts the bytes cannot hold", "[security][protocol]") {
    SecuritySnapshot s{"cluster-b", {{"app", {"PUBLIC", "reader"}}, {"x", {}}}};
    auto bytes = encode_message(s);
    auto back = decode_message(MessageType::kSecuritySnapshot, bytes);
    REQUIRE(back);
    const auto& m = std::get<SecuritySnapshot>(*back);
    CHECK(m.cluster_id == "cluster-b");
    CHECK(m.users == s.users);

    // The user count, forged to 2^32-1, is refused before any allocation.
    std::vector<uint8_t> forged = bytes;
    size_t count_at = 4 + s.cluster_id.size();
    for (size_t i = 0; i < 4; ++i) {
        forged[count_at + i] = 0xff;
    }
    auto bad = decode_message_as<SecuritySnapshot>(forged);
    REQUIRE_FALSE(bad);
    CHECK_THAT(bad.status().message(), Catch::Contains("users") && Catch::Contains("4294967295"));
    // A role count forged the same way.
    std::vector<uint8_t> roles = bytes;
    size_t role_count_at = count_at + 4 + 4 + 3;  // users count, name length, "app"
    roles[role_count_at + 3] = 0x7f;
    CHECK_FALSE(decode_message_as<SecuritySnapshot>(roles));
    // Truncated: refused, naming what was being read.
    std::vector<uint8_t> cut(bytes.begin(), bytes.end() - 3);
    CHECK_FALSE(decode_message_as<SecuritySnapshot>(cut));
    auto request = decode_message(MessageType::kSecurityRequest, encode_message(SecurityRequest{"foo"}));
    REQUIRE(request);
    CHECK(std::get<SecurityRequest>(*request).name == "foo");
}

TEST_CASE("ABI 1.2: list_users through the vtable, a 1.1 vtable is never called", "[security][abi]") {
    CHECK(CCDR_ABI_VERSION_MINOR >= 2);
    const ccdr_host_api* api = host_api();
    CHECK(CCDR_HAS_FIELD(api, ccdr_host_api, list_users));
    test::MemoryHost host("s1", {});
    host.set_users({{"app", {"PUBLIC", "reader"}}, {"neo4j", {"PUBLIC", "admin"}}});
    HostHandle handle(api, host.ctx());
    REQUIRE(handle.has_list_users());
    auto users = handle.list_users();
    REQUIRE(users);
    REQUIRE(users->size() == 2);
    CHECK((*users)[0].name == "app");
    CHECK((*users)[0].roles == std::vector<std::string>{"PUBLIC", "reader"});

    SECTION("a 1.1-sized vtable: CCDR_UNSUPPORTED naming both versions") {
        ccdr_host_api old = *api;
        old.hdr.struct_size = static_cast<uint32_t>(offsetof(ccdr_host_api, list_users));
        old.hdr.minor = 1;
        HostHandle old_handle(&old, host.ctx());
        CHECK_FALSE(old_handle.has_list_users());
        auto r = old_handle.list_users();
        REQUIRE_FALSE(r);
        CHECK(r.status().code() == CCDR_UNSUPPORTED);
        CHECK_THAT(r.status().message(), Catch::Contains("ABI 1.1") && Catch::Contains("needs 1.2"));
    }
    SECTION("a 1.2-sized vtable with a NULL function is not called either") {
        ccdr_host_api holes = *api;
        holes.list_users = nullptr;
        CHECK_FALSE(HostHandle(&holes, host.ctx()).has_list_users());
    }
}

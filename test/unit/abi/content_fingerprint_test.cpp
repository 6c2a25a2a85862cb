// The ABI 1.1 content_fingerprint, which internal.dbms.verifyReplicaDatabase
// compares: the MemoryHost's through the C vtable, and the size rules that keep
// an older host's vtable from being called. (The messages that carry
// fingerprints: unit/protocol/fingerprint_test.cpp.)
#include "support/memory_host.hpp"

#include <ccdr/host_handle.hpp>

#include <catch2/catch.hpp>

#include <cstddef>

using namespace ccdr;

TEST_CASE("ABI 1.1: content_fingerprint through the vtable covers a tx and changes with content", "[fingerprint][abi]") {
    CHECK(CCDR_ABI_VERSION_MINOR >= 1);  // 1.1 added it; later minors keep it
    const ccdr_host_api* api = host_api();
    CHECK(api->hdr.minor == CCDR_ABI_VERSION_MINOR);
    CHECK(CCDR_HAS_FIELD(api, ccdr_host_api, content_fingerprint));
    CHECK(api->hdr.struct_size == sizeof(ccdr_host_api));

    test::MemoryHost host("s1", {});
    REQUIRE(host.create_database({"db", CCDR_KIND_STANDARD, 1, 0, "", 0, {}}));
    HostHandle handle(api, host.ctx());
    REQUIRE(handle.has_content_fingerprint());
    auto empty = handle.content_fingerprint("db", "");
    REQUIRE(empty);
    CHECK(empty->tx_id == 0);
    CHECK(empty->algorithm == "memory-payloads-fnv1a64-v1");
    REQUIRE(host.commit("db", {1, 2, 3}));
    auto one = handle.content_fingerprint("db", "s1");
    REQUIRE(one);
    CHECK(one->tx_id == 1);
    CHECK(one->fingerprint != empty->fingerprint);
    CHECK(handle.content_fingerprint("db", "")->fingerprint == one->fingerprint);  // deterministic
    host.tamper_content("db");
    CHECK(handle.content_fingerprint("db", "")->fingerprint != one->fingerprint);

    CHECK(handle.content_fingerprint("nope", "").status().code() == CCDR_DATABASE_NOT_FOUND);
    CHECK(handle.content_fingerprint("db", "other-server").status().code() == CCDR_DATABASE_NOT_FOUND);

    SECTION("a 1.0-sized vtable is never called: CCDR_UNSUPPORTED naming the version") {
        ccdr_host_api old = *api;
        old.hdr.struct_size = static_cast<uint32_t>(offsetof(ccdr_host_api, content_fingerprint));
        old.hdr.minor = 0;
        HostHandle old_handle(&old, host.ctx());
        CHECK_FALSE(old_handle.has_content_fingerprint());
        auto r = old_handle.content_fingerprint("db", "");
        REQUIRE_FALSE(r);
        CHECK(r.status().code() == CCDR_UNSUPPORTED);
        CHECK_THAT(r.status().message(), Catch::Contains("ABI 1.0"));
    }
    SECTION("a 1.1-sized vtable with a NULL function is not called either") {
        ccdr_host_api holes = *api;
        holes.content_fingerprint = nullptr;
        CHECK_FALSE(HostHandle(&holes, host.ctx()).has_content_fingerprint());
    }
}

// The pieces of internal.dbms.verifyReplicaDatabase on their own: the
// FINGERPRINT_REQUEST / FINGERPRINT messages, and the ABI 1.1
// content_fingerprint of the MemoryHost through the C vtable (size rules).
#include "protocol/messages.hpp"
#include "support/memory_host.hpp"

#include <catch2/catch.hpp>

#include <cstddef>

using namespace ccdr;
using namespace ccdr::protocol;

TEST_CASE("FINGERPRINT_REQUEST and FINGERPRINT round-trip and refuse trailing or missing bytes", "[fingerprint]") {
    FingerprintRequest request{"foo", "0123456789abcdef", 7};
    auto bytes = encode_message(request);
    auto back = decode_message_as<FingerprintRequest>(bytes);
    REQUIRE(back);
    CHECK(back->name == "foo");
    CHECK(back->store_id == "0123456789abcdef");
    CHECK(back->epoch == 7);

    FingerprintReply reply{"foo", 4711, "refhost-graph-sha256-v1", std::string(64, 'a')};
    bytes = encode_message(reply);
    auto decoded = decode_message(MessageType::kFingerprint, bytes);
    REQUIRE(decoded);
    const auto& r = std::get<FingerprintReply>(decoded.value());
    CHECK(r.tx_id == 4711);
    CHECK(r.algorithm == "refhost-graph-sha256-v1");
    CHECK(r.fingerprint == std::string(64, 'a'));

    auto longer = bytes;
    longer.push_back(0);
    CHECK_FALSE(decode_message_as<FingerprintReply>(longer));
    auto shorter = bytes;
    shorter.pop_back();
    auto refused = decode_message_as<FingerprintReply>(shorter);
    REQUIRE_FALSE(refused);
    CHECK(refused.status().code() == CCDR_CORRUPT);
    CHECK(message_type_name(MessageType::kFingerprintRequest) == "FINGERPRINT_REQUEST");
    CHECK(is_known_message_type(18));
    CHECK_FALSE(is_known_message_type(kLastMessageType + 1));
}

TEST_CASE("the refusal code 'unsupported' decodes; the next one does not", "[fingerprint]") {
    auto ok = decode_message_as<Refused>(encode_message(Refused{RefusalCode::kUnsupported, "no fingerprints"}));
    REQUIRE(ok);
    CHECK(ok->code == RefusalCode::kUnsupported);
    std::vector<uint8_t> bad = encode_message(Refused{RefusalCode::kUnsupported, "x"});
    bad[0] = 12;
    CHECK_FALSE(decode_message_as<Refused>(bad));
}

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

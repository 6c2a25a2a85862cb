// The messages of internal.dbms.verifyReplicaDatabase: FINGERPRINT_REQUEST
// and FINGERPRINT, and the REFUSED code that answers a host without
// fingerprints. (The ABI 1.1 content_fingerprint itself: unit/abi/.)
#include "protocol/messages.hpp"

#include <catch2/catch.hpp>

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

TEST_CASE("the refusal code 'unsupported' decodes, and so does the last one, the next one does not",
          "[fingerprint]") {
    auto ok = decode_message_as<Refused>(encode_message(Refused{RefusalCode::kUnsupported, "no fingerprints"}));
    REQUIRE(ok);
    CHECK(ok->code == RefusalCode::kUnsupported);
    std::vector<uint8_t> bad = encode_message(Refused{RefusalCode::kUnsupported, "x"});
    bad[0] = static_cast<uint8_t>(RefusalCode::kPluginVersion);  // 12, since protocol 2
    CHECK(decode_message_as<Refused>(bad));
    bad[0] = static_cast<uint8_t>(RefusalCode::kPluginVersion) + 1;
    CHECK_FALSE(decode_message_as<Refused>(bad));
}

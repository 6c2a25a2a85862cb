// Protocol 8 (fan-out and log holds): ACK's trailing hold_tx (a puller's
// lowest follower) and HOLD_RELEASE's trailing replica_server_id (one
// member's own hold). Both are absent from a message of an older peer,
// which decodes as before; present, they round-trip, and their bytes follow
// the older layout.
#include "protocol/frame.hpp"
#include "protocol/messages.hpp"
#include "support/hex_bytes.hpp"

#include <catch2/catch.hpp>

#include <cstdio>
#include <string>

using namespace ccdr;
using namespace ccdr::protocol;
using ccdr::test::hex;

TEST_CASE("ACK of protocol 8: hold_tx is trailing, absent in an older peer's ACK", "[protocol][log_hold]") {
    // What a replica of protocol 7 or older sends: 8 bytes, no hold_tx.
    auto old = decode_message_as<Ack>(encode_message(Ack{42, std::nullopt}));
    REQUIRE(old);
    CHECK(old->last_applied_tx == 42);
    CHECK_FALSE(old->hold_tx);
    CHECK(encode_message(Ack{42, std::nullopt}).size() == 8);

    const auto bytes = encode_message(Ack{42, 7});
    CHECK(hex(bytes) == "2a00000000000000" "0700000000000000");
    auto decoded = decode_message(MessageType::kAck, bytes);
    REQUIRE(decoded);
    CHECK(std::get<Ack>(decoded.value()).last_applied_tx == 42);
    CHECK(std::get<Ack>(decoded.value()).hold_tx == 7);

    // hold_tx at last_applied_tx says nothing new, past it is malformed.
    CHECK(decode_message_as<Ack>(encode_message(Ack{42, 42})));
    auto past = decode_message_as<Ack>(encode_message(Ack{42, 43}));
    REQUIRE_FALSE(past);
    CHECK(past.status().message().find("hold_tx") != std::string::npos);
    // A cut trailing field is malformed, not absent.
    auto cut = bytes;
    cut.pop_back();
    CHECK_FALSE(decode_message_as<Ack>(cut));
    auto longer = bytes;
    longer.push_back(0);
    CHECK_FALSE(decode_message_as<Ack>(longer));
}

TEST_CASE("HOLD_RELEASE of protocol 8: replica_server_id is trailing, absent means every member",
          "[protocol][log_hold]") {
    auto every = decode_message_as<HoldRelease>(encode_message(HoldRelease{"foo", "r", std::nullopt}));
    REQUIRE(every);
    CHECK_FALSE(every->replica_server_id);

    const auto bytes = encode_message(HoldRelease{"foo", "r", std::string("b2")});
    CHECK(hex(bytes) == "03000000666f6f" "0100000072" "020000006232");
    auto one = decode_message_as<HoldRelease>(bytes);
    REQUIRE(one);
    CHECK(one->replica_server_id == "b2");

    // An empty server id would read as "every member" to nobody: refused.
    CHECK_FALSE(decode_message_as<HoldRelease>(encode_message(HoldRelease{"foo", "r", std::string()})));
    auto cut = bytes;
    cut.pop_back();
    CHECK_FALSE(decode_message_as<HoldRelease>(cut));
}

TEST_CASE("protocol 8 is offered and names the hold cover", "[protocol][log_hold]") {
    CHECK(kHoldCoverProtocol == 8);
    CHECK(kMaxProtocolVersion >= kHoldCoverProtocol);
    CHECK(kHoldCoverProtocol > kCompactFrameProtocol);
    // A replica offering up to 7 gets 7 from an upstream of 8 (HELLO's rule:
    // the highest both speak), and so never sends either field.
    Hello hello{1, 7, "c", "s", "0.9.0"};
    CHECK(std::min(hello.max_version, kMaxProtocolVersion) == 7);
}

// The messages of the log held for replicas (protocol 3): HOLD_STATUS,
// HOLD_RELEASE and HOLD_RELEASED, their round trip, and what a malformed one
// gets (a byte more or less is refused).
#include "protocol/frame.hpp"
#include "protocol/messages.hpp"
#include "support/hex_bytes.hpp"

#include <catch2/catch.hpp>

#include <cstdio>
#include <string>

using namespace ccdr;
using namespace ccdr::protocol;
using ccdr::test::hex;

namespace {

template <class M>
M round_trip(const M& m) {
    auto bytes = encode_message(m);
    auto decoded = decode_message(M::kType, bytes);
    REQUIRE(decoded);
    auto longer = bytes;
    longer.push_back(0);
    CHECK_FALSE(decode_message_as<M>(longer));
    auto shorter = bytes;
    shorter.pop_back();
    auto cut = decode_message_as<M>(shorter);
    REQUIRE_FALSE(cut);
    CHECK(cut.status().code() == CCDR_CORRUPT);
    return std::get<M>(decoded.value());
}

}  // namespace

TEST_CASE("HOLD_STATUS, HOLD_RELEASE and HOLD_RELEASED round-trip (protocol 3)", "[protocol][log_hold]") {
    auto s = round_trip(HoldStatus{-1, 0, 0, 0});
    CHECK(s.catch_up_window_ms == -1);
    s = round_trip(HoldStatus{86'400'000, 42, 10ull << 30, 7 * 86'400'000LL});
    CHECK(s.catch_up_window_ms == 86'400'000);
    CHECK(s.held_from_tx == 42);
    CHECK(s.max_bytes == 10ull << 30);
    CHECK(s.max_age_ms == 7 * 86'400'000LL);
    CHECK(encode_message(HoldStatus{}).size() == 32);

    auto r = round_trip(HoldRelease{"foo", "foo-replica", std::nullopt});
    CHECK(r.name == "foo");
    CHECK(r.replica_database == "foo-replica");
    CHECK(round_trip(HoldReleased{3}).released == 3);

    CHECK(static_cast<int>(MessageType::kHoldStatus) == 27);
    CHECK(static_cast<int>(MessageType::kHoldReleased) == 29);
    CHECK(kLastMessageType >= 29);  // continuous verification's 30 follows
    CHECK(message_type_name(MessageType::kHoldRelease) == "HOLD_RELEASE");
    CHECK(kMaxProtocolVersion >= kLogHoldProtocol);  // protocol 4 (the LZ4 stream) keeps them
}

TEST_CASE("HOLD_STATUS, HOLD_RELEASE, HOLD_RELEASED: the documented byte layout", "[protocol][log_hold]") {
    CHECK(hex(encode_message(HoldStatus{-1, 2, 3, 4})) ==
          "ffffffffffffffff" "0200000000000000" "0300000000000000" "0400000000000000");
    CHECK(hex(encode_message(HoldRelease{"foo", "r", std::nullopt})) == "03000000666f6f" "0100000072");
    CHECK(hex(encode_message(HoldReleased{3})) == "03000000");
}

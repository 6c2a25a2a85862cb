// The byte layout of every session message, pinned: a change of field order,
// width or encoding in messages.hpp fails here before it reaches a peer that
// still speaks the old layout (docs/protocol.md §4 lists the fields).
#include "protocol/messages.hpp"
#include "support/hex_bytes.hpp"

#include <catch2/catch.hpp>

#include <cstdio>
#include <string>

using namespace ccdr::protocol;
using ccdr::test::hex;

namespace {

// Encodes `m`, compares with `expected` and decodes it back to the same bytes.
template <typename M>
void check_layout(const M& m, const std::string& expected) {
    const auto bytes = encode_message(m);
    INFO(message_type_name(M::kType));
    CHECK(hex(bytes) == expected);
    auto back = decode_message_as<M>(bytes);
    REQUIRE(back);
    CHECK(hex(encode_message(back.value())) == expected);
}

const UpstreamPosition kPosition{0x0102, -2, 0x0a0b};

}  // namespace

TEST_CASE("session messages: each one's bytes are the documented layout", "[protocol][layout]") {
    // Protocol 1 (max_version 1, a 0.1 release): no plugin version.
    check_layout(Hello{1, 1, "A", "s1", ""}, "010001000100000041020000007331");
    check_layout(HelloOk{1, "B", "s2", ""}, "01000100000042020000007332");
    // Protocol 2: the same, then the plugin release version.
    check_layout(Hello{1, 2, "A", "s1", "0.2.0"}, "010002000100000041020000007331" "05000000302e322e30");
    check_layout(HelloOk{2, "B", "s2", "1.0.0"}, "02000100000042020000007332" "05000000312e302e30");
    check_layout(DatabaseInfoRequest{"foo"}, "03000000666f6f");
    check_layout(DatabaseInfoReply{"foo", true, false, 1, "id", 3, 4, -5, 2, "no"},
                 "03000000666f6f01000102000000696403000000000000000400000000000000fbffffffffffffff"
                 "0200000000000000020000006e6f");
    check_layout(Subscribe{"foo", "id", 3, 7, "r"},
                 "03000000666f6f020000006964030000000000000007000000000000000100000072");
    check_layout(Subscribed{7, kPosition},
                 "07000000000000000201000000000000feffffffffffffff0b0a000000000000");
    check_layout(Heartbeat{kPosition}, "0201000000000000feffffffffffffff0b0a000000000000");
    check_layout(Ack{0x0fedcba987654321, std::nullopt}, "21436587a9cbed0f");
    check_layout(LogPruned{1, 2, 3}, "010000000000000002000000000000000300000000000000");
    check_layout(SnapshotRequest{"foo", "id", 3, 9, 64, "r"},
                 "03000000666f6f020000006964030000000000000009000000000000004000000000000000010000"
                 "0072");
    check_layout(SnapshotBegin{9, 8, -1, 100, 64, 32},
                 "09000000000000000800000000000000ffffffffffffffff64000000000000004000000000000000"
                 "20000000");
    const uint8_t data[] = {0xde, 0xad};
    check_layout(SnapshotChunk{9, 64, 0x55, data}, "090000000000000040000000000000005500000000000000dead");
    check_layout(SnapshotAck{9, 96}, "09000000000000006000000000000000");
    check_layout(SnapshotEnd{9, 100, 0x77}, "090000000000000064000000000000007700000000000000");
    check_layout(Refused{RefusalCode::kNotAllowed, "no"}, "0200020000006e6f");
    check_layout(Refused{RefusalCode::kPluginVersion, "no"}, "0c00020000006e6f");
    check_layout(FingerprintRequest{"foo", "id", 3}, "03000000666f6f0200000069640300000000000000");
    check_layout(FingerprintReply{"foo", 12, "xxh3", "ab"},
                 "03000000666f6f0c000000000000000400000078786833020000006162");
    check_layout(SecurityRequest{"foo"}, "03000000666f6f");
    check_layout(SecuritySnapshot{"C", {{"ann", {"PUBLIC", "reader"}}, {"bo", {}}}},
                 "01000000430200000003000000616e6e02000000060000005055424c494306000000726561646572"
                 "02000000626f00000000");
}

TEST_CASE("HELLO and HELLO_OK: the plugin version is on the wire from protocol 2 on, and checked",
          "[protocol][layout][version]") {
    // A HELLO of protocol 1 decodes with no version; one of protocol 2 with one.
    auto v1 = decode_message_as<Hello>(encode_message(Hello{1, 1, "A", "s1", "ignored"}));
    REQUIRE(v1);
    CHECK(v1->plugin_version.empty());
    auto v2 = decode_message_as<Hello>(encode_message(Hello{1, 2, "A", "s1", "0.2.0"}));
    REQUIRE(v2);
    CHECK(v2->plugin_version == "0.2.0");

    // A protocol-1 HELLO followed by a version field is refused as a
    // protocol-1 decoder refuses it: trailing bytes.
    auto extra = encode_message(Hello{1, 2, "A", "s1", "0.2.0"});
    extra[2] = 1;  // max_version 1
    auto trailing = decode_message_as<Hello>(extra);
    REQUIRE_FALSE(trailing);
    CHECK_THAT(trailing.status().message(), Catch::Contains("malformed HELLO"));

    // A version that is not MAJOR.MINOR.PATCH is refused, naming the field.
    for (const char* bad : {"", "1", "1.2", "1.2.x", "v1.2.3", "1.2.3.4", "1..3", "1.2.3-"}) {
        INFO(bad);
        auto h = decode_message_as<Hello>(encode_message(Hello{1, 2, "A", "s1", bad}));
        REQUIRE_FALSE(h);
        CHECK_THAT(h.status().message(), Catch::Contains("plugin_version"));
        auto ok = decode_message_as<HelloOk>(encode_message(HelloOk{2, "B", "s2", bad}));
        REQUIRE_FALSE(ok);
        CHECK_THAT(ok.status().message(), Catch::Contains("plugin_version"));
    }
    CHECK_FALSE(decode_message_as<HelloOk>(encode_message(HelloOk{0, "B", "s2", ""})));
    // Code 12 is known; 13 is not.
    CHECK(decode_message_as<Refused>(encode_message(Refused{RefusalCode::kPluginVersion, "x"})));
    CHECK_FALSE(decode_message_as<Refused>(encode_message(Refused{static_cast<RefusalCode>(13), "x"})));
}

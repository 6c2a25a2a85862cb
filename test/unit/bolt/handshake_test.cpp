// Handshake: the legacy 4-byte reply, the manifest, no common version.
#include "bolt/handshake.hpp"

#include <catch2/catch.hpp>

using namespace refhost::bolt;

namespace {

std::vector<uint8_t> b(std::initializer_list<int> bytes) {
    std::vector<uint8_t> out;
    for (int x : bytes) {
        out.push_back(static_cast<uint8_t>(x));
    }
    return out;
}

}  // namespace

TEST_CASE("without the manifest entry the server answers with one version", "[handshake]") {
    // 5.8..5.0, 4.4..4.2, 3.0: the driver's offer without the manifest entry.
    auto r = answer_handshake(b({0x60, 0x60, 0xB0, 0x17, 0x00, 0x08, 0x08, 0x05, 0x00, 0x02, 0x04, 0x04, 0x00, 0x00,
                                 0x00, 0x03, 0x00, 0x00, 0x00, 0x00}));
    REQUIRE(r.ok());
    CHECK(r->kind == HandshakeReply::Kind::Version);
    CHECK(r->version == BoltVersion{5, 8});
    CHECK(r->bytes == b({0x00, 0x00, 0x08, 0x05}));

    // Only 5.4 offered.
    auto r54 = answer_handshake(b({0x60, 0x60, 0xB0, 0x17, 0x00, 0x00, 0x04, 0x05, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}));
    REQUIRE(r54.ok());
    CHECK(r54->bytes == b({0x00, 0x00, 0x04, 0x05}));

    // 5.5..5.5 alone: never negotiated; 5.6..5.5 gives 5.6.
    auto r55 = answer_handshake(b({0x60, 0x60, 0xB0, 0x17, 0x00, 0x00, 0x05, 0x05, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}));
    REQUIRE(r55.ok());
    CHECK(r55->kind == HandshakeReply::Kind::NoVersion);
    auto r56 = answer_handshake(b({0x60, 0x60, 0xB0, 0x17, 0x00, 0x01, 0x06, 0x05, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}));
    REQUIRE(r56.ok());
    CHECK(r56->version == BoltVersion{5, 6});

    // 5.0 exactly (in-HELLO authentication).
    auto r50 = answer_handshake(b({0x60, 0x60, 0xB0, 0x17, 0x00, 0x00, 0x00, 0x05, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}));
    REQUIRE(r50.ok());
    CHECK(r50->version == BoltVersion{5, 0});

    // The client's order of preference wins: 5.2 before 5.8.
    auto pref = answer_handshake(
        b({0x60, 0x60, 0xB0, 0x17, 0x00, 0x00, 0x02, 0x05, 0x00, 0x00, 0x08, 0x05, 0, 0, 0, 0, 0, 0, 0, 0}));
    REQUIRE(pref.ok());
    CHECK(pref->version == BoltVersion{5, 2});
}

TEST_CASE("the manifest entry gets the manifest, sent as one block", "[handshake]") {
    // The exact 20 bytes neo4j-driver 6.3.0 sends.
    auto r = answer_handshake(b({0x60, 0x60, 0xB0, 0x17, 0x00, 0x00, 0x01, 0xFF, 0x00, 0x08, 0x08, 0x05, 0x00, 0x02,
                                 0x04, 0x04, 0x00, 0x00, 0x00, 0x03}));
    REQUIRE(r.ok());
    CHECK(r->kind == HandshakeReply::Kind::Manifest);
    CHECK(r->bytes == b({0x00, 0x00, 0x01, 0xFF, 0x02, 0x00, 0x02, 0x08, 0x05, 0x00, 0x04, 0x04, 0x05, 0x00}));

    auto choice = read_manifest_choice(b({0x00, 0x00, 0x08, 0x05, 0x00, 0xB0}));
    REQUIRE(choice.ok());
    REQUIRE(choice->has_value());
    CHECK((*choice)->version == BoltVersion{5, 8});
    CHECK((*choice)->consumed == 5);

    auto partial = read_manifest_choice(b({0x00, 0x00, 0x08}));
    REQUIRE(partial.ok());
    CHECK_FALSE(partial->has_value());
    auto partial_varint = read_manifest_choice(b({0x00, 0x00, 0x08, 0x05, 0x80}));
    REQUIRE(partial_varint.ok());
    CHECK_FALSE(partial_varint->has_value());

    auto bad = read_manifest_choice(b({0x00, 0x00, 0x05, 0x05, 0x00}));
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.error().message.find("5.5") != std::string::npos);
}

TEST_CASE("no common version is answered with zeros, a wrong magic is an error", "[handshake]") {
    auto r = answer_handshake(b({0x60, 0x60, 0xB0, 0x17, 0x00, 0x02, 0x04, 0x04, 0x00, 0x00, 0x00, 0x03, 0, 0, 0, 0,
                                 0, 0, 0, 0}));
    REQUIRE(r.ok());
    CHECK(r->kind == HandshakeReply::Kind::NoVersion);
    CHECK(r->bytes == b({0, 0, 0, 0}));

    auto http = answer_handshake(b({'G', 'E', 'T', ' ', '/', ' ', 'H', 'T', 'T', 'P', '/', '1', '.', '1', '\r', '\n',
                                    'H', 'o', 's', 't'}));
    REQUIRE_FALSE(http.ok());
    CHECK(http.error().message.find("magic") != std::string::npos);
    CHECK_FALSE(answer_handshake(b({0x60, 0x60, 0xB0, 0x17})).ok());
}

TEST_CASE("the client reads both answers", "[handshake]") {
    auto offer = client_handshake(true);
    REQUIRE(offer.size() == 20);
    auto server_side = answer_handshake(offer);
    REQUIRE(server_side.ok());
    auto client_side = read_server_answer(server_side->bytes);
    REQUIRE(client_side.ok());
    REQUIRE(client_side->has_value());
    CHECK((*client_side)->version == BoltVersion{5, 8});
    CHECK((*client_side)->reply == b({0x00, 0x00, 0x08, 0x05, 0x00}));
    CHECK((*client_side)->consumed == server_side->bytes.size());
    auto back = read_manifest_choice((*client_side)->reply);
    REQUIRE(back.ok());
    CHECK((*back)->version == BoltVersion{5, 8});

    auto legacy = answer_handshake(client_handshake(false, {5, 4}));
    REQUIRE(legacy.ok());
    auto v = read_server_answer(legacy->bytes, {5, 4});
    REQUIRE(v.ok());
    CHECK((*v)->version == BoltVersion{5, 4});
    CHECK((*v)->reply.empty());

    auto none = read_server_answer(b({0, 0, 0, 0}));
    REQUIRE_FALSE(none.ok());
    CHECK(none.error().message.find("none of the offered versions") != std::string::npos);

    auto partial = read_server_answer(b({0x00, 0x00, 0x01, 0xFF, 0x02, 0x00}));
    REQUIRE(partial.ok());
    CHECK_FALSE(partial->has_value());
}

TEST_CASE("varints", "[handshake]") {
    for (uint64_t v : {uint64_t{0}, uint64_t{1}, uint64_t{127}, uint64_t{128}, uint64_t{300}, uint64_t{1} << 40,
                       ~uint64_t{0}}) {
        std::vector<uint8_t> out;
        append_varint(out, v);
        auto r = read_varint(out);
        REQUIRE(r.ok());
        REQUIRE(r->has_value());
        CHECK((*r)->value == v);
        CHECK((*r)->size == out.size());
    }
    std::vector<uint8_t> too_long(11, 0x80);
    CHECK_FALSE(read_varint(too_long).ok());
}

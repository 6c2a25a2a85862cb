// PackStream: round trips of every value type, exact markers, and malformed
// input refused with a reason.
#include "bolt/packstream.hpp"
#include "support/bolt_fakes.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

using namespace refhost;
using namespace refhost::bolt;

namespace {

Value round_trip(const Value& v) {
    auto bytes = encode_value(v);
    auto back = decode_value(bytes);
    INFO("decode error: " << (back.ok() ? std::string() : back.error().message));
    REQUIRE(back.ok());
    return back.value();
}

std::vector<uint8_t> b(std::initializer_list<int> bytes) {
    std::vector<uint8_t> out;
    for (int x : bytes) {
        out.push_back(static_cast<uint8_t>(x));
    }
    return out;
}

std::string refusal(const std::vector<uint8_t>& bytes, DecodeLimits limits = {}) {
    auto v = decode_value(bytes, limits);
    REQUIRE_FALSE(v.ok());
    CHECK(v.error().code == "Neo.ClientError.Request.Invalid");
    return v.error().message;
}

}  // namespace

TEST_CASE("integers use the smallest form and round-trip at every boundary", "[packstream]") {
    CHECK(encode_value(int64_t{1}) == b({0x01}));
    CHECK(encode_value(int64_t{-16}) == b({0xF0}));
    CHECK(encode_value(int64_t{127}) == b({0x7F}));
    CHECK(encode_value(int64_t{-17}) == b({0xC8, 0xEF}));
    CHECK(encode_value(int64_t{128}) == b({0xC9, 0x00, 0x80}));
    CHECK(encode_value(int64_t{-129}) == b({0xC9, 0xFF, 0x7F}));
    CHECK(encode_value(int64_t{32768}) == b({0xCA, 0x00, 0x00, 0x80, 0x00}));
    CHECK(encode_value(int64_t{2147483648LL}).size() == 9);
    for (int64_t v : {int64_t{0}, int64_t{-16}, int64_t{-17}, int64_t{127}, int64_t{128}, int64_t{-128},
                      int64_t{-129}, int64_t{32767}, int64_t{32768}, int64_t{-32768}, int64_t{-32769},
                      int64_t{INT32_MAX}, int64_t{INT32_MIN}, int64_t{INT32_MAX} + 1, int64_t{INT32_MIN} - 1,
                      std::numeric_limits<int64_t>::max(), std::numeric_limits<int64_t>::min()}) {
        CHECK(round_trip(v) == Value(v));
    }
    // Non-minimal encodings are accepted: 1 as int64.
    auto one = decode_value(b({0xCB, 0, 0, 0, 0, 0, 0, 0, 1}));
    REQUIRE(one.ok());
    CHECK(one.value() == Value(int64_t{1}));
}

TEST_CASE("scalars, strings, bytes, lists and maps round-trip", "[packstream]") {
    CHECK(encode_value(Value()) == b({0xC0}));
    CHECK(encode_value(true) == b({0xC3}));
    CHECK(encode_value(false) == b({0xC2}));
    CHECK(encode_value(1.5) == b({0xC1, 0x3F, 0xF8, 0, 0, 0, 0, 0, 0}));
    CHECK(round_trip(Value()).is_null());
    CHECK(round_trip(true) == Value(true));
    CHECK(round_trip(-0.0).as<double>() == 0.0);
    CHECK(std::signbit(round_trip(-0.0).as<double>()));
    CHECK(round_trip(std::numeric_limits<double>::infinity()) == Value(std::numeric_limits<double>::infinity()));
    CHECK(std::isnan(round_trip(std::numeric_limits<double>::quiet_NaN()).as<double>()));

    for (size_t len : {size_t{0}, size_t{15}, size_t{16}, size_t{255}, size_t{256}, size_t{65535}, size_t{65536}}) {
        std::string s(len, 'x');
        CHECK(round_trip(s) == Value(s));
    }
    CHECK(encode_value("a") == b({0x81, 'a'}));
    CHECK(encode_value(std::string(16, 'a'))[0] == 0xD0);
    CHECK(round_trip("Grüße, 世界 🌍") == Value("Grüße, 世界 🌍"));

    Bytes bytes{{0x00, 0xFF, 0x10}};
    CHECK(encode_value(bytes) == b({0xCC, 0x03, 0x00, 0xFF, 0x10}));
    CHECK(round_trip(bytes) == Value(bytes));
    CHECK(round_trip(Bytes{std::vector<uint8_t>(70000, 7)}) == Value(Bytes{std::vector<uint8_t>(70000, 7)}));

    List small{int64_t{1}, "two", 3.0, Value(), List{true}};
    CHECK(encode_value(small)[0] == 0x95);
    CHECK(round_trip(small) == Value(small));
    List big(300, Value(int64_t{1}));
    CHECK(encode_value(big)[0] == 0xD5);
    CHECK(round_trip(big) == Value(big));

    Map m{{"a", int64_t{1}}, {"nested", Map{{"list", List{"x", Map{}}}}}, {"", Value()}};
    CHECK(round_trip(m) == Value(m));
    Map wide;
    for (int i = 0; i < 20; ++i) {
        wide["k" + std::to_string(i)] = int64_t{i};
    }
    CHECK(encode_value(wide)[0] == 0xD8);
    CHECK(round_trip(wide) == Value(wide));
}

TEST_CASE("graph structures use the Bolt 5 tags and round-trip", "[packstream]") {
    Node n = refhost::testing::sample_node(1);
    auto nb = encode_value(n);
    CHECK(nb[0] == 0xB4);
    CHECK(nb[1] == 0x4E);
    CHECK(round_trip(n) == Value(n));
    CHECK(round_trip(n).as<Node>().element_id == "4:fake:1");

    Relationship r = refhost::testing::sample_relationship();
    auto rb = encode_value(r);
    CHECK(rb[0] == 0xB8);
    CHECK(rb[1] == 0x52);
    const auto back = round_trip(r).as<Relationship>();
    CHECK(back == r);
    CHECK(back.start_element_id == "4:fake:1");
    CHECK(back.end_element_id == "4:fake:2");

    // The second step walks a relationship against its direction.
    Path p = refhost::testing::sample_path();
    auto pb = encode_value(p);
    CHECK(pb[0] == 0xB3);
    CHECK(pb[1] == 0x50);
    const auto pback = round_trip(p).as<Path>();
    CHECK(pback == p);
    REQUIRE(pback.relationships.size() == 2);
    CHECK(pback.relationships[1].start_id == 3);
    CHECK(pback.relationships[1].end_id == 2);
    CHECK(pback.relationships[1].start_element_id == "4:fake:3");

    Path single;
    single.nodes = {n};
    CHECK(round_trip(single) == Value(single));

    // A path through the same node twice sends the node once.
    Path loop;
    loop.nodes = {refhost::testing::sample_node(1), refhost::testing::sample_node(2), refhost::testing::sample_node(1)};
    loop.relationships = {Relationship{1, 1, 2, "A", {}, "5:a", "4:fake:1", "4:fake:2"},
                          Relationship{2, 2, 1, "B", {}, "5:b", "4:fake:2", "4:fake:1"}};
    CHECK(round_trip(loop) == Value(loop));
}

TEST_CASE("temporal and spatial structures use the 5.x tags and round-trip", "[packstream]") {
    struct Case {
        Value v;
        uint8_t marker;
        uint8_t tag;
    };
    std::vector<Case> cases{
        {Date{19000}, 0xB1, 0x44},
        {Time{3600LL * 1000000000LL + 5, 7200}, 0xB2, 0x54},
        {LocalTime{86399999999999LL}, 0xB1, 0x74},
        {DateTime{1700000000, 123456789, -18000}, 0xB3, 0x49},
        {DateTimeZoneId{1700000000, 1, "Europe/Stockholm"}, 0xB3, 0x69},
        {LocalDateTime{-1, 999999999}, 0xB2, 0x64},
        {Duration{14, -3, 86400, 5}, 0xB4, 0x45},
        {Point2D{4326, 12.5, -57.25}, 0xB3, 0x58},
        {Point3D{4979, 1.0, 2.0, 3.5}, 0xB4, 0x59},
    };
    for (const auto& c : cases) {
        auto bytes = encode_value(c.v);
        CHECK(bytes[0] == c.marker);
        CHECK(bytes[1] == c.tag);
        CHECK(round_trip(c.v) == c.v);
    }
    // Integer coordinates (other drivers) decode as floats.
    auto p = decode_value(b({0xB3, 0x58, 0x01, 0x02, 0x03}));
    REQUIRE(p.ok());
    CHECK(p.value() == Value(Point2D{1, 2.0, 3.0}));
}

TEST_CASE("malformed PackStream is refused with the offset and the numbers", "[packstream]") {
    CHECK(refusal({}).find("truncated") != std::string::npos);
    CHECK(refusal(b({0xC9, 0x01})).find("truncated") != std::string::npos);
    CHECK(refusal(b({0xC4})).find("unknown marker 0xC4") != std::string::npos);
    CHECK(refusal(b({0xDF})).find("unknown marker") != std::string::npos);
    CHECK(refusal(b({0x85, 'a', 'b'})).find("string of 5 bytes declared, 2 left") != std::string::npos);
    CHECK(refusal(b({0xD2, 0xFF, 0xFF, 0xFF, 0xFF})).find("4294967295") != std::string::npos);
    CHECK(refusal(b({0xD6, 0x7F, 0xFF, 0xFF, 0xFF, 0x01})).find("list of 2147483647 elements") != std::string::npos);
    CHECK(refusal(b({0xDA, 0x00, 0x01, 0x00, 0x00})).find("map of 65536 entries") != std::string::npos);
    CHECK(refusal(b({0xA1, 0x01, 0x01})).find("map key must be a String") != std::string::npos);
    CHECK(refusal(b({0x82, 0xC3, 0x28})).find("not valid UTF-8") != std::string::npos);
    CHECK(refusal(b({0x83, 0xED, 0xA0, 0x80})).find("not valid UTF-8") != std::string::npos);  // surrogate
    CHECK(refusal(b({0x82, 0xC0, 0x80})).find("not valid UTF-8") != std::string::npos);        // overlong
    CHECK(refusal(b({0x01, 0x02})).find("1 bytes left after a complete value") != std::string::npos);
    CHECK(refusal(b({0xB1, 0x00, 0x01})).find("unknown structure tag 0x00") != std::string::npos);
    CHECK(refusal(b({0xB2, 0x44, 0x01, 0x02})).find("has 2 fields, 1 expected") != std::string::npos);
    CHECK(refusal(b({0xB1, 0x44, 0x81, 'x'})).find("field 0 (days) has type String") != std::string::npos);
    CHECK(refusal(b({0xB1})).find("no tag byte") != std::string::npos);
    CHECK(refusal(b({0xB4, 0x72, 0x01, 0x80, 0xA0, 0x80})).find("only appear inside a path") != std::string::npos);

    // Nesting deeper than the limit.
    std::vector<uint8_t> deep(100, 0x91);
    deep.push_back(0x01);
    CHECK(refusal(deep).find("nesting deeper than 64") != std::string::npos);
    DecodeLimits shallow;
    shallow.max_depth = 2;
    CHECK(refusal(b({0x91, 0x91, 0x91, 0x01}), shallow).find("deeper than 2") != std::string::npos);

    // Graph values where the server expects parameters.
    DecodeLimits params;
    params.allow_graph_types = false;
    auto node = encode_value(refhost::testing::sample_node(1));
    CHECK(refusal(node, params).find("not allowed here") != std::string::npos);
}

TEST_CASE("malformed paths are refused", "[packstream]") {
    auto path_with = [](const List& indices, size_t rels) {
        std::vector<uint8_t> out;
        PackWriter w(out);
        w.struct_header(3, tag::kPath);
        w.list_header(2);
        w.value(refhost::testing::sample_node(1));
        w.value(refhost::testing::sample_node(2));
        w.list_header(rels);
        for (size_t i = 0; i < rels; ++i) {
            w.struct_header(4, tag::kUnboundRelationship);
            w.integer(static_cast<int64_t>(i));
            w.string("T");
            w.map({});
            w.string("5:x");
        }
        w.list(indices);
        return out;
    };
    auto ok = decode_value(path_with(List{int64_t{1}, int64_t{1}}, 1));
    REQUIRE(ok.ok());
    CHECK(ok->as<Path>().nodes.size() == 2);
    CHECK(refusal(path_with(List{int64_t{2}, int64_t{1}}, 1)).find("relationship index 2 out of range") !=
          std::string::npos);
    CHECK(refusal(path_with(List{int64_t{0}, int64_t{1}}, 1)).find("relationship index 0") != std::string::npos);
    CHECK(refusal(path_with(List{int64_t{1}, int64_t{5}}, 1)).find("node index 5 out of range") !=
          std::string::npos);
    CHECK(refusal(path_with(List{int64_t{1}}, 1)).find("odd number of indices") != std::string::npos);
    CHECK(refusal(path_with(List{"a", int64_t{1}}, 1)).find("indices must be integers") != std::string::npos);

    // A path whose relationship list holds a bound relationship.
    std::vector<uint8_t> out;
    PackWriter w(out);
    w.struct_header(3, tag::kPath);
    w.list(List{refhost::testing::sample_node(1)});
    w.list(List{refhost::testing::sample_relationship()});
    w.list(List{});
    CHECK(refusal(out).find("must be an unbound relationship") != std::string::npos);
}

TEST_CASE("UTF-8 validation", "[packstream]") {
    CHECK(is_valid_utf8(""));
    CHECK(is_valid_utf8("plain"));
    CHECK(is_valid_utf8("\xF0\x9F\x8C\x8D"));
    CHECK_FALSE(is_valid_utf8("\xF4\x90\x80\x80"));  // above U+10FFFF
    CHECK_FALSE(is_valid_utf8("\xE0\x80\x80"));      // overlong
    CHECK_FALSE(is_valid_utf8("\xFF"));
    CHECK_FALSE(is_valid_utf8("\xE2\x82"));  // truncated
}

// The stored value encoding and the change record format.
#include "store/change_record.hpp"
#include "store/value_codec.hpp"

#include <catch2/catch.hpp>

#include <random>

using namespace refhost;

TEST_CASE("values round-trip and encode deterministically", "[refhost][codec]") {
    Map m{{"z", Value(int64_t{INT64_MIN})},
          {"a", Value(int64_t{INT64_MAX})},
          {"f", Value(-0.0)},
          {"s", Value(std::string("\0x", 2))},
          {"l", Value(List{Value(Date{-1}), Value(Date{1})})},
          {"m", Value(Map{{"k", Value(List{})}})},
          {"n", Value()},
          {"dtz", Value(DateTimeZoneId{-5, 999'999'999, "America/New_York"})}};
    auto bytes = codec::encode_map(m);
    CHECK(codec::valid_map(bytes));
    Map back;
    REQUIRE(codec::decode_map(bytes, back));
    CHECK(back == m);
    CHECK(codec::encode_map(back) == bytes);
}

TEST_CASE("malformed encodings are refused, never over-read", "[refhost][codec]") {
    auto bytes = codec::encode_map(Map{{"k", Value("value")}, {"n", Value(List{Value(1), Value(2)})}});
    for (size_t cut = 0; cut < bytes.size(); ++cut) {
        std::vector<uint8_t> part(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(cut));
        Map out;
        CHECK_FALSE(codec::decode_map(part, out));
        CHECK_FALSE(codec::valid_map(part));
    }
    std::mt19937 rng(7);
    for (int i = 0; i < 2000; ++i) {
        std::vector<uint8_t> junk(rng() % 40);
        for (auto& b : junk) {
            b = static_cast<uint8_t>(rng());
        }
        Map out;
        (void)codec::decode_map(junk, out);  // must not crash or over-read (ASan build checks)
        ChangeRecordReader r(junk);
        ChangeOp op;
        int ops = 0;
        while (r.next(op) && ops < 1000) {
            ++ops;
        }
    }
    // Keys out of order are not a valid stored map.
    std::vector<uint8_t> unordered;
    codec::ByteWriter w(unordered);
    w.varint(2);
    w.str("b");
    codec::encode_value(w, Value(1));
    w.str("a");
    codec::encode_value(w, Value(1));
    CHECK_FALSE(codec::valid_map(unordered));
}

TEST_CASE("property values follow Neo4j's rules", "[refhost][codec]") {
    CHECK_FALSE(codec::property_value_problem(Value(List{Value(1), Value(2)})));
    CHECK_FALSE(codec::property_value_problem(Value(Point2D{4326, 1, 2})));
    CHECK(codec::property_value_problem(Value(Map{})));
    CHECK(codec::property_value_problem(Value(List{Value(1), Value()})));
    CHECK(codec::property_value_problem(Value(List{Value(List{})})));
    CHECK(codec::property_value_problem(Value(List{Value(1), Value(1.5)})));
    CHECK(codec::property_value_problem(Value(Node{})));
}

TEST_CASE("change records: written ops read back exactly", "[refhost][codec]") {
    ChangeRecordWriter w;
    w.create_node(5, {"A", "B"}, Map{{"x", Value(1)}});
    w.create_relationship(9, "KNOWS", 5, 6, {});
    w.set_node_property(5, "y", Value());
    w.add_labels(5, {"C"});
    w.delete_relationship(9);
    w.delete_node(5);
    ChangeRecordReader r(w.bytes());
    ChangeOp op;
    REQUIRE(r.next(op));
    CHECK(op.code == OpCode::CreateNode);
    CHECK(op.id == 5);
    LabelIterator labels(op.labels, op.label_count);
    std::string_view l;
    REQUIRE(labels.next(l));
    CHECK(l == "A");
    REQUIRE(labels.next(l));
    CHECK(l == "B");
    CHECK_FALSE(labels.next(l));
    REQUIRE(r.next(op));
    CHECK(op.code == OpCode::CreateRelationship);
    CHECK(op.name == "KNOWS");
    CHECK((op.start == 5 && op.end == 6));
    REQUIRE(r.next(op));
    CHECK(op.code == OpCode::SetNodeProperty);
    CHECK(op.name == "y");
    REQUIRE(r.next(op));
    CHECK(op.code == OpCode::AddLabels);
    REQUIRE(r.next(op));
    CHECK(op.code == OpCode::DeleteRelationship);
    REQUIRE(r.next(op));
    CHECK(op.code == OpCode::DeleteNode);
    CHECK_FALSE(r.next(op));
    CHECK_FALSE(r.failed());

    std::vector<uint8_t> bad = w.bytes();
    bad[0] = 9;
    ChangeRecordReader v(bad);
    CHECK_FALSE(v.next(op));
    CHECK(v.error().find("version 9") != std::string::npos);
}

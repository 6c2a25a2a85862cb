// The messages of a switchover and a re-attach: FENCE_REQUEST/FENCED,
// DEMOTE_REQUEST/DEMOTED, HISTORY_REQUEST/HISTORY, their bytes, and what a
// malformed one gets. tx_hash: what both clusters compare.
#include "protocol/messages.hpp"
#include "protocol/tx_hash.hpp"

#include <catch2/catch.hpp>

using namespace ccdr;
using namespace ccdr::protocol;

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

TEST_CASE("FENCE_REQUEST and FENCED round-trip, and a cut or longer one is refused", "[protocol][switchover]") {
    FenceRequest request{"foo", "abcd", 3, true, false, "foo-replica", "switchover to 'foo-replica'", 90'000};
    auto r = round_trip(request);
    CHECK(r.name == "foo");
    CHECK(r.store_id == "abcd");
    CHECK(r.epoch == 3);
    CHECK(r.fence);
    CHECK_FALSE(r.heal);
    CHECK(r.replica_database == "foo-replica");
    CHECK(r.reason == "switchover to 'foo-replica'");
    CHECK(r.hold_ms == 90'000);
    auto f = round_trip(Fenced{"foo", true, 4711});
    CHECK(f.read_only);
    CHECK(f.last_tx == 4711);
    CHECK(message_type_name(MessageType::kFenceRequest) == "FENCE_REQUEST");
    CHECK(message_type_name(MessageType::kFenced) == "FENCED");
}

TEST_CASE("DEMOTE_REQUEST carries the new upstream's addresses, and a count larger than the bytes is refused",
          "[protocol][switchover]") {
    DemoteRequest request{"foo", "abcd", 3, 4, 4711, "foo-replica", {"10.0.0.1:6000", "10.0.0.2:6000"}};
    auto d = round_trip(request);
    CHECK(d.new_epoch == 4);
    CHECK(d.at_tx == 4711);
    CHECK(d.remote == "foo-replica");
    CHECK(d.addresses == std::vector<std::string>{"10.0.0.1:6000", "10.0.0.2:6000"});
    CHECK(round_trip(Demoted{"foo", 4711}).at_tx == 4711);

    auto bytes = encode_message(DemoteRequest{"foo", "abcd", 3, 4, 1, "r", {}});
    // The address count is the last u32: claim a million addresses in 0 bytes.
    bytes[bytes.size() - 4] = 0x40;
    bytes[bytes.size() - 3] = 0x42;
    bytes[bytes.size() - 2] = 0x0f;
    auto bad = decode_message_as<DemoteRequest>(bytes);
    REQUIRE_FALSE(bad);
    CHECK(bad.status().message().find("addresses") != std::string::npos);
}

TEST_CASE("HISTORY_REQUEST and HISTORY round-trip with their hashes", "[protocol][reattach]") {
    auto q = round_trip(HistoryRequest{"foo-replica", "abcd", 100, 4195});
    CHECK(q.from_tx == 100);
    CHECK(q.to_tx == 4195);
    auto h = round_trip(History{"foo-replica", 4, 5000, 1, 100, {1, 2, 0xffffffffffffffffull}});
    CHECK(h.epoch == 4);
    CHECK(h.last_tx == 5000);
    CHECK(h.from_tx == 100);
    CHECK(h.hashes == std::vector<uint64_t>{1, 2, 0xffffffffffffffffull});
    CHECK(is_known_message_type(static_cast<uint8_t>(MessageType::kHistory)));
    CHECK(static_cast<int>(MessageType::kHistory) == 26);
    CHECK(kLastMessageType >= 26);  // 27 (issue 16) and later follow
}

TEST_CASE("tx_hash covers the id, the commit time and the payload", "[protocol][reattach]") {
    const uint8_t a[] = {1, 2, 3};
    const uint8_t b[] = {1, 2, 4};
    ccdr_tx tx{7, 1000, {a, sizeof a}};
    const uint64_t h = tx_hash(tx);
    CHECK(h == tx_hash(ccdr_tx{7, 1000, {a, sizeof a}}));
    CHECK(h != tx_hash(ccdr_tx{8, 1000, {a, sizeof a}}));
    CHECK(h != tx_hash(ccdr_tx{7, 1001, {a, sizeof a}}));
    CHECK(h != tx_hash(ccdr_tx{7, 1000, {b, sizeof b}}));
    CHECK(h != tx_hash(ccdr_tx{7, 1000, {a, 2}}));
}

// HOLD_RELEASE of one member (protocol 8, fan-out and log holds) against an
// upstream over real sockets, from a peer written out by hand: the upstream
// ends only the named member's hold, only when the session negotiated 8 and
// the member is the sender's own server; a peer offering 7 (an older
// release) gets a refusal and every hold stays (its message would have ended
// every member's hold). A peer's subscription leaves a hold at its last
// position when it ends.
#include "support/raw_subscriber.hpp"
#include "support/replication_world.hpp"

#include <catch2/catch.hpp>

using namespace ccdr;
using namespace ccdr::test;

namespace {

// The answer to HOLD_RELEASE(foo, foo-peer[, server_id]) from server
// `server` of cluster peer-cluster offering protocols 1..max_version: the
// holds ended, or the refusal's reason as the error.
Result<uint32_t> release_as(ReplicationWorld& w, uint16_t max_version, const std::string& server,
                            std::optional<std::string> server_id) {
    PluginLoopback loop(*w.replica, nullptr);
    auto strand = loop.runtime().make_strand();
    const std::string address = w.upstream_address();
    return loop.run<Result<uint32_t>>(strand, [&]() -> asio::awaitable<Result<uint32_t>> {
        auto connected = co_await loop.connect(strand, address);
        if (!connected) {
            co_return connected.status();
        }
        auto c = connected.value();
        protocol::Hello hello{1, max_version, "peer-cluster", server, std::string(kLoopbackPluginVersion)};
        co_await session::send(*c, hello);
        auto ok = co_await session::receive<protocol::HelloOk>(*c, 5s);
        if (!ok || ok->refused) {
            co_return Status(CCDR_PROCEDURE_CALL_FAILED, ok ? ok->refused->reason : ok.status().message());
        }
        protocol::HoldRelease release{"foo", "foo-peer", server_id};
        co_await session::send(*c, release);
        auto answer = co_await session::receive<protocol::HoldReleased>(*c, 5s);
        if (!answer) {
            co_return answer.status();
        }
        if (answer->refused) {
            co_return Status(CCDR_PROCEDURE_CALL_FAILED, answer->refused->reason);
        }
        co_return answer->message->released;
    });
}

double holds_of(ReplicationWorld& w) { return metrics_of(*w.upstream)["dbms.ccdr.upstream.log_holds"]; }

}  // namespace

TEST_CASE("HOLD_RELEASE of one member: protocol 8 only, the sender's own hold only", "[replication][log_hold]") {
    ReplicationWorld w({false, {}, {}});
    w.commit(1, 20, 64);
    // peer-1 subscribes and goes: its subscription's end leaves its hold.
    PeerSaw peer = subscribe_as(w, protocol::kMaxProtocolVersion, 20);
    INFO(peer.error);
    REQUIRE(peer.error.empty());
    REQUIRE(eventually([&] { return holds_of(w) == 1.0; }, 10s, 20ms));

    // A peer of protocol 7 would end every member's hold with it: refused.
    auto old = release_as(w, 7, "peer-1", std::string("peer-1"));
    REQUIRE_FALSE(old);
    CHECK(old.status().message().find("needs protocol 8") != std::string::npos);
    // Another server's member: refused.
    auto other = release_as(w, protocol::kHoldCoverProtocol, "peer-2", std::string("peer-1"));
    REQUIRE_FALSE(other);
    CHECK(other.status().message().find("releases only its own") != std::string::npos);
    // Its own, which has none: nothing ended.
    auto none = release_as(w, protocol::kHoldCoverProtocol, "peer-2", std::string("peer-2"));
    REQUIRE(none);
    CHECK(*none == 0);
    CHECK(holds_of(w) == 1.0);
    // peer-1's own: that hold ends.
    auto own = release_as(w, protocol::kHoldCoverProtocol, "peer-1", std::string("peer-1"));
    REQUIRE(own);
    CHECK(*own == 1);
    CHECK(holds_of(w) == 0.0);
}

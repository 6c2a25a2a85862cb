// test/unit/replica/replica_fixture.hpp: what the replica parts' tests
// share: a replica server (a MemoryHost with database `foo-replica` of
// lineage kStoreId, epoch 1) whose member context runs on a PluginLoopback,
// the other end of which is an upstream the test scripts; transactions and
// batches as an upstream makes them.
#pragma once

#include "protocol/batch.hpp"
#include "protocol/messages.hpp"
#include "replica/member_context.hpp"
#include "replica/member_setup.hpp"
#include "replica/upstream_dialer.hpp"
#include "session/exchange.hpp"
#include "support/eventually.hpp"
#include "support/plugin_loopback.hpp"

#include <catch2/catch.hpp>

#include <functional>
#include <stdexcept>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace ccdr::test {

inline constexpr const char* kStoreId = "5eed5eed5eed5eed";
inline constexpr const char* kReplica = "foo-replica";

// Transaction i as the upstream committed it.
inline std::vector<uint8_t> tx_payload(uint64_t i) {
    std::string text = "CREATE (:Item {id: " + std::to_string(i) + "})";
    return std::vector<uint8_t>(text.begin(), text.end());
}
inline int64_t tx_time(uint64_t i) { return 1'700'000'000'000 + static_cast<int64_t>(i); }

// The BATCH payload of txs first..last, chained from `seed`.
inline std::vector<uint8_t> batch_payload(uint64_t seed, uint64_t first, uint64_t last) {
    protocol::BatchBuilder builder(seed, first);
    for (uint64_t i = first; i <= last; ++i) {
        auto p = tx_payload(i);
        ccdr_tx tx{i, tx_time(i), {p.data(), p.size()}};
        if (Status added = builder.add(tx); !added) {
            throw std::logic_error(added.message());  // (scripts run off the test thread: no REQUIRE)
        }
    }
    return builder.finish({last, tx_time(last), 0});
}

inline protocol::DecodedBatch decoded_batch(uint64_t first, uint64_t last) {
    auto batch = protocol::decode_batch(batch_payload(protocol::chain_seed(kStoreId, 1, first), first, last));
    REQUIRE(batch);
    return std::move(batch.value());
}

// The upstream's side of HELLO and DATABASE_INFO, answering with `info`.
// False when the replica did not ask as expected.
inline asio::awaitable<bool> greet(transport::Connection& c, protocol::DatabaseInfoReply info) {
    auto hello = co_await session::receive<protocol::Hello>(c, 5s);
    if (!hello || !hello->message) {
        co_return false;
    }
    protocol::HelloOk ok{protocol::kMaxProtocolVersion, "cluster-a", "a1", std::string(kLoopbackPluginVersion)};
    co_await session::send(c, ok);
    auto request = co_await session::receive<protocol::DatabaseInfoRequest>(c, 5s);
    if (!request || !request->message) {
        co_return false;
    }
    info.name = request->message->name;
    co_await session::send(c, info);
    co_return true;
}

inline protocol::DatabaseInfoReply upstream_info(uint64_t last_tx, std::string store_id = kStoreId) {
    protocol::DatabaseInfoReply info;
    info.exists = true;
    info.online = true;
    info.kind = CCDR_KIND_STANDARD;
    info.store_id = std::move(store_id);
    info.epoch = 1;
    info.last_tx = last_tx;
    info.last_commit_ms = tx_time(last_tx);
    info.oldest_retained_tx = 1;
    return info;
}

// A replica server scripted against: `host` holds `foo-replica`, the
// context runs on `loop`, whose listener plays the upstream.
struct ReplicaWorld {
    MemoryHost host{"b1", {}};
    PluginLoopback loop;
    transport::TransportSecurity security;  // plaintext
    plugin::UpstreamDialer dialer{loop.context(), security};
    std::shared_ptr<plugin::MemberContext> member;

    explicit ReplicaWorld(PluginLoopback::Script upstream, bool create_replica = true)
        : loop(host, std::move(upstream)) {
        security.plaintext = true;
        if (create_replica) {
            REQUIRE(host.create_database({kReplica, CCDR_KIND_REPLICA, 1, 0, kStoreId, 1,
                                          ValueMap{{"replicaConfig", replica_config(loop.address())}}}));
        }
        member = std::make_shared<plugin::MemberContext>(loop.context(), kReplica);
    }

    static Value replica_config(const std::string& address) {
        return Value(ValueMap{{"remote", Value("foo")}, {"addresses", Value(ValueList{Value(address)})}});
    }

    plugin::MemberSetup setup() const {
        plugin::MemberSetup s;
        s.config.remote = "foo";
        s.config.addresses = {loop.address()};
        s.store_id = kStoreId;
        s.epoch = 1;
        s.kind = CCDR_KIND_REPLICA;
        return s;
    }

    uint64_t applied() const {
        auto m = host.member(kReplica);
        return m ? m->last_tx : 0;
    }
};

}  // namespace ccdr::test

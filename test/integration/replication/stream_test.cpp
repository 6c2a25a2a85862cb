// Streaming between two plugin instances on loopback (two MemoryHosts, each
// with libccdr loaded): order and exactly-once delivery, resumption after
// connections are cut mid-batch or corrupted, restart from the last applied
// transaction, lineage refusal, hash-chain failure, failover between
// addresses, the read-only veto and promotion.
#include "support/replication_world.hpp"
#include "protocol/batch.hpp"
#include "protocol/batch_packing.hpp"
#include "protocol/frame.hpp"

#include <catch2/catch.hpp>

#include <thread>

using namespace ccdr;
using namespace ccdr::test;
using namespace std::chrono_literals;

namespace {

// A BATCH frame as the fault proxy hands it over: a short or compact header
// (protocol 6 or 7, the upstream's stream blocks) or a full one.
bool is_batch_frame(const std::vector<uint8_t>& frame) {
    constexpr auto kBatch = static_cast<uint8_t>(protocol::MessageType::kBatch);
    if (protocol::is_short_frame(frame[0])) {
        return (frame[0] & protocol::kShortTypeMask) == kBatch;
    }
    return frame.size() >= protocol::kFrameHeaderSize && frame[6] == kBatch;
}

}  // namespace

TEST_CASE("100 000 transactions stream in order, exactly once", "[replication]") {
    ReplicationWorld w;
    w.create_replica();
    REQUIRE(eventually([&] { return w.replica_status().state == CCDR_REPLICA_STREAMING; }));
    const uint64_t n = 100'000;
    // Committed while the replica streams: batches form as commits arrive.
    for (uint64_t i = 1; i <= n; ++i) {
        REQUIRE(w.upstream->commit("foo", payload_for(i, 60 + i % 200)));
    }
    REQUIRE(w.replica->wait_for_tx("foo-replica", n, 120'000));
    w.check_identical(n);

    // The counters move just after apply_batch returns.
    CHECK(eventually([&] {
        return metrics_of(*w.replica)["database.foo-replica.ccdr.replica.transactions_applied"] == n;
    }));
    auto m = metrics_of(*w.replica);
    CHECK(m["database.foo-replica.ccdr.replica.checksum_failures"] == 0);
    CHECK(m["database.foo-replica.ccdr.replica.apply_failures"] == 0);
    CHECK(m["database.foo-replica.ccdr.replica.last_applied_tx"] == n);
    CHECK(m["database.foo-replica.ccdr.replica.batches_received"] >= 1);
    CHECK(m["database.foo-replica.ccdr.replica.bytes_received_wire"] > 0);
    CHECK(eventually([&] { return metrics_of(*w.replica)["database.foo-replica.ccdr.replica.lag_tx"] == 0; }));
    auto status = w.replica_status();
    CHECK(status.state == CCDR_REPLICA_STREAMING);
    CHECK(std::string(status.message) == "pulling from " + w.upstream_address());
    CHECK(status.has_lag == 1);
    CHECK(status.lag_tx == 0);
    CHECK(status.lag_seconds == 0.0);
    // The upstream knows what the replica acknowledged.
    CHECK(eventually([&] {
        auto up = metrics_of(*w.upstream);
        for (const auto& [name, v] : up) {
            if (name.find("database.foo.ccdr.upstream.replica.") == 0 && name.find(".acked_tx") != std::string::npos &&
                v == n) {
                return up["database.foo.ccdr.upstream.connected_replicas"] == 1;
            }
        }
        return false;
    }));
}

TEST_CASE("over a slow link small batches travel together, the round trip is a metric", "[replication][pacing]") {
    ReplicationWorld w;
    FaultProxy proxy(w.upstream_port);
    proxy.delay_for(10min, 20ms, 0ms, FaultProxy::Direction::kBoth);  // a 40 ms round trip
    w.create_replica({"127.0.0.1:" + std::to_string(proxy.port())});
    w.commit(1, 1, 100);
    REQUIRE(w.replica->wait_for_tx("foo-replica", 1, 30'000));
    const std::string rtt_metric = "database.foo.ccdr.upstream.replica.";
    auto round_trip_ms = [&] {
        for (const auto& [name, v] : metrics_of(*w.upstream)) {
            if (name.find(rtt_metric) == 0 && name.find(".round_trip_ms") != std::string::npos) {
                return v;
            }
        }
        return -1.0;
    };
    REQUIRE(eventually([&] { return round_trip_ms() >= 40.0; }));
    CHECK(round_trip_ms() < 5'000.0);

    // 300 commits, one every millisecond or more: each would be its own
    // batch; held an eighth of the round trip (>= 5 ms), at most one batch
    // leaves per 5 ms of the writes.
    const double batches_before = metrics_of(*w.upstream)["database.foo.ccdr.upstream.batches_sent"];
    const auto start = std::chrono::steady_clock::now();
    for (uint64_t i = 2; i < 302; ++i) {
        w.commit(i, 1, 100);
        std::this_thread::sleep_for(1ms);
    }
    const auto writing = std::chrono::steady_clock::now() - start;
    REQUIRE(w.replica->wait_for_tx("foo-replica", 301, 60'000));
    w.check_identical(301);
    const double batches = metrics_of(*w.upstream)["database.foo.ccdr.upstream.batches_sent"] - batches_before;
    const double most = std::chrono::duration<double>(writing).count() / 0.005 + 2;
    const double writing_ms = std::chrono::duration<double, std::milli>(writing).count();
    INFO("batches " << batches << " for 300 commits in " << writing_ms << " ms");
    CHECK(batches <= most);
    CHECK(batches < 300);
}

TEST_CASE("connections cut mid-batch resume with nothing lost or doubled", "[replication]") {
    ReplicationWorld w;
    // A backlog of about 10 MB, then the replica connects through a proxy
    // that cuts its first four connections part-way through a frame.
    w.commit(1, 20'000, 500);
    FaultProxy proxy(w.upstream_port);
    proxy.kill_after(700'000, 4);
    w.create_replica({"127.0.0.1:" + std::to_string(proxy.port())});
    REQUIRE(w.replica->wait_for_tx("foo-replica", 20'000, 120'000));
    w.commit(20'001, 1'000, 500);
    REQUIRE(w.replica->wait_for_tx("foo-replica", 21'000, 60'000));
    w.check_identical(21'000);
    CHECK(proxy.kills() == 4);
    CHECK(proxy.connections() >= 5);
    auto m = metrics_of(*w.replica);
    CHECK(m["database.foo-replica.ccdr.replica.reconnects"] >= 4);
    CHECK(m["database.foo-replica.ccdr.replica.apply_failures"] == 0);
    CHECK(eventually([&] {
        return metrics_of(*w.replica)["database.foo-replica.ccdr.replica.transactions_applied"] == 21'000;
    }));
}

TEST_CASE("a corrupt frame is counted, dropped, and the stream resumes", "[replication]") {
    ReplicationWorld w({false, {}, {}});
    w.commit(1, 300, 200);
    FaultProxy proxy(w.upstream_port);
    int flipped = 0;
    proxy.set_frame_hook([&](std::vector<uint8_t>& frame) {
        if (flipped == 0 && is_batch_frame(frame)) {
            frame[frame.size() / 2] ^= 0x04;  // one bit, in the payload
            ++flipped;
        }
    });
    w.create_replica({"127.0.0.1:" + std::to_string(proxy.port())});
    REQUIRE(w.replica->wait_for_tx("foo-replica", 300, 60'000));
    w.check_identical(300);
    CHECK(flipped == 1);
    auto m = metrics_of(*w.replica);
    CHECK(m["database.foo-replica.ccdr.replica.checksum_failures"] == 1);
    CHECK(m["database.foo-replica.ccdr.replica.reconnects"] >= 1);
    CHECK(w.replica->log_contains("corrupt frame from 127.0.0.1:"));
}

TEST_CASE("a replica restarts from its last applied transaction", "[replication]") {
    ReplicationWorld w;
    w.create_replica();
    w.commit(1, 1'000, 100);
    REQUIRE(w.replica->wait_for_tx("foo-replica", 1'000, 60'000));
    w.replica->detach();
    w.commit(1'001, 1'000, 100);
    REQUIRE(w.replica->attach(w.api()));
    REQUIRE(w.replica->wait_for_tx("foo-replica", 2'000, 60'000));
    w.check_identical(2'000);
    // The new instance applied only what was missing.
    CHECK(eventually([&] {
        return metrics_of(*w.replica)["database.foo-replica.ccdr.replica.transactions_applied"] == 1'000;
    }));
    // Two heartbeats later the upstream has sent all it would.
    REQUIRE(w.heard_heartbeats(2));
    CHECK(metrics_of(*w.replica)["database.foo-replica.ccdr.replica.transactions_applied"] == 1'000);
}

TEST_CASE("another lineage is refused and the member fails naming both", "[replication]") {
    ReplicationWorld w;
    w.commit(1, 10, 100);
    auto up = w.upstream->member("foo");
    SECTION("store id") {
        w.create_replica({}, "0123456789abcdef0123456789abcdef");
        REQUIRE(eventually([&] { return w.replica_status().state == CCDR_REPLICA_FAILED; }));
        std::string message = w.replica_status().message;
        CHECK_THAT(message, Catch::Contains("lineage mismatch") &&
                                Catch::Contains("0123456789abcdef0123456789abcdef") && Catch::Contains(up->store_id));
    }
    SECTION("epoch") {
        w.create_replica({}, "", up->epoch + 1);
        REQUIRE(eventually([&] { return w.replica_status().state == CCDR_REPLICA_FAILED; }));
        CHECK_THAT(std::string(w.replica_status().message),
                   Catch::Contains("lineage mismatch") && Catch::Contains("epoch " + std::to_string(up->epoch + 1)));
    }
    CHECK(w.replica->member("foo-replica")->last_tx == 0);
    CHECK(w.replica->log_contains("lineage mismatch"));
}

TEST_CASE("a hash chain mismatch stops the member before applying", "[replication]") {
    // Plaintext, so the proxy can change a transaction and re-frame the batch
    // with correct frame checksums: only the hash chain can catch it.
    ReplicationWorld w({false, {}, {}});
    w.commit(1, 100, 120);
    FaultProxy proxy(w.upstream_port);
    bool changed = false;
    // The batches travel as one LZ4 stream (protocol 4; short headers,
    // protocol 6): the hook decodes each in order with its own decoder, as
    // the replica does. The changed batch goes on uncompressed, with a full
    // header; the member stops at it, before any later stream block would
    // need the history it skipped.
    protocol::Lz4StreamDecoder stream;
    protocol::BatchUnpacker unpacker;  // a short frame's BATCH is packed (protocol 6)
    proxy.set_frame_hook([&](std::vector<uint8_t>& frame) {
        if (changed || !is_batch_frame(frame)) {
            return;
        }
        auto decoded = protocol::decode_frame(frame, protocol::FrameLimits{}, &stream);
        REQUIRE(decoded);
        if (decoded->header.short_form()) {
            std::vector<uint8_t> unpacked;
            REQUIRE(unpacker.unpack(decoded->payload, unpacked));
            decoded->payload = std::move(unpacked);
        }
        auto batch = protocol::decode_batch(decoded->payload);
        REQUIRE(batch);
        for (const auto& tx : batch->txs) {
            if (tx.tx_id == 57) {
                const size_t at = static_cast<size_t>(tx.payload.data - batch->buffer.data());
                decoded->payload[at] ^= 0x20;  // tx 57's first byte
                auto again = protocol::encode_frame(protocol::MessageType::kBatch, decoded->payload, false,
                                                    protocol::FrameLimits{});
                REQUIRE(again);
                frame.assign(again->header.begin(), again->header.end());
                frame.insert(frame.end(), again->body.begin(), again->body.end());
                changed = true;
            }
        }
    });
    w.create_replica({"127.0.0.1:" + std::to_string(proxy.port())});
    REQUIRE(eventually([&] { return w.replica_status().state == CCDR_REPLICA_FAILED; }));
    CHECK(changed);
    const std::string message = w.replica_status().message;
    CHECK_THAT(message, Catch::StartsWith("failed: hash chain mismatch at tx 57") &&
                            Catch::Contains("from 127.0.0.1:" + std::to_string(proxy.port())));
    // Nothing of the bad batch was applied, and the member does not retry: a
    // witness replica of foo on the same server, straight to the upstream, has
    // every transaction and three heartbeats more (300 ms, the longest
    // back-off here) by the time this is checked.
    w.create_replica({w.upstream_address()}, "", 0, "foo-witness");
    REQUIRE(w.replica->wait_for_tx("foo-witness", 100, 60'000));
    REQUIRE(w.heard_heartbeats(3, "foo-witness"));
    auto rep = w.replica->member("foo-replica");
    CHECK(rep->last_tx < 57);
    CHECK(w.replica_status().state == CCDR_REPLICA_FAILED);
    CHECK(proxy.connections() == 1);
}

TEST_CASE("the replica tries the addresses in turn and reports the one it pulls from", "[replication]") {
    ReplicationWorld w;
    const std::string dead = "127.0.0.1:" + std::to_string(free_port());
    w.create_replica({dead, w.upstream_address()});
    w.commit(1, 50, 100);
    REQUIRE(w.replica->wait_for_tx("foo-replica", 50, 60'000));
    // The member notes its first catch-up when the puller next looks, a
    // moment after the applier reached tx 50: until then the message still
    // says "first catch-up: ...".
    const std::string expected = "pulling from " + w.upstream_address();
    CHECK(eventually([&] { return std::string(w.replica_status().message) == expected; }));
    CHECK(std::string(w.replica_status().message) == expected);
    w.check_identical(50);
}

TEST_CASE("an unreachable upstream is reported with the reason and the next retry", "[replication]") {
    ReplicationWorld w;
    const std::string dead = "127.0.0.1:" + std::to_string(free_port());
    w.create_replica({dead});
    // Never caught up: describe_database says CREATING (SHOW DATABASE:
    // starting), and the message says it is disconnected.
    REQUIRE(eventually([&] {
        return std::string(w.replica_status().message).find("disconnected: ") != std::string::npos;
    }));
    CHECK(w.replica_status().state == CCDR_REPLICA_CREATING);
    const std::string message = w.replica_status().message;
    CHECK_THAT(message, Catch::StartsWith("first catch-up; disconnected: cannot connect to " + dead) &&
                            Catch::Contains("; retrying in ") && Catch::EndsWith("ms"));
    CHECK(eventually([&] { return metrics_of(*w.replica)["database.foo-replica.ccdr.replica.reconnects"] >= 3; }));
}

TEST_CASE("replicas refuse user writes until promoted, replicated applies pass", "[replication][read-only]") {
    ReplicationWorld w;
    w.create_replica();
    w.commit(1, 20, 100);
    REQUIRE(w.replica->wait_for_tx("foo-replica", 20, 60'000));
    auto refused = w.replica->commit("foo-replica", {1, 2, 3});
    REQUIRE_FALSE(refused);
    CHECK(refused.status().code() == CCDR_READ_ONLY_DATABASE);
    CHECK(refused.status().message() ==
          "No write operations are allowed on this database. This is a read only Neo4j instance.");
    CHECK(std::string(refused.status().neo4j_code()) == "Neo.ClientError.General.ForbiddenOnReadOnlyDatabase");
    // Other databases of the same server take writes.
    REQUIRE(w.replica->create_database({"local", CCDR_KIND_STANDARD, 1, 0, "", 0, {}}));
    CHECK(w.replica->commit("local", {9}));

    REQUIRE(w.replica->set_database_kind("foo-replica", CCDR_KIND_STANDARD, 2));
    CHECK(w.replica_status().state == CCDR_REPLICA_NONE);
    auto written = w.replica->commit("foo-replica", {4, 5, 6});
    REQUIRE(written);
    CHECK(*written == 21);
    // A promoted database never pulls again: a witness replica of foo on the
    // same server has the upstream's tx 21-25 and two heartbeats more by the
    // time this is checked.
    w.commit(21, 5, 100);
    w.create_replica({}, "", 0, "foo-witness");
    REQUIRE(w.replica->wait_for_tx("foo-witness", 25, 60'000));
    REQUIRE(w.heard_heartbeats(2, "foo-witness"));
    CHECK(w.replica->member("foo-replica")->last_tx == 21);
    CHECK(w.replica->member("foo-replica")->content.back().payload == std::vector<uint8_t>{4, 5, 6});
}

TEST_CASE("without TLS or allow_plaintext the plugin refuses to replicate", "[replication]") {
    ReplicationWorld w({false, {{"ccdr.allow_plaintext", "false"}}, {{"ccdr.allow_plaintext", "false"}}});
    w.create_replica();
    REQUIRE(eventually([&] { return w.replica_status().state == CCDR_REPLICA_FAILED; }));
    CHECK_THAT(std::string(w.replica_status().message),
               Catch::Contains("replication requires TLS") && Catch::Contains("ccdr.allow_plaintext=true"));
    CHECK(w.upstream->log_contains("will not replicate: replication requires TLS"));
}

TEST_CASE("plaintext replication logs a warning at every start", "[replication]") {
    ReplicationWorld w({false, {}, {}});
    CHECK(w.upstream->log_contains("neither encrypted nor authenticated"));
    w.create_replica();
    w.commit(1, 10, 50);
    REQUIRE(w.replica->wait_for_tx("foo-replica", 10, 60'000));
}

TEST_CASE("the upstream allow-list refuses other databases, naming the peer", "[replication]") {
    ReplicationWorld w({true, {{"ccdr.upstream.allowed_databases", "bar, baz"}}, {}});
    w.create_replica();
    // Never caught up: CREATING (SHOW DATABASE: starting), disconnected.
    REQUIRE(eventually([&] {
        return std::string(w.replica_status().message).find("disconnected: ") != std::string::npos;
    }));
    CHECK(w.replica_status().state == CCDR_REPLICA_CREATING);
    CHECK_THAT(std::string(w.replica_status().message),
               Catch::Contains("is not in ccdr.upstream.allowed_databases"));
    CHECK(eventually([&] {
        return w.upstream->log_contains("refused replication to 127.0.0.1:") &&
               w.upstream->log_contains("CN=replica server") &&
               w.upstream->log_contains("database 'foo' is not in ccdr.upstream.allowed_databases");
    }));
}

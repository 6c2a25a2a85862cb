// Proxy faults under a steady write load: between an upstream and a replica
// MemoryHost (plaintext, so the proxy can rewrite frames), a FaultProxy
// injects faults of every kind it has, in turn, while a writer commits about
// 500 tx/s: connection dropped now, cut mid-frame, stalled for 100-600 ms,
// one bit of a BATCH flipped, a partition of 200-800 ms (every connection
// cut, new ones refused), a delay of 20-200 ms ± up to a quarter of it for
// 200-800 ms, a throttle to 8-64 KiB/s for 200-800 ms (the load carries
// about 115 KiB/s downstream, so batches queue up behind it). Delays and
// throttles go to one direction or both, at random. Then: the replica
// equals the upstream transaction for transaction, verifyReplicaDatabase
// matches at the same tx, no corrupt batch reached the applier (apply
// failures 0, every flip counted as a checksum failure), and the reconnects
// are in the metrics. CCDR_PROXY_FAULTS sets the number of faults (56, 8 of
// each kind, by default; 1 000 under the long label).
#include "support/replication_world.hpp"
#include "protocol/frame.hpp"
#include "protocol/message_type.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <random>
#include <thread>

using namespace ccdr;
using namespace ccdr::test;
using namespace std::chrono_literals;

TEST_CASE("proxy faults of every kind under a steady load: converged, equal, counted", "[faults][proxy]") {
    const char* env = std::getenv("CCDR_PROXY_FAULTS");
    const int faults = env != nullptr ? std::atoi(env) : 56;
    ReplicationWorld w({false, {}, {}});
    FaultProxy proxy(w.upstream_port);
    std::atomic<bool> corrupt_next{false};
    std::atomic<int> flipped{0};
    proxy.set_frame_hook([&](std::vector<uint8_t>& frame) {
        // BATCH frames have the short header (protocol 6): flip a bit in the
        // middle of the block after it.
        constexpr auto kBatch = static_cast<uint8_t>(protocol::MessageType::kBatch);
        if (frame.size() > protocol::kShortHeaderMax + 16 && frame[0] == (protocol::kShortFrameMark | kBatch) &&
            corrupt_next.exchange(false)) {
            frame[protocol::kShortHeaderMax + (frame.size() - protocol::kShortHeaderMax) / 2] ^= 0x10;
            flipped.fetch_add(1);
        }
    });
    w.create_replica({"127.0.0.1:" + std::to_string(proxy.port())});

    std::atomic<bool> writing{true};
    std::atomic<uint64_t> committed{0};
    std::thread writer([&] {
        auto next = std::chrono::steady_clock::now();
        uint64_t i = 1;
        while (writing.load()) {
            auto id = w.upstream->commit("foo", payload_for(i, 200));
            if (id) {
                committed.store(*id);
                ++i;
            }
            next += 2ms;  // 500 tx/s
            std::this_thread::sleep_until(next);
        }
    });

    std::mt19937 rng(20261127);
    auto direction = [&rng] {
        switch (rng() % 3) {
            case 0:
                return FaultProxy::Direction::kDownstream;
            case 1:
                return FaultProxy::Direction::kUpstream;
            default:
                return FaultProxy::Direction::kBoth;
        }
    };
    int drops = 0, cuts = 0, stalls = 0, corrupts = 0, partitions = 0, delays = 0, throttles = 0;
    double max_lag_throttled = 0;
    const auto started = std::chrono::steady_clock::now();
    for (int f = 0; f < faults; ++f) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20 + rng() % 130));
        switch (f % 7) {
            case 0:
                proxy.kill_all();
                ++drops;
                break;
            case 1:
                proxy.kill_after(1 + rng() % 3000, 1);  // the next connection, mid-frame
                proxy.kill_all();
                ++cuts;
                break;
            case 2:
                proxy.stall_after(rng() % 2000);
                proxy.kill_all();
                std::this_thread::sleep_for(std::chrono::milliseconds(100 + rng() % 500));
                proxy.release();
                ++stalls;
                break;
            case 3:
                corrupt_next.store(true);
                ++corrupts;
                break;
            case 4: {
                const auto cut_off = std::chrono::milliseconds(200 + rng() % 600);
                proxy.partition_for(cut_off);
                std::this_thread::sleep_for(cut_off);
                ++partitions;
                break;
            }
            case 5: {
                const auto window = std::chrono::milliseconds(200 + rng() % 600);
                const auto latency = std::chrono::milliseconds(20 + rng() % 180);
                const auto jitter = std::chrono::milliseconds(rng() % (latency.count() / 4 + 1));
                proxy.delay_for(window, latency, jitter, direction());
                std::this_thread::sleep_for(window);
                ++delays;
                break;
            }
            case 6: {
                const auto window = std::chrono::milliseconds(200 + rng() % 600);
                proxy.throttle_for(window, (8 + rng() % 57) * 1024, direction());
                std::this_thread::sleep_for(window);
                // A figure, not a check: how far the replica fell behind.
                max_lag_throttled = std::max(
                    max_lag_throttled, metrics_of(*w.replica)["database.foo-replica.ccdr.replica.lag_tx"]);
                ++throttles;
                break;
            }
        }
    }
    const auto fault_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    writing.store(false);
    writer.join();
    corrupt_next.store(false);
    proxy.release();
    const uint64_t last = committed.load();
    REQUIRE(w.replica->wait_for_tx("foo-replica", last, 120'000));
    w.check_identical(last);

    auto rows = w.replica->call_procedure("internal.dbms.verifyReplicaDatabase", {Value("foo-replica")});
    REQUIRE(rows);
    CHECK(rows->front()[0] == Value(static_cast<int64_t>(last)));
    CHECK(rows->front()[3] == Value(true));

    auto m = metrics_of(*w.replica);
    const double reconnects = m["database.foo-replica.ccdr.replica.reconnects"];
    const double checksum_failures = m["database.foo-replica.ccdr.replica.checksum_failures"];
    CHECK(m["database.foo-replica.ccdr.replica.apply_failures"] == 0);
    // Every flipped batch that reaches the replica is a checksum failure; one
    // flipped just before the next fault cuts the connection can be thrown
    // away unread (seen once under ASan: 4 failures for 5 flips). Never more
    // failures than flips, and most flips must be caught.
    CHECK(checksum_failures <= flipped.load());
    CHECK(2 * checksum_failures >= flipped.load());
    CHECK(reconnects >= drops + partitions);
    if (delays > 0) {
        CHECK(proxy.delayed_chunks() > 0);
    }
    if (throttles > 0) {
        CHECK(proxy.throttle_waits() > 0);
    }
    WARN("figure: " << faults << " proxy faults (" << drops << " drops, " << cuts << " mid-frame cuts, " << stalls
                    << " stalls, " << partitions << " partitions refusing " << proxy.refused_during_partition()
                    << " connections, " << corrupts << " corruptions armed, " << flipped.load()
                    << " batches flipped, " << delays << " delays holding " << proxy.delayed_chunks()
                    << " chunks, " << throttles << " throttles waiting " << proxy.throttle_waits()
                    << " times for tokens, replica up to " << max_lag_throttled
                    << " tx behind at a throttle's end) in " << fault_seconds << " s under " << last / fault_seconds
                    << " tx/s; " << last << " transactions identical; reconnects " << reconnects
                    << ", checksum failures " << checksum_failures << ", apply failures "
                    << m["database.foo-replica.ccdr.replica.apply_failures"] << ", proxy connections "
                    << proxy.connections() << ", proxy kills " << proxy.kills() << ", "
                    << proxy.downstream_bytes() / fault_seconds / 1024 << " KiB/s downstream");
}

// checkpoint_bench: what WAL checkpoints cost the commits of one member
// store under the lag benchmark's load (issue 18 item 1: "checkpoints never
// run inside a commit and keep up with continuous readers"). 4 writers
// commit ~200-byte change records at RATE tx/s in all, each commit made
// durable before the next (as a Bolt client waits), while a reader polls the
// store POLLS times a second (a count in a read transaction, as the lag
// benchmark's poller reads the replica). Prints the commit latency
// percentiles and maximum, how many commits took over 50 ms, the WAL file's
// largest size, and the checkpointer's counters (store/wal_checkpointer.hpp).
// Asserts nothing about speed.
//
// Runs twice on new stores: SQLite's checkpoints inside the commit (the
// store before the checkpointer), then the store's checkpointer.
//
//   checkpoint_bench [SECONDS] [RATE] [POLLS]     (defaults 15 1000 2000)
#include "store/change_record.hpp"
#include "store/member_store.hpp"
#include "store/sqlite.hpp"
#include "store/value_codec.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <unistd.h>

using namespace refhost;
using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;

namespace {

std::vector<uint8_t> record_200(int64_t id) {
    ChangeRecordWriter w;
    w.create_node(id, {"Customer"},
                  Map{{"name", Value("customer-" + std::to_string(id))},
                      {"email", Value("customer" + std::to_string(id) + "@example.com")},
                      {"city", Value(std::string("Frankfurt am Main"))},
                      {"score", Value(id * 7)},
                      {"note", Value(std::string(90, 'n'))}});
    return w.bytes();
}

double percentile(std::vector<double>& v, double p) {
    if (v.empty()) {
        return 0;
    }
    std::sort(v.begin(), v.end());
    return v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())))];
}

// One run on a new store; false when a commit failed.
bool run(bool background, int seconds, int rate, int polls) {
    constexpr int kWriters = 4;
    const fs::path dir = fs::temp_directory_path() / ("ccdr-checkpoint-bench-" + std::to_string(::getpid()));
    fs::remove_all(dir);
    bool ok = true;
    {
        MemberStore::Options options;
        options.background_checkpoints = background;
        auto opened = MemberStore::open(dir / "member", "bench-store", options);
        if (!opened) {
            std::fprintf(stderr, "cannot open the store: %s\n", opened.status().message().c_str());
            return false;
        }
        std::shared_ptr<MemberStore> store = *opened;
        const fs::path wal = store->file().string() + "-wal";
        std::atomic<bool> stop{false};
        std::atomic<int64_t> next_id{0};
        std::atomic<int> failures{0};
        std::atomic<uint64_t> reads{0};
        std::atomic<uintmax_t> wal_max{0};
        std::mutex lat_mu;
        std::vector<double> latencies_ms;
        const auto start = Clock::now();
        const auto end = start + std::chrono::seconds(seconds);

        std::vector<std::thread> threads;
        for (int w = 0; w < kWriters; ++w) {
            threads.emplace_back([&, w] {
                const auto period = std::chrono::microseconds(1'000'000LL * kWriters / rate);
                auto due = start + period * w / kWriters;
                std::vector<double> mine;
                while (Clock::now() < end && failures.load() == 0) {
                    std::this_thread::sleep_until(due);
                    due += period;
                    const int64_t id = next_id.fetch_add(1);
                    const std::vector<uint8_t> record = record_200(id);
                    const auto t0 = Clock::now();
                    auto lock = store->lock_for_write();
                    auto lease = store->connection();
                    if (!lock || !lease || !(*lease)->begin_write()) {
                        failures.fetch_add(1);
                        break;
                    }
                    IdHighWater ids;
                    ccdr::Status st = (*lease)->apply_record(record, ids);
                    auto stamp = st ? store->commit_write(*lock, **lease, record, ids)
                                    : ccdr::Result<CommitStamp>(st);
                    lock->release();
                    if (!stamp || !store->make_durable(stamp->tx_id)) {
                        failures.fetch_add(1);
                        break;
                    }
                    mine.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
                }
                std::lock_guard g(lat_mu);
                latencies_ms.insert(latencies_ms.end(), mine.begin(), mine.end());
            });
        }
        threads.emplace_back([&] {
            const auto period = std::chrono::microseconds(1'000'000 / std::max(1, polls));
            auto due = Clock::now();
            while (Clock::now() < end) {
                std::this_thread::sleep_until(due);
                due += period;
                auto lease = store->connection();
                if (lease && (*lease)->begin_read()) {
                    (void)(*lease)->count_nodes("Customer");
                    (*lease)->rollback();
                    reads.fetch_add(1);
                }
                std::error_code ec;
                const uintmax_t size = fs::file_size(wal, ec);
                if (!ec && size > wal_max.load()) {
                    wal_max.store(size);
                }
            }
        });
        for (auto& t : threads) {
            t.join();
        }
        const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
        const auto c = store->checkpoints();
        const size_t slow = static_cast<size_t>(
            std::count_if(latencies_ms.begin(), latencies_ms.end(), [](double ms) { return ms > 50.0; }));
        const size_t commits = latencies_ms.size();
        std::printf("== %s\n", background ? "checkpoints in the store's thread (wal_checkpointer)"
                                             : "SQLite's checkpoints inside the commit (wal_autocheckpoint 8192)");
        std::printf("commits %zu in %.1f s (%.0f tx/s asked %d), reads %.0f/s\n", commits, elapsed,
                    static_cast<double>(commits) / elapsed, rate, static_cast<double>(reads.load()) / elapsed);
        const double p50 = percentile(latencies_ms, 0.50);
        const double p99 = percentile(latencies_ms, 0.99);
        const double max = latencies_ms.empty() ? 0.0 : latencies_ms.back();  // sorted by percentile()
        std::printf("commit latency ms: p50 %.3f p99 %.3f max %.3f; over 50 ms: %zu\n", p50, p99, max, slow);
        std::printf("WAL largest %.1f MiB; checkpoints: %llu background runs, %llu completed (%llu without the "
                    "write lock; longest hold %.1f ms), %llu inside a commit\n",
                    static_cast<double>(wal_max.load()) / (1024.0 * 1024.0),
                    static_cast<unsigned long long>(c.runs), static_cast<unsigned long long>(c.completed),
                    static_cast<unsigned long long>(c.completed_unlocked), static_cast<double>(c.locked_us_max) / 1000.0,
                    static_cast<unsigned long long>(c.inline_runs));
        if (failures.load() != 0) {
            std::fprintf(stderr, "a commit failed: the figures are not meaningful\n");
            ok = false;
        }
    }
    fs::remove_all(dir);
    return ok;
}

}  // namespace

int main(int argc, char** argv) {
    const int seconds = argc > 1 ? std::atoi(argv[1]) : 15;
    const int rate = argc > 2 ? std::atoi(argv[2]) : 1000;
    const int polls = argc > 3 ? std::atoi(argv[3]) : 2000;
    sql::configure_process();
    const bool inline_ok = run(false, seconds, rate, polls);
    const bool background_ok = run(true, seconds, rate, polls);
    return inline_ok && background_ok ? 0 : 1;
}

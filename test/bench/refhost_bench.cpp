// refhost_bench: single-member commit throughput through DbmsApi, and
// apply_batch throughput (the replica's apply path) for ~200-byte
// transactions (one node with properties), and the time make_replica takes
// to revert a member (log replay into a new generation), beside a bare
// SQLite loop writing the same records (the floor under apply_batch). Prints figures;
// asserts nothing about speed. --quick runs a short form.
#include "plugin_host/store_access.hpp"
#include "store/change_record.hpp"
#include "store/sqlite.hpp"
#include "store/value_codec.hpp"
#include "support/refhost_home.hpp"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>

#include <sqlite3.h>
#include <sys/resource.h>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

using namespace refhost;
using Clock = std::chrono::steady_clock;

namespace {

Map props_200(int64_t i) {
    return Map{{"name", Value("customer-" + std::to_string(i))},
               {"email", Value("customer" + std::to_string(i) + "@example.com")},
               {"city", Value(std::string("Frankfurt am Main"))},
               {"score", Value(i * 7)},
               {"balance", Value(1234.5 + static_cast<double>(i))},
               {"note", Value(std::string(70, 'n'))}};
}

// Commit times as a replica receives them in a catch-up: recent. (Times of
// 2023 made the host's retention pruning, "2 days" by default, delete every
// batch right after it was applied, and the apply figure carried the
// pruning's CPU: 13 % of the profile.)
int64_t recent_commit_time_ms(int64_t i) {
    static const int64_t base = std::chrono::duration_cast<std::chrono::milliseconds>(
                                    std::chrono::system_clock::now().time_since_epoch()).count() - 3'600'000;
    return base + i;
}

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// CPU seconds used by the whole process so far (all threads), in user space
// and in the kernel: the figures that stay meaningful on a shared, noisy
// machine (the kernel's share is mostly writing and syncing files).
struct Cpu {
    double user = 0;
    double sys = 0;
    Cpu operator-(const Cpu& o) const { return Cpu{user - o.user, sys - o.sys}; }
};
Cpu cpu_seconds() {
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    auto s = [](const timeval& tv) { return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6; };
    return Cpu{s(ru.ru_utime), s(ru.ru_stime)};
}

// False (after saying so) when a commit failed: the figure would be wrong.
bool bench_commits(int txs, int threads) {
    test::TempHome home(1);
    auto cluster = home.open_cluster();
    AuthUser user{"neo4j", {"admin"}};
    std::vector<std::thread> workers;
    std::atomic<int> failed{0};
    Cpu c0 = cpu_seconds();
    auto t0 = Clock::now();
    for (int t = 0; t < threads; ++t) {
        workers.emplace_back([&, t] {
            for (int i = t; i < txs; i += threads) {
                auto tx = cluster->begin(0, "neo4j", AccessMode::Write, user, {}, std::chrono::seconds(5));
                if (!tx.ok() || !tx.value()->graph().create_node({"Customer"}, props_200(i)).ok() ||
                    !tx.value()->commit().ok()) {
                    failed.fetch_add(1);
                    return;
                }
            }
        });
    }
    for (auto& w : workers) {
        w.join();
    }
    double s = seconds_since(t0);
    Cpu cpu = cpu_seconds() - c0;
    if (failed.load() != 0) {
        std::fprintf(stderr, "single-member commit, %d threads: %d of them stopped at a failed commit\n", threads,
                     failed.load());
        return false;
    }
    std::printf("single-member commit (WAL, group commit: one fsync per group, %d thread%s): %d tx in %.2f s = %.0f tx/s "
                "(CPU per tx: %.1f us user, %.1f us kernel)\n",
                threads, threads == 1 ? "" : "s", txs, s, txs / s, cpu.user / txs * 1e6, cpu.sys / txs * 1e6);
    return true;
}

void bench_apply(int txs, int batch) {
    test::TempHome home(1);
    auto cluster = home.open_cluster();
    ccdr::DatabaseSpec spec;
    spec.name = "bench-replica";
    spec.kind = CCDR_KIND_REPLICA;
    spec.primaries = 1;
    if (!cluster->create(spec).is_ok()) {
        std::fprintf(stderr, "cannot create the replica\n");
        return;
    }
    // Records prepared up front, as a replica receives them.
    std::vector<std::vector<uint8_t>> records;
    records.reserve(static_cast<size_t>(txs));
    size_t bytes = 0;
    for (int i = 0; i < txs; ++i) {
        ChangeRecordWriter w;
        w.create_node(i, {"Customer"}, props_200(i));
        bytes += w.bytes().size();
        records.push_back(w.bytes());
    }
    std::vector<ccdr_tx> views(static_cast<size_t>(txs));
    for (int i = 0; i < txs; ++i) {
        views[static_cast<size_t>(i)] = ccdr_tx{static_cast<uint64_t>(i + 1), recent_commit_time_ms(i),
                                                ccdr_bytes{records[static_cast<size_t>(i)].data(),
                                                           records[static_cast<size_t>(i)].size()}};
    }
    Cpu c0 = cpu_seconds();
    auto t0 = Clock::now();
    for (int i = 0; i < txs; i += batch) {
        size_t n = static_cast<size_t>(std::min(batch, txs - i));
        ccdr::Status st = StoreAccess(*cluster).apply_batch(0, "bench-replica",
                                               std::span<const ccdr_tx>(views.data() + i, n));
        if (!st) {
            std::fprintf(stderr, "apply_batch failed: %s\n", st.message().c_str());
            return;
        }
    }
    double s = seconds_since(t0);
    Cpu cpu = cpu_seconds() - c0;
    std::printf("apply_batch (%d tx per batch, %.0f bytes per tx): %d tx in %.2f s = %.0f tx/s, %.1f MB/s "
                "(CPU per tx: %.2f us user, %.2f us kernel)\n",
                batch, static_cast<double>(bytes) / txs, txs, s, txs / s, static_cast<double>(bytes) / s / 1e6,
                cpu.user / txs * 1e6, cpu.sys / txs * 1e6);
}

// The floor under apply_batch (issue 18 item 8): a bare SQLite loop that
// writes the same change records, one row per transaction, in SQLite
// transactions of `batch` rows with one sync of the WAL each
// (synchronous=FULL in WAL mode), as apply_batch commits a batch. No graph
// tables, no log, no state row: what SQLite alone costs for the same bytes
// and the same durability. False when SQLite failed (the figure would be wrong).
bool bench_sqlite_floor(int txs, int batch) {
    test::TempHome home(1);
    const std::string file = (home.path() / "sqlite-floor.db").string();
    sqlite3* db = nullptr;
    auto fail = [&](const char* what) {
        std::fprintf(stderr, "sqlite floor: %s: %s\n", what, db ? sqlite3_errmsg(db) : "no connection");
        sqlite3_close(db);
        return false;
    };
    if (sqlite3_open(file.c_str(), &db) != SQLITE_OK) {
        return fail("open");
    }
    if (sqlite3_exec(db,
                     "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; "
                     "CREATE TABLE tx(id INTEGER PRIMARY KEY, commit_time INTEGER NOT NULL, payload BLOB NOT NULL)",
                     nullptr, nullptr, nullptr) != SQLITE_OK) {
        return fail("schema");
    }
    std::vector<std::vector<uint8_t>> records;
    records.reserve(static_cast<size_t>(txs));
    size_t bytes = 0;
    for (int i = 0; i < txs; ++i) {
        ChangeRecordWriter w;
        w.create_node(i, {"Customer"}, props_200(i));
        bytes += w.bytes().size();
        records.push_back(w.bytes());
    }
    sqlite3_stmt* insert = nullptr;
    if (sqlite3_prepare_v2(db, "INSERT INTO tx(id, commit_time, payload) VALUES (?, ?, ?)", -1, &insert, nullptr) !=
        SQLITE_OK) {
        return fail("prepare");
    }
    Cpu c0 = cpu_seconds();
    auto t0 = Clock::now();
    bool ok = true;
    for (int i = 0; i < txs && ok; i += batch) {
        ok = sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr) == SQLITE_OK;
        for (int k = i; ok && k < std::min(txs, i + batch); ++k) {
            const auto& r = records[static_cast<size_t>(k)];
            sqlite3_bind_int64(insert, 1, k + 1);
            sqlite3_bind_int64(insert, 2, recent_commit_time_ms(k));
            sqlite3_bind_blob(insert, 3, r.data(), static_cast<int>(r.size()), SQLITE_STATIC);
            ok = sqlite3_step(insert) == SQLITE_DONE;
            sqlite3_reset(insert);
        }
        ok = ok && sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr) == SQLITE_OK;
    }
    double s = seconds_since(t0);
    Cpu cpu = cpu_seconds() - c0;
    sqlite3_finalize(insert);
    if (!ok) {
        return fail("insert");
    }
    sqlite3_close(db);
    std::printf("sqlite floor (%d rows per SQLite transaction, %.0f bytes per row, WAL, one sync per transaction): "
                "%d tx in %.2f s = %.0f tx/s, %.1f MB/s (CPU per tx: %.2f us user, %.2f us kernel)\n",
                batch, static_cast<double>(bytes) / txs, txs, s, txs / s, static_cast<double>(bytes) / s / 1e6,
                cpu.user / txs * 1e6, cpu.sys / txs * 1e6);
    return true;
}

// make_replica going back `undo` transactions on a one-member standard
// database of `txs` transactions: the member's log is replayed from tx 1
// into a new store generation (docs/refhost.md, Going back in the log).
void bench_revert(int txs, int undo) {
    test::TempHome home(1);
    auto cluster = home.open_cluster();
    ccdr::DatabaseSpec spec;
    spec.name = "bench-revert";
    spec.kind = CCDR_KIND_STANDARD;
    spec.primaries = 1;
    if (!cluster->create(spec).is_ok()) {
        std::fprintf(stderr, "cannot create the database\n");
        return;
    }
    auto store = cluster->database("bench-revert")->members[0]->store();
    {
        auto lock = store->lock_for_write();
        std::vector<std::vector<uint8_t>> records;
        std::vector<ccdr_tx> views;
        for (int i = 0; i < txs; i += 1000) {
            records.clear();
            views.clear();
            for (int k = i; k < std::min(txs, i + 1000); ++k) {
                ChangeRecordWriter w;
                w.create_node(k, {"Customer"}, props_200(k));
                records.push_back(w.bytes());
            }
            for (size_t k = 0; k < records.size(); ++k) {
                views.push_back(ccdr_tx{static_cast<uint64_t>(i) + k + 1, recent_commit_time_ms(i + static_cast<int64_t>(k)),
                                        ccdr_bytes{records[k].data(), records[k].size()}});
            }
            if (!lock || !store->apply(*lock, views)) {
                std::fprintf(stderr, "filling the store failed\n");
                return;
            }
        }
    }
    struct Count {
        int n = 0;
    } heard;
    ccdr_undone_sink sink{CCDR_HEADER_INIT(ccdr_undone_sink), &heard, [](void* c, const ccdr_undone_tx*) {
                              ++static_cast<Count*>(c)->n;
                              return CCDR_OK;
                          }};
    Cpu c0 = cpu_seconds();
    auto t0 = Clock::now();
    ccdr::Status st = cluster->make_replica("bench-revert", 2, static_cast<uint64_t>(txs - undo), {}, &sink);
    double s = seconds_since(t0);
    Cpu cpu = cpu_seconds() - c0;
    if (!st) {
        std::fprintf(stderr, "make_replica failed: %s\n", st.message().c_str());
        return;
    }
    std::printf("make_replica reverting %d of %d tx (log replay of %d tx into a new generation): %.2f s = %.0f tx "
                "replayed/s (CPU: %.2f s user, %.2f s kernel); %d undone tx passed to the sink\n",
                undo, txs, txs - undo, s, (txs - undo) / s, cpu.user, cpu.sys, heard.n);
}

}  // namespace

int main(int argc, char** argv) {
    refhost::sql::configure_process();  // the floor runs with SQLite set up as the refhost's store
    // --apply N: only apply_batch, N transactions in batches of what fits in
    // the plugin's default ccdr.batch.max_bytes (1 MiB): the raw rate that
    // test/bench/vs-postgres compares end-to-end catch-up with.
    if (argc > 2 && std::strcmp(argv[1], "--apply") == 0) {
        int n = std::atoi(argv[2]);
        ChangeRecordWriter w;
        w.create_node(n, {"Customer"}, props_200(n));
        bench_apply(n, static_cast<int>((1u << 20) / w.bytes().size()));
        return 0;
    }
    // --sqlite-floor N: the bare SQLite loop with the same records and the
    // same batch size as --apply N (vs-postgres prints raw_apply against it).
    if (argc > 2 && std::strcmp(argv[1], "--sqlite-floor") == 0) {
        int n = std::atoi(argv[2]);
        ChangeRecordWriter w;
        w.create_node(n, {"Customer"}, props_200(n));
        return bench_sqlite_floor(n, static_cast<int>((1u << 20) / w.bytes().size())) ? 0 : 1;
    }
    bool quick = argc > 1 && std::strcmp(argv[1], "--quick") == 0;
    int commits = quick ? 2'000 : 20'000;
    int applies = quick ? 50'000 : 1'000'000;
    if (!bench_commits(commits, 1) || !bench_commits(commits, 4)) {
        return 1;
    }
    bench_apply(applies, 1000);
    if (!bench_sqlite_floor(applies, 1000)) {
        return 1;
    }
    bench_apply(applies / 10, 100);
    bench_revert(quick ? 10'000 : 200'000, 100);
    return 0;
}

// running_fingerprint_bench: the two costs of continuous verification on the
// refhost (docs/benchmarks.md, "Continuous verification").
//
// (a) The commit path: commits of ~200-byte transactions (a new node with
//     six properties, and a property update of an earlier node, so both the
//     insert and the read-modify-write paths move the value) through
//     MemberStore's writer path (apply the record, commit_write, make_durable),
//     with the running fingerprint kept and with it turned off
//     (MemberStore::Options::running_fingerprint = false, which exists for
//     this comparison only). Runs alternate on/off on fresh stores; the
//     median of each is printed with the cost in percent, once with a synced
//     commit per transaction (the real commit path) and once without syncing
//     (CPU only: the worst case for the relative cost).
// (b) One verification's store-side cost: reading the member's running value
//     (tx 0: the replica's side) and the value logged at a tx (the upstream's
//     side), at 10 000 and at 1 000 000 nodes; the full-read
//     content_fingerprint at both sizes for contrast.
// Prints figures; asserts nothing about speed. --quick runs a short form.
#include "store/change_record.hpp"
#include "store/member_store.hpp"
#include "store/value_codec.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <random>
#include <string>
#include <unistd.h>
#include <vector>

using namespace refhost;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

fs::path scratch(const std::string& what) {
    fs::path p = fs::temp_directory_path() / ("ccdr-runfp-bench-" + std::to_string(::getpid()) + "-" + what);
    fs::remove_all(p);
    return p;
}

Map props_200(int64_t i) {
    return Map{{"name", Value("customer-" + std::to_string(i))},
               {"email", Value("customer" + std::to_string(i) + "@example.com")},
               {"city", Value(std::string("Frankfurt am Main"))},
               {"score", Value(i * 7)},
               {"balance", Value(1234.5 + static_cast<double>(i))},
               {"note", Value(std::string(70, 'n'))}};
}

[[noreturn]] void die(const std::string& what, const ccdr::Status& st) {
    std::fprintf(stderr, "%s: %s\n", what.c_str(), st.message().c_str());
    std::exit(1);
}

// Commits `txs` transactions as the writer does; returns tx/s.
double commit_run(bool keep, bool sync, int txs) {
    fs::path dir = scratch(std::string("commit-") + (keep ? "on" : "off"));
    MemberStore::Options o;
    o.sync_commits = sync;
    o.running_fingerprint = keep;
    auto store = MemberStore::open(dir, "bench", o);
    if (!store) {
        die("open", store.status());
    }
    MemberStore& s = **store;
    auto t0 = Clock::now();
    for (int i = 0; i < txs; ++i) {
        ChangeRecordWriter w;
        w.create_node(i, {"Customer"}, props_200(i));
        if (i > 0) {
            w.set_node_property(i / 2, "score", Value(static_cast<int64_t>(i)));
        }
        auto lock = s.lock_for_write();
        if (!lock) {
            die("lock", lock.status());
        }
        auto lease = s.connection();
        if (!lease) {
            die("connection", lease.status());
        }
        ccdr::Status st = (*lease)->begin_write();
        IdHighWater ids{s.written_state().next_node_id, s.written_state().next_rel_id};
        if (st) {
            st = (*lease)->apply_record(w.bytes(), ids);
        }
        if (!st) {
            die("apply", st);
        }
        auto stamp = s.commit_write(*lock, **lease, w.bytes(), ids);
        if (!stamp) {
            die("commit", stamp.status());
        }
        lock->release();
        st = s.make_durable(stamp->tx_id);
        if (!st) {
            die("durable", st);
        }
    }
    double rate = txs / seconds_since(t0);
    store->reset();
    fs::remove_all(dir);
    return rate;
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

void bench_commit(bool sync, int txs, int rounds) {
    std::vector<double> on, off;
    for (int r = 0; r < rounds; ++r) {
        // Alternate, so drift of a shared machine hits both alike.
        if (r % 2 == 0) {
            on.push_back(commit_run(true, sync, txs));
            off.push_back(commit_run(false, sync, txs));
        } else {
            off.push_back(commit_run(false, sync, txs));
            on.push_back(commit_run(true, sync, txs));
        }
    }
    const double a = median(on);
    const double b = median(off);
    std::printf("commit path, %s, %d tx x %d rounds: without running fingerprint %.0f tx/s, with %.0f tx/s: "
                "cost %.2f %%\n",
                sync ? "one synced commit per tx" : "commits not synced (CPU only)", txs, rounds, b, a,
                (b - a) / b * 100.0);
}

// A store of `nodes` nodes (and half as many relationships), built in large
// transactions without syncing.
std::shared_ptr<MemberStore> build_store(const fs::path& dir, int64_t nodes) {
    MemberStore::Options o;
    o.sync_commits = false;
    auto store = MemberStore::open(dir, "bench", o);
    if (!store) {
        die("open", store.status());
    }
    MemberStore& s = **store;
    const int64_t per_tx = 10'000;
    std::vector<std::vector<uint8_t>> payloads;
    for (int64_t first = 0; first < nodes; first += per_tx) {
        ChangeRecordWriter w;
        const int64_t last = std::min(nodes, first + per_tx);
        for (int64_t i = first; i < last; ++i) {
            w.create_node(i, {"Customer"}, props_200(i));
        }
        for (int64_t i = first + 1; i < last; i += 2) {
            w.create_relationship(i / 2, "KNOWS", i - 1, i, Map{{"since", Value(i)}});
        }
        auto lock = s.lock_for_write();
        if (!lock) {
            die("lock", lock.status());
        }
        const auto& b = w.bytes();
        ccdr_tx tx{s.last_committed() + 1, 1'700'000'000'000, ccdr_bytes{b.data(), b.size()}};
        ccdr::Status st = s.apply(*lock, std::span<const ccdr_tx>(&tx, 1));
        if (!st) {
            die("apply", st);
        }
    }
    return *store;
}

void bench_verification(int64_t nodes, int reads) {
    fs::path dir = scratch("verify-" + std::to_string(nodes));
    auto t0 = Clock::now();
    auto store = build_store(dir, nodes);
    const double built = seconds_since(t0);
    const uint64_t last = store->last_committed();
    std::vector<double> now_us, at_us;
    std::string now_hex, at_hex;
    for (int i = 0; i < reads; ++i) {
        auto a = Clock::now();
        auto f = store->running_fingerprint(0);
        now_us.push_back(seconds_since(a) * 1e6);
        auto b = Clock::now();
        auto g = store->running_fingerprint(last > 1 ? last - 1 : last);
        at_us.push_back(seconds_since(b) * 1e6);
        if (!f || !g) {
            die("running_fingerprint", f ? g.status() : f.status());
        }
        now_hex = f->hex;
        at_hex = g->hex;
    }
    auto c = Clock::now();
    auto full = store->content_fingerprint();
    const double full_s = seconds_since(c);
    if (!full) {
        die("content_fingerprint", full.status());
    }
    std::printf("verification at %lld nodes (%lld relationships; store built in %.1f s, %llu txs): running "
                "fingerprint now (replica side) median %.1f us, at tx %llu (upstream side) median %.1f us over %d "
                "reads; full-read content_fingerprint %.3f s\n",
                static_cast<long long>(nodes), static_cast<long long>(nodes / 2), built,
                static_cast<unsigned long long>(last), median(now_us), static_cast<unsigned long long>(last - 1),
                median(at_us), reads, full_s);
    store.reset();
    fs::remove_all(dir);
}

}  // namespace

int main(int argc, char** argv) {
    const bool quick = argc > 1 && std::strcmp(argv[1], "--quick") == 0;
    const int rounds = quick ? 3 : 5;
    bench_commit(true, quick ? 2'000 : 10'000, rounds);
    bench_commit(false, quick ? 5'000 : 50'000, rounds);
    for (int64_t nodes : {int64_t{10'000}, int64_t{1'000'000}}) {
        bench_verification(nodes, quick ? 200 : 2'000);
    }
    return 0;
}

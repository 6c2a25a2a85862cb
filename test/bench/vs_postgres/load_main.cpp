// vs_postgres_load: the client side of test/bench/vs-postgres. One process
// drives either system through the same Connection interface, so the work
// and the way it is timed are the same on both sides. Modes (one per run):
//
//   commit   --clients C --txs N --seq-base B
//            N auto-commit transactions as fast as C clients go; prints
//            `commit_tps`.
//   lag      --clients C --rate R --seconds S --seq-base B --csv FILE
//            R tx/s in all, paced per client, for S seconds, while one more
//            connection polls the replica back to back; a transaction is
//            visible at the first poll answer that shows it. Prints
//            `lag_p50_ms`, `lag_p99_ms`, `lag_max_ms`; FILE gets
//            "seconds_since_start,lag_ms" per transaction.
//   catchup  --target POS [--pid-file F] --seconds LIMIT
//            polls the replica (connecting as soon as it accepts) until its
//            position reaches POS; meanwhile samples the proportional set
//            size (PSS) of the process tree rooted at F's pid. Prints
//            `catchup_ms` and `peak_pss_kb`.
//   position prints `position` of the upstream (or --replica-side).
//   promote  promotes the replica and writes to it until a write succeeds;
//            prints `promote_ms` (call to first successful write).
//
// Endpoints: --system ccdr|postgres --upstream PORT --replica PORT
// --db NAME (upstream) --replica-db NAME --password PW.
#include "vs_postgres/connection.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <dirent.h>

using namespace vs_postgres;
using Clock = std::chrono::steady_clock;

namespace {

struct Options {
    std::string mode;
    Endpoint upstream;
    Endpoint replica;
    int clients = 4;
    int64_t txs = 1000;
    int64_t seq_base = 0;
    double rate = 1000;
    double seconds = 10;
    std::string csv;
    int64_t target = 0;
    std::string pid_file;
    bool replica_side = false;
};

[[noreturn]] void die(const std::string& what) {
    std::fprintf(stderr, "vs_postgres_load: %s\n", what.c_str());
    std::exit(1);
}

Options parse(int argc, char** argv) {
    if (argc < 2) {
        die("usage: vs_postgres_load commit|lag|catchup|position|promote [options] (see the source's header)");
    }
    Options o;
    o.mode = argv[1];
    for (int i = 2; i < argc; ++i) {
        std::string k = argv[i];
        if (k == "--replica-side") {
            o.replica_side = true;
            continue;
        }
        if (i + 1 >= argc) {
            die("option " + k + " needs a value");
        }
        std::string v = argv[++i];
        if (k == "--system") {
            if (v != "ccdr" && v != "postgres") {
                die("--system is ccdr or postgres, not " + v);
            }
            o.upstream.system = o.replica.system = v == "ccdr" ? System::Ccdr : System::Postgres;
        } else if (k == "--upstream") {
            o.upstream.port = static_cast<uint16_t>(std::stoi(v));
            o.upstream.find_writer = true;
        } else if (k == "--replica") {
            o.replica.port = static_cast<uint16_t>(std::stoi(v));
        } else if (k == "--db") {
            o.upstream.database = v;
        } else if (k == "--replica-db") {
            o.replica.database = v;
        } else if (k == "--password") {
            o.upstream.password = o.replica.password = v;
        } else if (k == "--clients") {
            o.clients = std::stoi(v);
        } else if (k == "--txs") {
            o.txs = std::stoll(v);
        } else if (k == "--seq-base") {
            o.seq_base = std::stoll(v);
        } else if (k == "--rate") {
            o.rate = std::stod(v);
        } else if (k == "--seconds") {
            o.seconds = std::stod(v);
        } else if (k == "--csv") {
            o.csv = v;
        } else if (k == "--target") {
            o.target = std::stoll(v);
        } else if (k == "--pid-file") {
            o.pid_file = v;
        } else {
            die("unknown option " + k);
        }
    }
    if (o.replica.database.empty()) {
        o.replica.database = o.upstream.database;
    }
    return o;
}

std::unique_ptr<Connection> must_connect(const Endpoint& e) {
    auto c = connect(e);
    if (!c) {
        die("connect to port " + std::to_string(e.port) + ": " + c.error().message);
    }
    return std::move(c.value());
}

double ms_between(Clock::time_point a, Clock::time_point b) {
    return std::chrono::duration<double, std::milli>(b - a).count();
}

// One committed transaction: its token and when the client had the answer.
struct Commit {
    Token token;
    Clock::time_point acked;
};

// Runs `clients` writers; each writes txs/clients records with seqs
// seq_base + k (k = 0, 1, ...), paced to `rate` in all when rate > 0, until
// `deadline` when set. Returns every commit.
std::vector<Commit> run_writers(const Options& o, int64_t txs, double rate, Clock::time_point deadline,
                                Clock::time_point start) {
    std::vector<std::vector<Commit>> per_client(static_cast<size_t>(o.clients));
    std::vector<std::thread> threads;
    std::atomic<bool> failed{false};
    for (int c = 0; c < o.clients; ++c) {
        threads.emplace_back([&, c] {
            auto conn = connect(o.upstream);
            if (!conn) {
                std::fprintf(stderr, "vs_postgres_load: client %d: %s\n", c, conn.error().message.c_str());
                failed = true;
                return;
            }
            auto& mine = per_client[static_cast<size_t>(c)];
            const int64_t share = txs / o.clients + (c < txs % o.clients ? 1 : 0);
            mine.reserve(static_cast<size_t>(share));
            // Each client's commits are spaced clients/rate apart, the
            // clients offset from each other by 1/rate.
            const auto period = std::chrono::duration<double>(rate > 0 ? o.clients / rate : 0);
            const auto offset = std::chrono::duration<double>(rate > 0 ? c / rate : 0);
            for (int64_t k = 0; k < share && !failed; ++k) {
                if (rate > 0) {
                    auto due = start + std::chrono::duration_cast<Clock::duration>(offset + period * k);
                    // The run ends at the deadline even when commits fell
                    // behind the schedule (the achieved rate says so).
                    if (due >= deadline || Clock::now() >= deadline) {
                        break;
                    }
                    std::this_thread::sleep_until(due);
                }
                auto t = conn.value()->insert(c, o.seq_base + k);
                if (!t) {
                    std::fprintf(stderr, "vs_postgres_load: client %d: %s\n", c, t.error().message.c_str());
                    failed = true;
                    return;
                }
                mine.push_back(Commit{t.value(), Clock::now()});
            }
        });
    }
    for (auto& t : threads) {
        t.join();
    }
    if (failed) {
        die("a client failed");
    }
    std::vector<Commit> all;
    for (auto& v : per_client) {
        all.insert(all.end(), v.begin(), v.end());
    }
    return all;
}

int mode_commit(const Options& o) {
    auto start = Clock::now();
    auto commits = run_writers(o, o.txs, 0, Clock::time_point::max(), start);
    double s = ms_between(start, Clock::now()) / 1000;
    std::printf("commits %zu\nseconds %.3f\ncommit_tps %.0f\n", commits.size(), s, commits.size() / s);
    return 0;
}

double percentile(std::vector<double>& v, double p) {
    if (v.empty()) {
        return 0;
    }
    std::sort(v.begin(), v.end());
    size_t i = static_cast<size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
    return v[std::min(i, v.size() - 1)];
}

int mode_lag(const Options& o) {
    struct Poll {
        Clock::time_point answered;
        std::vector<int64_t> visible;
    };
    std::vector<Poll> polls;
    polls.reserve(1 << 20);
    std::mutex polls_mu;
    std::atomic<bool> stop{false};
    auto prober = must_connect(o.replica);
    const int streams = o.upstream.system == System::Ccdr ? 1 : o.clients;
    std::thread poller([&] {
        while (!stop.load()) {
            auto v = prober->visible(o.clients);
            if (!v) {
                die("polling the replica: " + v.error().message);
            }
            std::lock_guard lock(polls_mu);
            polls.push_back(Poll{Clock::now(), std::move(v.value())});
        }
    });
    auto start = Clock::now();
    auto deadline = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.seconds));
    auto commits = run_writers(o, static_cast<int64_t>(o.rate * o.seconds) + o.clients, o.rate, deadline, start);
    const double sent_s = ms_between(start, Clock::now()) / 1000;
    // Keep polling until the last commit of every stream shows up (10 s at most).
    std::map<int, int64_t> highest;
    for (auto& c : commits) {
        highest[c.token.stream] = std::max(highest[c.token.stream], c.token.position);
    }
    auto settle = Clock::now() + std::chrono::seconds(10);
    while (Clock::now() < settle) {
        bool all = true;
        {
            std::lock_guard lock(polls_mu);
            for (auto& [stream, pos] : highest) {
                if (polls.empty() || stream >= streams || polls.back().visible[static_cast<size_t>(stream)] < pos) {
                    all = false;
                }
            }
        }
        if (all) {
            break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    stop = true;
    poller.join();
    // Per stream, commits by position; the polls in time order are a sweep.
    std::map<int, std::vector<const Commit*>> by_stream;
    for (auto& c : commits) {
        by_stream[c.token.stream].push_back(&c);
    }
    std::vector<std::pair<double, double>> series;  // (commit time since start, lag)
    std::vector<double> lags;
    size_t unseen = 0;
    for (auto& [stream, list] : by_stream) {
        std::sort(list.begin(), list.end(),
                  [](const Commit* a, const Commit* b) { return a->token.position < b->token.position; });
        size_t p = 0;
        for (const Commit* c : list) {
            while (p < polls.size() && polls[p].visible[static_cast<size_t>(stream)] < c->token.position) {
                ++p;
            }
            if (p == polls.size()) {
                ++unseen;
                continue;
            }
            // A poll answered before the client had its commit answer can
            // already show it: that transaction's lag counts as 0.
            double lag = std::max(0.0, ms_between(c->acked, polls[p].answered));
            lags.push_back(lag);
            series.emplace_back(ms_between(start, c->acked) / 1000, lag);
        }
    }
    std::sort(series.begin(), series.end());
    if (!o.csv.empty()) {
        std::ofstream f(o.csv);
        f << "seconds,lag_ms\n";
        for (auto& [t, l] : series) {
            f << t << "," << l << "\n";
        }
    }
    double polls_per_s = static_cast<double>(polls.size()) / (ms_between(start, polls.back().answered) / 1000);
    std::vector<double> copy = lags;
    std::printf("commits %zu\nachieved_tps %.0f\npolls_per_s %.0f\nunseen %zu\n", commits.size(),
                static_cast<double>(commits.size()) / sent_s, polls_per_s, unseen);
    std::printf("lag_p50_ms %.3f\nlag_p99_ms %.3f\nlag_max_ms %.3f\n", percentile(copy, 0.50),
                percentile(copy, 0.99), lags.empty() ? 0.0 : *std::max_element(lags.begin(), lags.end()));
    return unseen == 0 ? 0 : 1;
}

// PSS of a process and all its descendants, kB (shared pages split fairly,
// so PostgreSQL's shared buffers count once across its processes).
int64_t tree_pss_kb(int pid) {
    int64_t total = 0;
    std::ifstream rollup("/proc/" + std::to_string(pid) + "/smaps_rollup");
    std::string line;
    while (std::getline(rollup, line)) {
        if (line.rfind("Pss:", 0) == 0) {
            total += std::stoll(line.substr(4));
            break;
        }
    }
    const std::string task_dir = "/proc/" + std::to_string(pid) + "/task";
    if (DIR* d = opendir(task_dir.c_str())) {
        while (dirent* e = readdir(d)) {
            if (e->d_name[0] == '.') {
                continue;
            }
            std::ifstream children(task_dir + "/" + e->d_name + "/children");
            int child = 0;
            while (children >> child) {
                total += tree_pss_kb(child);
            }
        }
        closedir(d);
    }
    return total;
}

int read_pid(const std::string& file) {
    std::ifstream f(file);
    int pid = 0;
    f >> pid;
    return pid;
}

int mode_catchup(const Options& o) {
    auto start = Clock::now();
    auto limit = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.seconds));
    std::atomic<bool> stop{false};
    std::atomic<int64_t> peak{0};
    std::thread sampler([&] {
        while (!stop.load()) {
            int pid = o.pid_file.empty() ? 0 : read_pid(o.pid_file);
            if (pid > 0) {
                int64_t kb = tree_pss_kb(pid);
                if (kb > peak.load()) {
                    peak = kb;
                }
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
    });
    std::unique_ptr<Connection> conn;
    int64_t pos = -1;
    std::string last_error;
    while (Clock::now() < limit) {
        if (!conn) {
            auto c = connect(o.replica);
            if (!c) {
                last_error = c.error().message;
                std::this_thread::sleep_for(std::chrono::milliseconds(5));
                continue;
            }
            conn = std::move(c.value());
        }
        auto p = conn->position(true);
        if (!p) {
            // A starting server refuses queries for a moment; reconnect.
            last_error = p.error().message;
            conn.reset();
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
            continue;
        }
        pos = p.value();
        if (pos >= o.target) {
            break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    double ms = ms_between(start, Clock::now());
    stop = true;
    sampler.join();
    if (pos < o.target) {
        die("the replica reached " + std::to_string(pos) + " of " + std::to_string(o.target) + " in " +
            std::to_string(o.seconds) + " s (last error: " + last_error + ")");
    }
    std::printf("catchup_ms %.1f\npeak_pss_kb %lld\n", ms, static_cast<long long>(peak.load()));
    return 0;
}

int mode_position(const Options& o) {
    auto conn = must_connect(o.replica_side ? o.replica : o.upstream);
    auto p = conn->position(o.replica_side);
    if (!p) {
        die("position: " + p.error().message);
    }
    std::printf("position %lld\n", static_cast<long long>(p.value()));
    return 0;
}

int mode_promote(const Options& o) {
    auto admin = must_connect(o.replica);
    auto writer = must_connect(o.replica);
    auto start = Clock::now();
    auto done = admin->promote();
    if (!done) {
        die("promote: " + done.error().message);
    }
    const double call_ms = ms_between(start, Clock::now());
    auto limit = start + std::chrono::seconds(60);
    int attempts = 0;
    for (;;) {
        ++attempts;
        auto t = writer->insert(0, o.seq_base);
        if (t) {
            break;
        }
        if (Clock::now() > limit) {
            die("no write succeeded within 60 s of the promotion: " + t.error().message);
        }
        // Routing caches and a connection that saw a read-only refusal may
        // need a fresh start; PostgreSQL's session is fine as it is.
        if (o.replica.system == System::Ccdr) {
            writer = must_connect(o.replica);
        }
        std::this_thread::sleep_for(std::chrono::microseconds(500));
    }
    std::printf("promote_call_ms %.1f\npromote_ms %.1f\nwrite_attempts %d\n", call_ms, ms_between(start, Clock::now()),
                attempts);
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    Options o = parse(argc, argv);
    if (o.mode == "commit") {
        return mode_commit(o);
    }
    if (o.mode == "lag") {
        return mode_lag(o);
    }
    if (o.mode == "catchup") {
        return mode_catchup(o);
    }
    if (o.mode == "position") {
        return mode_position(o);
    }
    if (o.mode == "promote") {
        return mode_promote(o);
    }
    die("unknown mode " + o.mode);
}

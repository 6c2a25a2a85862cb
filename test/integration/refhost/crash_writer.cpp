// refhost_crash_writer: runs the cluster of a HOME (refhost_core, as the
// refhost program does) and commits from several threads as fast as it can,
// printing "ack <tx id> <key>" for every acknowledged commit. Each
// transaction creates two nodes (:Pair {key, part: "a"|"b"}) and a :PAIRED
// relationship between them. The crash test kills it with SIGKILL at random
// moments and checks the store afterwards.
#include "app/runtime.hpp"
#include "dbms/bookmark.hpp"

#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

using namespace refhost;

int main(int argc, char** argv) {
    std::string home;
    int threads = 4;
    for (int i = 1; i + 1 < argc; i += 2) {
        std::string a = argv[i];
        if (a == "--home") {
            home = argv[i + 1];
        } else if (a == "--threads") {
            threads = std::stoi(argv[i + 1]);
        }
    }
    if (home.empty()) {
        std::fprintf(stderr, "usage: refhost_crash_writer --home HOME [--threads N]\n");
        return 2;
    }
    auto rt = Runtime::start(home, {});
    if (!rt) {
        std::fprintf(stderr, "%s\n", rt.status().message().c_str());
        return 1;
    }
    Cluster& cluster = rt.value()->cluster();
    size_t writer = cluster.database("neo4j")->writer()->server();
    AuthUser user{"neo4j", {"admin"}};
    std::mutex out_mu;
    auto say = [&](const std::string& line) {
        std::lock_guard lock(out_mu);
        size_t off = 0;
        while (off < line.size()) {
            ssize_t n = ::write(1, line.data() + off, line.size() - off);
            if (n <= 0) {
                return;
            }
            off += static_cast<size_t>(n);
        }
    };
    say("ready\n");
    std::vector<std::thread> workers;
    std::string run = std::to_string(::getpid());
    for (int t = 0; t < threads; ++t) {
        workers.emplace_back([&, t] {
            for (uint64_t seq = 0;; ++seq) {
                std::string key = run + "-" + std::to_string(t) + "-" + std::to_string(seq);
                auto tx = cluster.begin(writer, "neo4j", AccessMode::Write, user, {}, std::chrono::seconds(5));
                if (!tx) {
                    std::fprintf(stderr, "begin: %s\n", tx.error().message.c_str());
                    continue;
                }
                GraphWriter& g = tx.value()->graph();
                auto a = g.create_node({"Pair"}, Map{{"key", Value(key)}, {"part", Value("a")}});
                auto b = g.create_node({"Pair"}, Map{{"key", Value(key)}, {"part", Value("b")}});
                if (!a.ok() || !b.ok() || !g.create_relationship(a->id, b->id, "PAIRED", {}).ok()) {
                    std::fprintf(stderr, "write failed\n");
                    continue;
                }
                auto bm = tx.value()->commit();
                if (!bm) {
                    std::fprintf(stderr, "commit: %s\n", bm.error().message.c_str());
                    continue;
                }
                auto parsed = Bookmark::parse(bm.value());
                say("ack " + std::to_string(parsed ? parsed->tx_id : 0) + " " + key + "\n");
            }
        });
    }
    for (auto& w : workers) {
        w.join();
    }
    return 0;
}

// test/bench/cypher_bench.cpp: figures for the Cypher engine alone, on the
// in-memory graph (no SQLite, no Bolt): parsing without and with the parse
// cache, CREATE throughput, and MATCH by label and property over N nodes.
// `--quick` runs a small form.
#include "cypher/engine.hpp"
#include "cypher/parse_cache.hpp"
#include "support/refhost_fakes.hpp"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

using namespace refhost;
using namespace refhost::cypher;
using Clock = std::chrono::steady_clock;

namespace {

double seconds_since(Clock::time_point t0) {
    return std::chrono::duration<double>(Clock::now() - t0).count();
}

}  // namespace

int main(int argc, char** argv) {
    bool quick = argc > 1 && std::string(argv[1]) == "--quick";
    const int creates = quick ? 2000 : 20000;
    const int matches = quick ? 200 : 1000;
    const int parses = quick ? 2000 : 20000;
    const std::string medium =
        "MATCH (a:Person {name: $name})-[r:KNOWS]->(b:Person) WHERE b.age > $age AND NOT b.name IN $skip "
        "WITH a, b, r ORDER BY b.age DESC LIMIT 10 RETURN a.name AS from, collect(b.name) AS to, count(r) AS n";

    auto t0 = Clock::now();
    for (int i = 0; i < parses; ++i) {
        auto st = parse_and_check(medium);
    }
    double parse_s = seconds_since(t0);

    ParseCache cache;
    t0 = Clock::now();
    for (int i = 0; i < parses; ++i) {
        auto st = cache.get(medium);
    }
    double cached_s = seconds_since(t0);

    test::FakeDbms dbms;
    auto engine = make_engine();
    AuthUser admin{"neo4j", {"admin"}};
    test::MemoryTransaction tx(dbms.graph, "neo4j", AccessMode::Write);
    QueryContext ctx{dbms, 0, admin, "neo4j", AccessMode::Write, &tx};
    t0 = Clock::now();
    for (int i = 0; i < creates; ++i) {
        auto r = engine->run("CREATE (n:Node {v: $v, name: 'x'})", Map{{"v", int64_t{i}}}, ctx);
        if (!r) {
            std::fprintf(stderr, "CREATE failed: %s\n", r.error().message.c_str());
            return 1;
        }
    }
    double create_s = seconds_since(t0);

    t0 = Clock::now();
    for (int i = 0; i < matches; ++i) {
        auto r = engine->run("MATCH (n:Node {v: $v}) RETURN n", Map{{"v", int64_t{i * 7 % creates}}}, ctx);
        if (!r || r->rows.size() != 1) {
            std::fprintf(stderr, "MATCH failed\n");
            return 1;
        }
    }
    double match_s = seconds_since(t0);

    std::printf("cypher engine (in-memory graph%s)\n", quick ? ", --quick" : "");
    std::printf("  parse+check, medium query, uncached : %8.1f us/query\n", parse_s / parses * 1e6);
    std::printf("  parse cache hit                     : %8.3f us/query\n", cached_s / parses * 1e6);
    std::printf("  CREATE (n:Node {v: $v, name: 'x'})  : %8.0f queries/s (%d)\n", creates / create_s, creates);
    std::printf("  MATCH (n:Node {v: $v}) RETURN n     : %8.0f queries/s over %d nodes (label scan)\n",
                matches / match_s, creates);
    return 0;
}

// ccdr.debug.latency_trace's file (runtime/latency_trace.hpp): one line per
// step, in the documented format, readable after flush(); a directory that
// cannot be made is an error naming it.
#include "runtime/latency_trace.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <unistd.h>

using ccdr::runtime::LatencyTrace;
namespace fs = std::filesystem;

TEST_CASE("latency trace: one line per step, monotonic times, flushed on demand", "[runtime][trace]") {
    const fs::path dir = fs::temp_directory_path() / ("ccdr-trace-test-" + std::to_string(::getpid()));
    fs::remove_all(dir);
    {
        auto trace = LatencyTrace::open((dir / "traces").string(), "server-1");
        REQUIRE(trace);
        (*trace)->record("after_commit", "foo", 7, 7);
        (*trace)->record("read", "foo", 5, 7);
        ccdr::runtime::trace_step(*trace, "sent", "foo", 5, 7);
        ccdr::runtime::trace_step(nullptr, "sent", "foo", 8, 9);  // tracing off: nothing, no crash
        REQUIRE((*trace)->flush());
        CHECK((*trace)->path() == (dir / "traces" / "server-1.trace").string());

        std::ifstream in((*trace)->path());
        std::vector<std::string> steps;
        long long previous = 0;
        std::string line;
        while (std::getline(in, line)) {
            std::istringstream fields(line);
            long long ns = 0;
            std::string step, db;
            unsigned long long first = 0, last = 0;
            REQUIRE(static_cast<bool>(fields >> ns >> step >> db >> first >> last));
            CHECK(db == "foo");
            CHECK(first <= last);
            CHECK(ns >= previous);
            previous = ns;
            steps.push_back(step);
        }
        CHECK(steps == std::vector<std::string>{"after_commit", "read", "sent"});
    }
    // A file where the directory should be: refused, naming the path.
    std::ofstream(dir / "blocker") << "x";
    auto refused = LatencyTrace::open((dir / "blocker" / "traces").string(), "server-1");
    REQUIRE_FALSE(refused);
    CHECK_THAT(refused.status().message(), Catch::Contains("blocker") && Catch::Contains("latency_trace"));
    fs::remove_all(dir);
}

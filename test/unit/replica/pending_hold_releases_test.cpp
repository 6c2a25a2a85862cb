// The hold releases a replica server owes its upstream servers after a
// DROP DATABASE (pending_hold_releases), against a scripted release: an
// address that cannot be reached stays owed (and in the file, across a
// restart) and is asked again with back-off until it answers; a refusal or a
// protocol-2 answer settles it; creating the database again cancels it.
#include "replica/pending_hold_releases.hpp"

#include <catch2/catch.hpp>

#include <spdlog/sinks/null_sink.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <string>
#include <thread>

#include <unistd.h>

using ccdr::plugin::HoldReleaseAttempt;
using ccdr::plugin::PendingHoldReleases;
using namespace std::chrono_literals;

namespace {

std::shared_ptr<spdlog::logger> quiet() {
    return std::make_shared<spdlog::logger>("releases", std::make_shared<spdlog::sinks::null_sink_mt>());
}

// Upstream addresses that answer or not, as the test sets them.
struct ScriptedUpstreams {
    std::mutex mu;
    std::map<std::string, bool> reachable;
    std::map<std::string, int> asked;
    std::string told;  // "<address>:<remote>/<database>" of the last settled release

    PendingHoldReleases::Release release() {
        return [this](const std::string& remote, const std::string& database, const std::string& address) {
            std::lock_guard lock(mu);
            ++asked[address];
            if (!reachable[address]) {
                return HoldReleaseAttempt{false, "connect to " + address + ": Connection refused"};
            }
            told = address + ":" + remote + "/" + database;
            return HoldReleaseAttempt{true, "1 log hold(s) ended"};
        };
    }
    int asked_of(const std::string& address) {
        std::lock_guard lock(mu);
        return asked[address];
    }
    void set(const std::string& address, bool up) {
        std::lock_guard lock(mu);
        reachable[address] = up;
    }
};

struct ScratchFile {
    std::filesystem::path dir =
        std::filesystem::temp_directory_path() / ("ccdr-releases-" + std::to_string(::getpid()));
    std::string file = (dir / "ccdr" / "pending_hold_releases.tsv").string();
    ScratchFile() { std::filesystem::remove_all(dir); }
    ~ScratchFile() { std::filesystem::remove_all(dir); }
};

}  // namespace

TEST_CASE("an unreachable upstream stays owed, in the file across a restart, until it answers",
          "[replica][holds]") {
    ScratchFile scratch;
    ScriptedUpstreams up;
    up.set("a1:7000", true);
    up.set("a2:7000", false);
    {
        PendingHoldReleases owed(scratch.file, up.release(), 1ms, 4ms, quiet());
        owed.add("foo-replica", "foo", {"a1:7000", "a2:7000"});
        CHECK(owed.count() == 2);
        CHECK(owed.run_once() == 1);  // a1 answered, a2 did not
        CHECK(up.told == "a1:7000:foo/foo-replica");
        CHECK(owed.run_once() == 1);
        auto entries = owed.entries();
        REQUIRE(entries.size() == 1);
        const auto& [key, entry] = *entries.begin();
        CHECK(key.first == "foo-replica");
        CHECK(key.second == "a2:7000");
        CHECK(entry.remote == "foo");
        CHECK(entry.attempts == 2);
        CHECK(entry.last_outcome == "connect to a2:7000: Connection refused");
    }
    // The server restarts: the release is still owed.
    std::ifstream in(scratch.file);
    std::string line;
    REQUIRE(std::getline(in, line));
    CHECK(line.rfind("foo-replica\tfoo\ta2:7000\t", 0) == 0);
    PendingHoldReleases again(scratch.file, up.release(), 1ms, 4ms, quiet());
    REQUIRE(again.count() == 1);
    again.start();  // asks at once, then with back-off
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (up.asked_of("a2:7000") < 6 && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(1ms);
    }
    CHECK(up.asked_of("a2:7000") >= 6);
    CHECK(again.count() == 1);
    up.set("a2:7000", true);  // the upstream's region is back
    while (again.count() > 0 && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(1ms);
    }
    again.stop();
    CHECK(again.count() == 0);
    CHECK(up.told == "a2:7000:foo/foo-replica");
    PendingHoldReleases after(scratch.file, up.release(), 1ms, 4ms, quiet());
    CHECK(after.count() == 0);
}

TEST_CASE("a replica database created again under the dropped name cancels what was owed", "[replica][holds]") {
    ScratchFile scratch;
    ScriptedUpstreams up;
    PendingHoldReleases owed(scratch.file, up.release(), 1ms, 4ms, quiet());
    owed.add("foo-replica", "foo", {"a1:7000"});
    owed.add("bar-replica", "bar", {"a1:7000"});
    owed.cancel("foo-replica");
    auto entries = owed.entries();
    REQUIRE(entries.size() == 1);
    CHECK(entries.begin()->first.first == "bar-replica");
    CHECK(PendingHoldReleases(scratch.file, up.release(), 1ms, 4ms, quiet()).count() == 1);
    owed.cancel("nothing-owed");  // no entry: nothing changes
    CHECK(owed.count() == 1);
}

TEST_CASE("a damaged line of the owed-releases file is skipped, the others kept", "[replica][holds]") {
    ScratchFile scratch;
    std::filesystem::create_directories(std::filesystem::path(scratch.file).parent_path());
    {
        std::ofstream out(scratch.file);
        out << "foo-replica\tfoo\ta1:7000\t1796560000000\n"
            << "half a line\n"
            << "bar-replica\tbar\ta1:7000\tyesterday\n";
    }
    ScriptedUpstreams up;
    PendingHoldReleases owed(scratch.file, up.release(), 1ms, 4ms, quiet());
    auto entries = owed.entries();
    REQUIRE(entries.size() == 1);
    CHECK(entries.begin()->first.first == "foo-replica");
    CHECK(entries.begin()->second.since_ms == 1796560000000);
}

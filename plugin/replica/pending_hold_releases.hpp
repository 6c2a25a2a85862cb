// plugin/replica/pending_hold_releases.hpp: the HOLD_RELEASE messages this
// server still owes its upstream servers. When a replica database is dropped,
// every upstream address of its link must hear of it so that it ends the log
// it holds for the database's members (docs/operations.md §10). An upstream
// that cannot be reached then (its region is down, the network is cut) is
// told on the next contact: the entry is kept, durably in
// `<data>/ccdr/pending_hold_releases.tsv` across restarts, and asked again
// with back-off until that address answers. Creating a replica database of
// the same name again cancels its entries (its members want holds again).
#pragma once

#include "replica/upstream_hold_release.hpp"

#include <ccdr/status.hpp>

#include <spdlog/logger.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace ccdr::plugin {

class PendingHoldReleases {
public:
    // One attempt at one address (blocking), as release_upstream_hold.
    using Release = std::function<HoldReleaseAttempt(const std::string& remote, const std::string& replica_database,
                                                     const std::string& address)>;
    // `file` empty: kept in memory only (hosts without a data directory).
    PendingHoldReleases(std::string file, Release release, std::chrono::milliseconds retry_initial,
                        std::chrono::milliseconds retry_max, std::shared_ptr<spdlog::logger> log);
    ~PendingHoldReleases();  // stop()
    PendingHoldReleases(const PendingHoldReleases&) = delete;
    PendingHoldReleases& operator=(const PendingHoldReleases&) = delete;

    void start();  // the thread asks at once, then with back-off while any address stays silent
    void stop();

    // A replica database was dropped: owe each of its upstream addresses a
    // release (saved before it returns; a failed save is logged: the release
    // is then asked for until this server stops) and ask them now.
    void add(const std::string& replica_database, const std::string& remote,
               const std::vector<std::string>& addresses);
    // A replica database of this name was created again.
    void cancel(const std::string& replica_database);

    size_t count() const;
    struct Entry {
        std::string remote;
        int64_t since_ms = 0;  // when the database was dropped
        uint64_t attempts = 0;
        std::string last_outcome;
    };
    // (replica database, address) -> entry
    std::map<std::pair<std::string, std::string>, Entry> entries() const;

    // One round now (tests; the thread calls it): asks every owed address
    // once. Returns how many are still owed.
    size_t run_once();

private:
    void load();
    Status save() const;  // called with mu_ held
    void run();

    std::string file_;
    Release release_;
    std::chrono::milliseconds retry_initial_;
    std::chrono::milliseconds retry_max_;
    std::shared_ptr<spdlog::logger> log_;
    mutable std::mutex mu_;
    std::condition_variable cv_;
    std::map<std::pair<std::string, std::string>, Entry> entries_;
    bool woken_ = false;
    bool stopping_ = false;
    std::thread thread_;
};

}  // namespace ccdr::plugin

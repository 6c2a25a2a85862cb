// examples/refhost/dbms/member_catch_up.hpp: how the members of one database
// inside one refhost cluster come to hold the same transactions: the
// refhost's stand-in for a cluster's own consensus, not ccdr's replication
// (which crosses clusters, in the plugin, through the ABI). A commit is copied
// to the other online primaries before the client hears of it; secondaries and
// members that missed something catch up from the most advanced member, on a
// thread of their own, reading its log or, when that is pruned, copying its
// store.
#pragma once

#include "dbms/member.hpp"

#include <ccdr/status.hpp>

#include <spdlog/logger.h>

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <thread>
#include <vector>

namespace refhost {

struct DatabaseState;

class MemberCatchUp {
public:
    // `server_name` names a logical server in log lines.
    MemberCatchUp(spdlog::logger& log, std::function<std::string(size_t server)> server_name);
    ~MemberCatchUp();
    MemberCatchUp(const MemberCatchUp&) = delete;
    MemberCatchUp& operator=(const MemberCatchUp&) = delete;

    // Copies the commit `tx_id` of `writer` to every other online primary of
    // `db` (side by side, one thread each but the last); the writer still
    // holds its write lock. A primary the copy failed for, and every
    // secondary, catch up on the catch-up thread.
    void copy_commit(const DatabaseState& db, const Member& writer, uint64_t tx_id, int64_t time_ms,
                     std::span<const uint8_t> payload);
    // Brings `target` to `source`'s last transaction: its log, or its store
    // when the log is pruned past what `target` has.
    ccdr::Status catch_up(Member& target, const Member& source);
    // Every online member of a standard database to its most advanced member.
    void catch_up_database(const DatabaseState& db);

    // The catch-up thread: runs `round` when woken and at least once a second.
    void start(std::function<void()> round);
    void wake();
    // Ends the thread; idempotent.
    void stop();

private:
    ccdr::Status copy_store(Member& target, const Member& source);
    void loop();

    spdlog::logger& log_;
    std::function<std::string(size_t)> server_name_;
    std::function<void()> round_;
    std::mutex mu_;
    std::condition_variable cv_;
    bool woken_ = false;
    bool stopping_ = false;
    std::thread thread_;
};

}  // namespace refhost

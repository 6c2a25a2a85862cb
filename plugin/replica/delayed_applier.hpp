// plugin/replica/delayed_applier.hpp: the applier of a replica member that
// has an applyDelay. One thread takes the transactions of the member's delay
// spool in order and hands each to the host's apply_batch once the
// upstream's clock (this server's clock plus the offset the upstream's
// messages showed) has passed its commit time plus the delay; the
// transactions of one spooled batch that are due together go in one
// apply_batch. Files whose transactions are all applied leave the spool.
//
// A promotion to a point (procedures/promote_to_point) holds it: hold(N)
// applies everything up to N at once, whatever the delay, and then nothing
// more until release(). It shares the member's stats and applier events with
// the direct applier (applier.hpp), which the puller uses when there is no
// delay and nothing spooled.
#pragma once

#include "replica/applier.hpp"
#include "replica/delay_spool.hpp"
#include "replica/replica_stats.hpp"

#include <ccdr/host_handle.hpp>

#include <spdlog/logger.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

namespace ccdr::plugin {

class DelayedApplier {
public:
    DelayedApplier(HostHandle host, std::string database, DelaySpool& spool, ReplicaStats& stats,
                   std::shared_ptr<spdlog::logger> log, ApplierEvents events);
    DelayedApplier(const DelayedApplier&) = delete;
    DelayedApplier& operator=(const DelayedApplier&) = delete;
    ~DelayedApplier();

    void start();
    // Joins the thread once the apply in progress (if any) is done. The
    // spool stays. Idempotent.
    void stop();

    void set_delay(std::chrono::milliseconds delay);
    // The spool grew.
    void notify();
    // No apply in progress.
    bool idle() const;

    // Applies every spooled transaction up to `target` now, then holds: no
    // later one is applied until release(). Returns when the member's last
    // applied tx reached `target`, or why not (an apply failed, the member
    // stopped, `timeout` passed); the hold stays either way.
    Status hold(uint64_t target, std::chrono::milliseconds timeout);
    void release();

private:
    void main();

    HostHandle host_;
    const std::string database_;
    DelaySpool& spool_;
    ReplicaStats& stats_;
    std::shared_ptr<spdlog::logger> log_;
    ApplierEvents events_;

    mutable std::mutex mu_;
    std::condition_variable cv_;
    std::chrono::milliseconds delay_{0};
    std::optional<uint64_t> hold_;  // apply through it at once, nothing after it
    std::string last_failure_;      // why the last apply failed, "" after a success
    bool applying_ = false;
    bool stop_ = false;
    bool started_ = false;
    std::thread thread_;
};

}  // namespace ccdr::plugin

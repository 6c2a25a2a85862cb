// plugin/replica/continuous_verifier.hpp: continuous verification of one
// replica member (ccdr.replica.verify_interval). Every interval, on a thread
// of its own, it asks the host for this member's running fingerprint (ABI
// 1.2 running_fingerprint: the value and the last applied tx it covers),
// asks the upstream for its running fingerprint at that same tx
// (RUNNING_FINGERPRINT_REQUEST; the upstream keeps the value with each log
// entry, so it answers while it is already ahead), and compares. Neither
// store is read in full: the cost of a round does not grow with the store.
//
// It only reports: the last verified tx and its time, and a mismatch (an
// ERROR line with both fingerprints and both tx ids, the metrics, the
// member's status message). Replication goes on whatever it finds. A host
// or upstream without running fingerprints makes it report "unsupported".
#pragma once

#include "replica/upstream_dialer.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace ccdr::plugin {

class ContinuousVerifier {
public:
    enum class Outcome : int {
        kNotYet = 0,       // no round has compared anything yet
        kVerified = 1,     // the last round found equal fingerprints
        kMismatch = 2,     // the last round found different fingerprints
        kUnsupported = 3,  // this host or the upstream keeps no running fingerprint
        kFailed = 4,       // the last round could not compare (upstream unreachable, ...)
    };
    struct View {
        Outcome outcome = Outcome::kNotYet;
        uint64_t last_verified_tx = 0;
        int64_t last_verified_ms = 0;  // this server's clock, epoch ms; 0 never
        uint64_t checks = 0;
        uint64_t mismatches = 0;
        uint64_t failures = 0;
        std::string text;  // for the status message; empty before the first round
    };

    // `dialer` outlives the verifier. interval 0: start() does nothing.
    ContinuousVerifier(const UpstreamDialer& dialer, std::string database, std::chrono::milliseconds interval);
    ~ContinuousVerifier();
    ContinuousVerifier(const ContinuousVerifier&) = delete;
    ContinuousVerifier& operator=(const ContinuousVerifier&) = delete;

    void start();
    // Wakes the thread and waits for it (a round in flight finishes first:
    // at most the dialer's connect and I/O deadlines).
    void stop();
    // One round on the calling thread (blocks).
    void verify_once();
    View view() const;

private:
    void run();
    void report(Outcome outcome, std::string text);

    const UpstreamDialer& dialer_;
    const std::string database_;
    const std::chrono::milliseconds interval_;

    mutable std::mutex mu_;
    std::condition_variable wake_;
    bool stopping_ = false;
    std::thread thread_;
    View view_;
};

}  // namespace ccdr::plugin

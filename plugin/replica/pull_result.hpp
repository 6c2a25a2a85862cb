// plugin/replica/pull_result.hpp: how one attempt of a replica member with
// one upstream address ended, which decides what its state machine does
// next (replica_member.cpp).
#pragma once

#include <string>

namespace ccdr::plugin {

enum class PullOutcome {
    kRetry,        // this address did not work: try the next, then back off
    kProgress,     // the session applied something, then ended: reconnect soon
    kStoreCopied,  // a snapshot was imported: subscribe now
    kFatal,        // lineage, hash chain or another major plugin version: stop in FAILED
};

struct PullResult {
    PullOutcome outcome;
    std::string reason;
    // The connection to the source broke under the session (closed, reset,
    // timed out): the source may be gone, as a crashed puller is, and its
    // address may take no connection at all until its members' hosts see it
    // offline. The member then tries the other sources first.
    bool source_lost = false;
};

}  // namespace ccdr::plugin

// plugin/replica/upstream_hold_release.hpp: one attempt to tell one upstream
// server that a replica database was dropped (HOLD_RELEASE, protocol 3), or
// that this server's member of it follows another member now (protocol 8),
// so that it ends the log it holds for that database's members (or member)
// (docs/operations.md §10) instead of keeping it until the cap. The attempts
// are made, and repeated until each address has answered, by
// PendingHoldReleases.
#pragma once

#include "replica/upstream_dialer.hpp"

#include <chrono>
#include <string>

namespace ccdr::plugin {

struct HoldReleaseAttempt {
    // The upstream server answered: it ended its holds, refused (it does not
    // serve that database to this cluster) or speaks protocol 2 (it holds
    // nothing): nothing more to tell it. False when it could not be reached
    // or the exchange failed: ask again later.
    bool settled = false;
    std::string outcome;  // what it answered, or why it could not be asked
};

// Blocks the calling thread (never one of the plugin's I/O threads) for at
// most the connect timeout plus `timeout`. With `replica_server_id` (this
// server's id), only this server's member's hold ends: a fan-out member
// that follows another member now (protocol 8; an upstream of an older
// protocol is not asked, its hold ends at its cap as before).
HoldReleaseAttempt release_upstream_hold(const UpstreamDialer& dialer, const std::string& remote,
                                         const std::string& replica_database, const std::string& address,
                                         std::chrono::milliseconds timeout,
                                         const std::string& replica_server_id = std::string());

}  // namespace ccdr::plugin

// plugin/replica/upstream_hold_release.hpp: when a replica database is
// dropped, this server tells every upstream address of its link that it is
// gone (HOLD_RELEASE, protocol 3), so each upstream server ends the log it
// holds for that database's members (docs/operations.md §10) instead of
// keeping it until the cap. Best effort: an upstream server that cannot be
// reached, or speaks protocol 2, keeps its hold until the cap releases it.
#pragma once

#include "replica/upstream_dialer.hpp"
#include "session/replica_config.hpp"

#include <string>

namespace ccdr::plugin {

// Starts the requests on the plugin's runtime and returns at once (the
// runtime's stop waits for them). Logs what each address answered.
void release_upstream_holds(const UpstreamDialer& dialer, const ReplicaConfig& link,
                            const std::string& replica_database);

}  // namespace ccdr::plugin

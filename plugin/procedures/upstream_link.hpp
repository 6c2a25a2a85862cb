// plugin/procedures/upstream_link.hpp: the replica's link to its upstream,
// as the createReplicaDatabase options map gives it ({remote, addresses})
// and as it is stored in the database option `replicaConfig`.
#pragma once

#include "session/replica_config.hpp"

#include <ccdr/status.hpp>
#include <ccdr/value.hpp>

#include <string>
#include <vector>

namespace ccdr::plugin {

// The same link the replica member reads back from the database option
// (session/replica_config.hpp); the procedure validates it more strictly
// because it comes from a user.
using UpstreamLink = ReplicaConfig;

// Validates a {remote, addresses[, applyDelay][, fanOut]} map: remote and
// addresses present and typed, applyDelay a duration and fanOut a BOOLEAN
// when given, nothing else; remote
// a plausible name and not system; 1 to 64 addresses, each host:port with a
// port from 1 to 65535, no duplicates.
Result<UpstreamLink> parse_upstream_link(const Value& options);

}  // namespace ccdr::plugin

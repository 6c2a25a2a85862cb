// plugin/session/replica_config.hpp: a replica's link to its upstream, kept
// as the database option `replicaConfig`:
//   {remote: STRING, addresses: LIST<STRING>}
// `remote` names the database in the upstream cluster; `addresses` are the
// upstream servers' cluster addresses (host:port), tried in turn.
#pragma once

#include <ccdr/status.hpp>
#include <ccdr/value.hpp>

#include <string>
#include <vector>

namespace ccdr::plugin {

inline constexpr const char* kReplicaConfigOption = "replicaConfig";

struct ReplicaConfig {
    std::string remote;
    std::vector<std::string> addresses;
};

// CCDR_INVALID_ARGUMENT saying which part is wrong (not a map, remote not a
// non-empty string, addresses not a non-empty list of host:port strings).
Result<ReplicaConfig> parse_replica_config(const Value& value);

Value to_value(const ReplicaConfig& config);

}  // namespace ccdr::plugin

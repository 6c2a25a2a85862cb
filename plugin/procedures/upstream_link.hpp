// plugin/procedures/upstream_link.hpp: the replica's link to its upstream,
// as the createReplicaDatabase options map gives it ({remote, addresses})
// and as it is stored in the database option `replicaConfig`.
#pragma once

#include <ccdr/status.hpp>
#include <ccdr/value.hpp>

#include <string>
#include <vector>

namespace ccdr::plugin {

// The database option that holds the link (Neo4j's GA docs show it as
// `options: {replicaConfig: {remote: "foo", addresses: [...]}}`).
inline constexpr const char* kReplicaConfigOption = "replicaConfig";

struct UpstreamLink {
    std::string remote;                  // the upstream database's name in the remote cluster
    std::vector<std::string> addresses;  // host:port cluster endpoints of the remote servers

    Value to_value() const;
};

// Validates a {remote, addresses} map: both keys present and typed, nothing
// else; remote a plausible name and not system; 1 to 64 addresses, each
// host:port with a port from 1 to 65535, no duplicates.
Result<UpstreamLink> parse_upstream_link(const Value& options);

}  // namespace ccdr::plugin

// plugin/procedures/replica_link.hpp: the upstream link of a replica
// database of this cluster, read the way every procedure that acts on a
// replica reads it, with the same failed calls when `name` does not exist,
// is no replica, or has no usable link.
#pragma once

#include "session/replica_config.hpp"

#include <ccdr/host_handle.hpp>
#include <ccdr/status.hpp>

#include <string>
#include <string_view>

namespace ccdr::plugin {

struct ReplicaAndLink {
    DatabaseInfo info;    // what the host says of the replica (members, lineage)
    ReplicaConfig link;   // its upstream
};

// `only_replicas` ends the message for a database that is not a replica
// (why the procedure needs one). Blocks: host calls.
Result<ReplicaAndLink> replica_upstream_link(HostHandle host, const std::string& name, std::string_view only_replicas);

}  // namespace ccdr::plugin

// plugin/replica/member_setup.hpp: what a replica member reads from its host
// before each round of connection attempts: the database's kind (a promoted
// database ends its member), its lineage (store id and epoch, which the
// upstream must have too) and its link to the upstream (the database option
// replicaConfig).
#pragma once

#include "session/replica_config.hpp"

#include <ccdr/abi.h>
#include <ccdr/host_handle.hpp>
#include <ccdr/status.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace ccdr::plugin {

struct MemberSetup {
    ReplicaConfig config;  // empty unless kind is REPLICA
    std::string store_id;
    uint64_t epoch = 0;
    ccdr_database_kind kind = CCDR_KIND_REPLICA;
    // The database's members as the host sees them (fan-out picks among
    // them: pull_sources.hpp).
    std::vector<MemberInfo> members;
};

// Blocks (host calls). The host's error when the database cannot be read;
// CCDR_INVALID_ARGUMENT saying what is wrong when a replica's replicaConfig
// is missing or malformed.
Result<MemberSetup> load_member_setup(const HostHandle& host, const std::string& database);

}  // namespace ccdr::plugin

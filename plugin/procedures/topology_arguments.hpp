// plugin/procedures/topology_arguments.hpp: the numPrimaries and
// numSecondaries arguments that createReplicaDatabase,
// promoteReplicaDatabaseWithTopology and alterReplicaDatabase take, checked
// alike (types, signs, at least one primary, Neo4j's limits).
#pragma once

#include <ccdr/status.hpp>
#include <ccdr/value.hpp>

#include <cstdint>
#include <string_view>

namespace ccdr::plugin {

// Neo4j's limits on a database's topology.
inline constexpr int64_t kMaxPrimaries = 11;
inline constexpr int64_t kMaxSecondaries = 20;

// OK, or CCDR_PROCEDURE_CALL_FAILED saying which count is wrong and why,
// naming the arguments as the calling procedure does.
Status check_topology(const Value& primaries, const Value& secondaries,
                      std::string_view primaries_name = "numPrimaries",
                      std::string_view secondaries_name = "numSecondaries");

}  // namespace ccdr::plugin

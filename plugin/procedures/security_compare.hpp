// plugin/procedures/security_compare.hpp: the users of two clusters side by
// side, for internal.dbms.compareSecurity: users and roles are not
// replicated (Neo4j's rule), so after a failover the question is whether the
// application's user exists on the other cluster with the same roles.
#pragma once

#include <ccdr/host_handle.hpp>

#include <string>
#include <vector>

namespace ccdr::plugin {

// The verdicts, as the procedure yields them.
inline constexpr const char* kVerdictSame = "same";
inline constexpr const char* kVerdictMissingHere = "missing here";    // only on the upstream's cluster
inline constexpr const char* kVerdictMissingThere = "missing there";  // only on this cluster
inline constexpr const char* kVerdictRolesDiffer = "roles differ";

struct UserComparison {
    std::string user;
    bool present_here = false;
    bool present_there = false;
    std::vector<std::string> roles_here;   // sorted; empty when not present here
    std::vector<std::string> roles_there;  // sorted; empty when not present there
    std::string verdict;
};

// One row per user of either side, by name. Roles compare as sets.
std::vector<UserComparison> compare_users(const std::vector<UserInfo>& here, const std::vector<UserInfo>& there);

// How many rows are not kVerdictSame.
size_t count_differences(const std::vector<UserComparison>& rows);

}  // namespace ccdr::plugin

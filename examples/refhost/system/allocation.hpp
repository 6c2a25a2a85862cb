// examples/refhost/system/allocation.hpp: which servers host the members of
// a database. One member per server; a PRIMARY-constrained server hosts only
// primaries, a SECONDARY-constrained one only secondaries, an unconstrained
// one either. Existing members keep their place and role where they still
// fit; new ones go to the least loaded servers.
#pragma once

#include <ccdr/abi.h>
#include <ccdr/status.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace refhost {

struct ServerSlot {
    size_t server = 0;            // index
    std::string mode_constraint;  // NONE, PRIMARY, SECONDARY
    size_t load = 0;              // members it already hosts (of other databases)
};

struct Placement {
    size_t server = 0;
    ccdr_member_role role = CCDR_ROLE_PRIMARY;
    bool operator==(const Placement&) const = default;
};

// CCDR_INVALID_ARGUMENT with the reason (e.g. "Cannot allocate 3 primaries:
// only 2 servers allow the primary role") when the servers cannot host the
// topology. The result lists primaries first, each group by server index.
ccdr::Result<std::vector<Placement>> allocate(const std::vector<ServerSlot>& servers, uint32_t primaries,
                                              uint32_t secondaries, const std::vector<Placement>& current = {});

}  // namespace refhost

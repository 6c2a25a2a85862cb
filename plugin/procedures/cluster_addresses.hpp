// plugin/procedures/cluster_addresses.hpp: the cluster addresses of this
// cluster's servers. Every server hosts the system database, so its
// members' cluster addresses are this cluster's endpoints (a promoted
// database hands them to its former upstream, which will pull from here).
#pragma once

#include <ccdr/host_handle.hpp>

#include <algorithm>
#include <string>
#include <vector>

namespace ccdr::plugin {

inline std::vector<std::string> this_cluster_addresses(const HostHandle& host) {
    std::vector<std::string> out;
    if (auto system = host.database_info("system")) {
        for (const auto& m : system->members) {
            if (!m.cluster_address.empty()) {
                out.push_back(m.cluster_address);
            }
        }
    }
    if (auto self = host.server_info()) {
        if (!self->cluster_address.empty()) {
            out.push_back(self->cluster_address);
        }
    }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

}  // namespace ccdr::plugin

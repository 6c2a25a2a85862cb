#include "replica/pull_sources.hpp"

#include <algorithm>

namespace ccdr::plugin {

bool fan_out_applies(const MemberSetup& setup) {
    if (!setup.config.fan_out) {
        return false;
    }
    return std::any_of(setup.members.begin(), setup.members.end(),
                       [](const MemberInfo& m) { return !m.is_local && !m.cluster_address.empty(); });
}

std::vector<PullSource> order_pull_sources(const MemberSetup& setup) {
    std::vector<PullSource> upstream;
    for (const auto& a : setup.config.addresses) {
        upstream.push_back(PullSource{a, "", false});
    }
    if (!fan_out_applies(setup)) {
        return upstream;
    }
    std::string self;
    for (const auto& m : setup.members) {
        if (m.is_local) {
            self = m.server_id;
        }
    }
    std::vector<const MemberInfo*> peers;
    for (const auto& m : setup.members) {
        if (!m.is_local && m.state == CCDR_DB_ONLINE && !m.cluster_address.empty()) {
            peers.push_back(&m);
        }
    }
    std::sort(peers.begin(), peers.end(),
              [](const MemberInfo* a, const MemberInfo* b) { return a->server_id < b->server_id; });
    std::vector<PullSource> out;
    for (const MemberInfo* m : peers) {
        if (m->server_id < self) {
            out.push_back(PullSource{m->cluster_address, m->server_id, true});
        }
    }
    out.insert(out.end(), upstream.begin(), upstream.end());
    for (const MemberInfo* m : peers) {
        if (m->server_id > self) {
            out.push_back(PullSource{m->cluster_address, m->server_id, true});
        }
    }
    return out;
}

}  // namespace ccdr::plugin

#include "system/allocation.hpp"

#include <algorithm>

namespace refhost {
namespace {

std::string servers_allow(size_t n, const char* role) {
    return std::to_string(n) + (n == 1 ? " server allows" : " servers allow") + " the " + role + " role";
}

}  // namespace

ccdr::Result<std::vector<Placement>> allocate(const std::vector<ServerSlot>& servers, uint32_t primaries,
                                              uint32_t secondaries, const std::vector<Placement>& current) {
    if (primaries + secondaries == 0) {
        return ccdr::Status(CCDR_INVALID_ARGUMENT, "A database needs at least one member (0 primaries and 0 "
                                                   "secondaries requested)");
    }
    size_t only_p = 0, only_s = 0, none = 0;
    for (const auto& s : servers) {
        (s.mode_constraint == "PRIMARY" ? only_p : s.mode_constraint == "SECONDARY" ? only_s : none)++;
    }
    if (primaries > only_p + none) {
        return ccdr::Status(CCDR_INVALID_ARGUMENT, "Cannot allocate " + std::to_string(primaries) +
                                                       (primaries == 1 ? " primary" : " primaries") + ": only " +
                                                       servers_allow(only_p + none, "primary"));
    }
    if (secondaries > only_s + none) {
        return ccdr::Status(CCDR_INVALID_ARGUMENT, "Cannot allocate " + std::to_string(secondaries) +
                                                       (secondaries == 1 ? " secondary" : " secondaries") +
                                                       ": only " + servers_allow(only_s + none, "secondary"));
    }
    size_t p_on_none = primaries > only_p ? primaries - only_p : 0;
    size_t s_on_none = secondaries > only_s ? secondaries - only_s : 0;
    if (p_on_none + s_on_none > none) {
        return ccdr::Status(
            CCDR_INVALID_ARGUMENT,
            "Cannot allocate " + std::to_string(primaries) + " primaries and " + std::to_string(secondaries) +
                " secondaries: one member per server, and the " + std::to_string(servers.size()) + " servers are " +
                std::to_string(only_p) + " PRIMARY-constrained, " + std::to_string(only_s) +
                " SECONDARY-constrained and " + std::to_string(none) + " unconstrained");
    }
    auto current_role = [&](size_t server) -> int {
        for (const auto& c : current) {
            if (c.server == server) {
                return c.role;
            }
        }
        return 0;
    };
    std::vector<bool> used(servers.size(), false);
    std::vector<Placement> out;
    // Picks `n` servers of mode `mode` for `role`: current holders of the role
    // first, then other current members, then the least loaded.
    auto pick = [&](const std::string& mode, ccdr_member_role role, size_t n) {
        std::vector<size_t> cand;
        for (size_t i = 0; i < servers.size(); ++i) {
            if (!used[i] && servers[i].mode_constraint == mode) {
                cand.push_back(i);
            }
        }
        auto rank = [&](size_t i) {
            int r = current_role(servers[i].server);
            return r == role ? 0 : r != 0 ? 1 : 2;
        };
        std::stable_sort(cand.begin(), cand.end(), [&](size_t a, size_t b) {
            if (rank(a) != rank(b)) {
                return rank(a) < rank(b);
            }
            if (servers[a].load != servers[b].load) {
                return servers[a].load < servers[b].load;
            }
            return servers[a].server < servers[b].server;
        });
        for (size_t k = 0; k < n && k < cand.size(); ++k) {
            used[cand[k]] = true;
            out.push_back(Placement{servers[cand[k]].server, role});
        }
    };
    pick("PRIMARY", CCDR_ROLE_PRIMARY, std::min<size_t>(primaries, only_p));
    pick("SECONDARY", CCDR_ROLE_SECONDARY, std::min<size_t>(secondaries, only_s));
    // Unconstrained servers: members keeping their role first, in both roles,
    // so that neither role takes a server the other already holds.
    {
        size_t need_p = p_on_none, need_s = s_on_none;
        for (const auto& s : servers) {
            size_t i = static_cast<size_t>(&s - servers.data());
            if (used[i] || s.mode_constraint != "NONE") {
                continue;
            }
            int r = current_role(s.server);
            if (r == CCDR_ROLE_PRIMARY && need_p > 0) {
                used[i] = true;
                out.push_back(Placement{s.server, CCDR_ROLE_PRIMARY});
                --need_p;
            } else if (r == CCDR_ROLE_SECONDARY && need_s > 0) {
                used[i] = true;
                out.push_back(Placement{s.server, CCDR_ROLE_SECONDARY});
                --need_s;
            }
        }
        pick("NONE", CCDR_ROLE_PRIMARY, need_p);
        pick("NONE", CCDR_ROLE_SECONDARY, need_s);
    }
    std::sort(out.begin(), out.end(), [](const Placement& a, const Placement& b) {
        if (a.role != b.role) {
            return a.role < b.role;
        }
        return a.server < b.server;
    });
    return out;
}

}  // namespace refhost

#include "replica/upstream_security.hpp"

#include "replica/ask_upstreams.hpp"

namespace ccdr::plugin {

Result<UpstreamUsers> users_of_upstream(const UpstreamDialer& dialer, const std::vector<std::string>& addresses,
                                        const std::string& remote) {
    protocol::SecurityRequest request{remote};
    return ask_upstreams<UpstreamUsers>(
        dialer, addresses, "a security request for database '" + remote + "'",
        [&dialer, request](transport::Strand strand, const std::string& address) {
            return ask_once<UpstreamUsers, protocol::SecuritySnapshot>(
                dialer, strand, address, request, [](const protocol::SecuritySnapshot& m, const std::string& from) {
                    UpstreamUsers users{from, m.cluster_id, {}};
                    for (const auto& u : m.users) {
                        users.users.push_back(UserInfo{u.name, u.roles});
                    }
                    return users;
                });
        });
}

}  // namespace ccdr::plugin

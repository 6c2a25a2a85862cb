// plugin/replica/upstream_security.hpp: asks an upstream cluster for its
// users and their roles, for internal.dbms.compareSecurity and the periodic
// drift check: connects over the plugin's transport (mutual TLS), says
// HELLO, sends SECURITY_REQUEST naming the database the replica follows and
// hangs up. Addresses are tried in turn; the first that answers is the
// answer.
#pragma once

#include "replica/upstream_dialer.hpp"

#include <ccdr/host_handle.hpp>
#include <ccdr/status.hpp>

#include <string>
#include <vector>

namespace ccdr::plugin {

struct UpstreamUsers {
    std::string address;     // the server that answered
    std::string cluster_id;  // the upstream's cluster
    std::vector<UserInfo> users;
};

// Blocks the calling thread (never call it from the plugin's I/O threads).
// A refusal (not allowed, no such database, a host without ABI 1.2) is
// CCDR_PROCEDURE_CALL_FAILED with the upstream's reason and is not retried
// on the next address; CCDR_IO_ERROR names every address tried when none
// answered.
Result<UpstreamUsers> users_of_upstream(const UpstreamDialer& dialer, const std::vector<std::string>& addresses,
                                        const std::string& remote);

}  // namespace ccdr::plugin

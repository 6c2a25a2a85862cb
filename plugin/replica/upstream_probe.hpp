// plugin/replica/upstream_probe.hpp: asks an upstream cluster about one of
// its databases, for internal.dbms.createReplicaDatabase: connects over the
// plugin's transport (mutual TLS), says HELLO, asks DATABASE_INFO and hangs
// up. Addresses are tried in turn until a server that hosts the database
// online answers (or one says what every server would: refused by the
// allow-list, a replica, a system database); when none does, the first
// "not here" answer is returned, its `address` listing every server that
// said so.
#pragma once

#include "replica/upstream_dialer.hpp"

#include <ccdr/abi.h>
#include <ccdr/status.hpp>

#include <string>
#include <vector>

namespace ccdr::plugin {

struct RemoteDatabaseInfo {
    std::string address;     // the address that answered (all that said "not here", comma-separated, when none hosts it)
    std::string cluster_id;  // the upstream's cluster id, from its HELLO_OK
    std::string name;
    bool exists = false;
    bool online = false;
    ccdr_database_kind kind = CCDR_KIND_STANDARD;  // meaningful when exists
    std::string store_id;
    uint64_t epoch = 0;
    uint64_t last_tx = 0;
    int64_t last_commit_ms = 0;
    uint64_t oldest_retained_tx = 0;
    std::string refusal;  // non-empty: the upstream will not serve this database, and why
};

// Blocks the calling thread (never call it from the plugin's I/O threads).
// On failure, one error whose message says, per address, why it failed:
// CCDR_UNSUPPORTED when this server cannot replicate at all (no TLS policy
// and plaintext not allowed), CCDR_IO_ERROR when no address answered.
Result<RemoteDatabaseInfo> probe_upstream(const UpstreamDialer& dialer, const std::vector<std::string>& addresses,
                                          const std::string& remote);

}  // namespace ccdr::plugin

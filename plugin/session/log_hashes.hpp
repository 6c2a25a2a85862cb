// plugin/session/log_hashes.hpp: the tx_hash (protocol/tx_hash.hpp) of each
// transaction from_tx..to_tx of this server's member of a database, read
// from the host's log. Both ends use it: the upstream to answer
// HISTORY_REQUEST, the returning cluster to compare its own history with it.
#pragma once

#include "protocol/tx_hash.hpp"

#include <ccdr/host_handle.hpp>
#include <ccdr/status.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace ccdr::session {

// Consecutive hashes from from_tx on; fewer than asked when the log ends
// first. CCDR_LOG_PRUNED when from_tx is no longer in the log. Blocks.
inline Result<std::vector<uint64_t>> log_hashes(const HostHandle& host, const std::string& database,
                                                uint64_t from_tx, uint64_t to_tx) {
    std::vector<uint64_t> out;
    if (to_tx < from_tx) {
        return out;
    }
    out.reserve(static_cast<size_t>(to_tx - from_tx + 1));
    uint64_t next = from_tx;
    while (next <= to_tx) {
        const uint64_t before = next;
        Status st = host.read_log(database, next, 4u << 20, [&](const ccdr_tx& tx) -> ccdr_status {
            if (tx.tx_id != next || tx.tx_id > to_tx) {
                return CCDR_STOPPED;
            }
            out.push_back(protocol::tx_hash(tx));
            ++next;
            return CCDR_OK;
        });
        if (!st) {
            return st;
        }
        if (next == before) {
            break;  // the log ends before to_tx
        }
    }
    return out;
}

}  // namespace ccdr::session

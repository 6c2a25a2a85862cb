// plugin/replica/upstream_fingerprint.hpp: asks an upstream cluster for the
// content fingerprint of one of its databases, for
// internal.dbms.verifyReplicaDatabase: connects over the plugin's transport
// (mutual TLS), says HELLO, sends FINGERPRINT_REQUEST with the replica's
// lineage and hangs up. Addresses are tried in turn; the first that answers
// is the answer.
#pragma once

#include "replica/upstream_dialer.hpp"

#include <ccdr/status.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace ccdr::plugin {

struct UpstreamFingerprint {
    std::string address;  // the server that answered
    uint64_t tx_id = 0;
    std::string algorithm;
    std::string fingerprint;
};

// Blocks the calling thread (never call it from the plugin's I/O threads).
// A refusal (lineage mismatch, not allowed, unsupported by the upstream's
// host) is CCDR_PROCEDURE_CALL_FAILED with the upstream's reason and is not
// retried on the next address; CCDR_IO_ERROR names every address tried when
// none answered.
Result<UpstreamFingerprint> fingerprint_upstream(const UpstreamDialer& dialer,
                                                 const std::vector<std::string>& addresses, const std::string& remote,
                                                 const std::string& store_id, uint64_t epoch);

// The upstream member's running fingerprint as of tx_id
// (RUNNING_FINGERPRINT_REQUEST; continuous verification). Errors as above;
// CCDR_UNSUPPORTED when the upstream's host keeps no running fingerprint
// (its refusal says so) or the upstream's plugin predates the request (it
// closes the connection on the unknown type).
Result<UpstreamFingerprint> running_fingerprint_upstream(const UpstreamDialer& dialer,
                                                         const std::vector<std::string>& addresses,
                                                         const std::string& remote, const std::string& store_id,
                                                         uint64_t epoch, uint64_t tx_id);

}  // namespace ccdr::plugin

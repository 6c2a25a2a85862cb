// plugin/procedures/verify_procedure.hpp: internal.dbms.verifyReplicaDatabase
// (admin, READ). Compares the content fingerprint of every member of a
// replica database with the upstream's at the same transaction and yields
// one row per member:
//   (txId, upstreamFingerprint, replicaFingerprint, match, serverId, address, message)
//
// Same tx, without pausing anything: the upstream fingerprints at its current
// tx U; each member is waited for until it has applied U and fingerprinted;
// a member that has already gone past U (the upstream committed meanwhile)
// is retried in the next round against a fresh U. A member that never meets
// the upstream at one tx before the deadline gets match = NULL and a message
// saying so (a database under continuous writes may need a quieter moment).
// A mismatch is counted in the metric database.<db>.ccdr.verify.mismatches
// and logged at ERROR with both fingerprints.
#pragma once

#include "session/replica_config.hpp"
#include "replica/upstream_fingerprint.hpp"

#include <ccdr/host_handle.hpp>
#include <ccdr/plugin_adapter.hpp>
#include <ccdr/status.hpp>
#include <ccdr/value.hpp>

#include <spdlog/logger.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace ccdr::plugin {

// Asks the upstream cluster of `link` for the fingerprint of link.remote,
// which must have this lineage.
using UpstreamFingerprinter = std::function<Result<UpstreamFingerprint>(const ReplicaConfig& link,
                                                                        const std::string& store_id, uint64_t epoch)>;

// One member's result, as the procedure yields it.
struct MemberVerification {
    std::string server_id;
    std::string address;            // the member's Bolt address
    bool compared = false;          // false: txId/fingerprints may be partial, match is NULL
    uint64_t tx_id = 0;
    std::string upstream_fingerprint;
    std::string replica_fingerprint;
    bool match = false;
    std::string message;
};

class VerifyProcedure {
public:
    static constexpr std::string_view kName = "internal.dbms.verifyReplicaDatabase";

    VerifyProcedure(HostHandle host, UpstreamFingerprinter upstream, std::shared_ptr<spdlog::logger> log,
                    std::chrono::milliseconds deadline = std::chrono::seconds(30));
    VerifyProcedure(const VerifyProcedure&) = delete;
    VerifyProcedure& operator=(const VerifyProcedure&) = delete;

    Status register_with_host();
    // The body: validates the name, then verifies every member.
    Result<std::vector<MemberVerification>> verify(const ValueList& args);
    void collect_metrics(const MetricEmitter& emit) const;

private:
    Result<std::vector<MemberVerification>> verify_database(const std::string& name);
    void record(const std::string& name, const std::vector<MemberVerification>& rows);

    HostHandle host_;
    UpstreamFingerprinter upstream_;
    std::shared_ptr<spdlog::logger> log_;
    std::chrono::milliseconds deadline_;

    struct Counts {
        uint64_t runs = 0;
        uint64_t compared = 0;
        uint64_t mismatches = 0;
        uint64_t unverified = 0;
        bool last_match = true;
    };
    mutable std::mutex mu_;
    std::map<std::string, Counts> counts_;
};

}  // namespace ccdr::plugin

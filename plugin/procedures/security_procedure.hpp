// plugin/procedures/security_procedure.hpp: internal.dbms.compareSecurity
// (admin, READ), run on a replica's cluster. It lists this cluster's users
// and roles (the host's list_users, ABI 1.2), asks the replica's upstream
// cluster for its own over the authenticated replication link
// (SECURITY_REQUEST; no password or hash crosses it) and yields one row per
// user of either side:
//   (user, presentHere, presentThere, rolesHere, rolesThere, verdict)
// with verdict "same", "missing here", "missing there" or "roles differ".
//
// Every comparison, by the procedure or the periodic check
// (security_watch.hpp), sets the gauge database.<db>.ccdr.security.differences
// (rows that are not "same"), counts database.<db>.ccdr.security.checks and
// .check_failures, and gauges .consecutive_failures; the CcdrSecurityDrift
// and CcdrSecurityCompareFailing alerts read the gauges.
#pragma once

#include "procedures/security_compare.hpp"
#include "session/replica_config.hpp"
#include "replica/upstream_security.hpp"

#include <ccdr/host_handle.hpp>
#include <ccdr/plugin_adapter.hpp>
#include <ccdr/status.hpp>

#include <spdlog/logger.h>

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace ccdr::plugin {

// Asks the upstream cluster of `link` for its users (users_of_upstream).
using UpstreamUsersFn = std::function<Result<UpstreamUsers>(const ReplicaConfig& link)>;

class SecurityCheck {
public:
    static constexpr std::string_view kName = "internal.dbms.compareSecurity";

    SecurityCheck(HostHandle host, UpstreamUsersFn upstream, std::shared_ptr<spdlog::logger> log);
    SecurityCheck(const SecurityCheck&) = delete;
    SecurityCheck& operator=(const SecurityCheck&) = delete;

    Status register_with_host();
    // The procedure's body: validates the argument, then compare().
    Result<std::vector<UserComparison>> call(const ValueList& args);
    // Compares this cluster's users with those of the upstream of replica
    // `name` (normalised), and records the outcome for the metrics. Errors
    // are CCDR_PROCEDURE_CALL_FAILED (bad database, upstream refusal) or
    // CCDR_UNSUPPORTED (a host without ABI 1.2), with the reason.
    Result<std::vector<UserComparison>> compare(const std::string& name);
    void collect_metrics(const MetricEmitter& emit) const;
    // Forgets the metrics of every database not in `names` (a replica that
    // was dropped or promoted stops reporting differences).
    void retain_only(const std::vector<std::string>& names);

private:
    // The upstream link of replica `name`; refused (not counted) when `name`
    // is no replica of this cluster.
    Result<ReplicaConfig> replica_link(const std::string& name);
    // This cluster's users against those of link.remote's cluster.
    Result<std::vector<UserComparison>> compare_with(const ReplicaConfig& link);

    HostHandle host_;
    UpstreamUsersFn upstream_;
    std::shared_ptr<spdlog::logger> log_;

    struct Counts {
        uint64_t checks = 0;
        uint64_t failures = 0;
        uint64_t consecutive_failures = 0;  // 0 after a success
        bool compared = false;  // the gauge is emitted once a comparison succeeded
        size_t differences = 0;
    };
    mutable std::mutex mu_;
    std::map<std::string, Counts> counts_;
};

}  // namespace ccdr::plugin

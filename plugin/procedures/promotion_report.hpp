// plugin/procedures/promotion_report.hpp:
// internal.dbms.promotionReport(databaseName) (admin, READ), run on the
// replica's cluster (any server): what promoting the replica now would lose,
// in numbers, so that an operator can decide whether to wait or to promote.
// One row per member of the replica:
//   (serverId, address, role, state, lastAppliedTx, lastAppliedTime,
//    upstreamLastTx, upstreamLastCommitTime, upstreamHeardAt,
//    upstreamAnswers, txAtRisk, secondsAtRisk, message)
//
// Where the numbers come from:
// - a member's last applied tx and its commit time: the host (database_info;
//   the commit time needs a host with ABI 1.2, else NULL);
// - the upstream's last tx and commit time: asked now over the replica's link
//   (DATABASE_INFO to the addresses of replicaConfig, the probe
//   createReplicaDatabase uses). The answer counts only when it is about the
//   replica's lineage (same store id and epoch) and the database is online
//   there: upstreamAnswers TRUE, upstreamHeardAt now. If this server's
//   replica member heard a later position (from another upstream server)
//   that one is used, with its time: the upstream has at least that.
// - when no upstream address gives such an answer: the position this
//   server's replica member last heard (BATCH, HEARTBEAT, SUBSCRIBED), with
//   upstreamAnswers FALSE and upstreamHeardAt when it was heard. A server
//   without a running member of the replica has heard nothing: the upstream
//   columns and the risk are NULL, and the message says so.
// txAtRisk = max(0, upstreamLastTx - lastAppliedTx); secondsAtRisk = the
// upstream's last commit time minus the member's last applied commit time
// (both upstream commit times), in seconds, at least 0; 0 when txAtRisk is
// 0, NULL when a time is unknown. Times are Unix epoch milliseconds.
#pragma once

#include "session/replica_config.hpp"
#include "replica/replica_member.hpp"
#include "replica/upstream_probe.hpp"

#include <ccdr/host_handle.hpp>
#include <ccdr/status.hpp>
#include <ccdr/value.hpp>

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace ccdr::plugin {

// Asks the upstream cluster of `link` now what it has of link.remote.
using UpstreamPositionProbe = std::function<Result<RemoteDatabaseInfo>(const ReplicaConfig& link)>;
// This server's replica member of a database, nullopt when it runs none.
using LocalReplicaStatus = std::function<std::optional<ReplicaStatus>(const std::string& database)>;
// The wall clock, epoch milliseconds.
using WallClock = std::function<int64_t()>;

// The upstream position the members are compared with.
struct UpstreamPosition {
    bool known = false;        // false: nothing asked or heard (the columns are NULL)
    bool answers = false;      // the upstream answered now, for the replica's lineage
    uint64_t last_tx = 0;
    int64_t last_commit_ms = 0;  // upstream clock; 0 unknown
    int64_t heard_at_ms = 0;     // this server's clock
    std::string message;         // where the position comes from, or why the upstream did not answer
};

// One member's row.
struct PromotionReportRow {
    std::string server_id;
    std::string address;
    std::string role;   // "primary" / "secondary"
    std::string state;  // as SHOW DATABASE's currentStatus
    uint64_t last_applied_tx = 0;
    int64_t last_applied_ms = 0;  // 0: unknown (NULL)
    UpstreamPosition upstream;
    std::optional<uint64_t> tx_at_risk;
    std::optional<double> seconds_at_risk;
    std::string message;
};

inline constexpr size_t kPromotionReportColumns = 13;

// The upstream position from what the probe answered (or why it failed)
// and what this server's member heard (nullopt: no member here).
// `replica`: the replica's lineage; `now_ms`: this server's clock.
UpstreamPosition upstream_position(const DatabaseInfo& replica, const std::string& remote,
                                   const Result<RemoteDatabaseInfo>& answer, const std::optional<ReplicaStatus>& local,
                                   int64_t now_ms);
// One row per member of `replica`, ordered by server id; `local` adds this
// server's member's own status message to its row.
std::vector<PromotionReportRow> promotion_report_rows(const DatabaseInfo& replica, const UpstreamPosition& upstream,
                                                      const std::optional<ReplicaStatus>& local);
// The row's values, in the order of the output columns above.
std::array<Value, kPromotionReportColumns> promotion_report_values(const PromotionReportRow& row);

class PromotionReport {
public:
    static constexpr std::string_view kName = "internal.dbms.promotionReport";

    PromotionReport(HostHandle host, UpstreamPositionProbe probe, LocalReplicaStatus local, WallClock clock);
    PromotionReport(const PromotionReport&) = delete;
    PromotionReport& operator=(const PromotionReport&) = delete;

    Status register_with_host();
    // The body: validates the argument, reads the members, asks the upstream.
    // Blocks (host calls, the probe): a host session thread only.
    Result<std::vector<PromotionReportRow>> call(const ValueList& args);

private:
    HostHandle host_;
    UpstreamPositionProbe probe_;
    LocalReplicaStatus local_;
    WallClock clock_;
};

}  // namespace ccdr::plugin

// plugin/procedures/subscriptions_procedure.hpp:
// internal.dbms.showReplicaSubscriptions([databaseName]) (admin, READ), run
// on an upstream's cluster: the replica members subscribed to its databases,
// across every server of the cluster (a replica member may pull from any of
// them), one row each:
//   (upstreamDatabase, upstreamServerId, upstreamAddress, replicaClusterId,
//    replicaServerId, replicaDatabase, remoteAddress, connectedSince,
//    acknowledgedTx, upstreamLastTx, lagTx, lagSeconds, bytesSent,
//    storeCopiesServed, error)
// The host gathers the rows (ABI 1.2 cluster_subscriptions: it asks each
// server's instance through list_subscriptions). A server that could not
// answer gets one row of its own: upstreamServerId and error set, every
// other column NULL. databaseName omitted or NULL: every database; a name
// with no subscriptions (`system`, or no such database, as SHOW DATABASE
// does for a missing one) gives no rows; a name Neo4j would refuse (3 to 63
// characters, letters, digits, '.' and '-') is an error. A host without cluster_subscriptions fails
// the call with CCDR_UNSUPPORTED naming its ABI version.
#pragma once

#include <ccdr/host_handle.hpp>
#include <ccdr/status.hpp>
#include <ccdr/value.hpp>

#include <array>
#include <optional>
#include <string>
#include <vector>

namespace ccdr::plugin {

// One row: a subscription, or a server that could not answer.
struct SubscriptionRow {
    std::optional<SubscriptionInfo> subscription;
    std::string server_id;  // the failed server (when there is no subscription)
    std::string error;
};

inline constexpr size_t kSubscriptionColumns = 16;

// The rows of what the host gathered: subscriptions ordered by upstream
// database, serving server, replica cluster, server and database; then one
// row per server that could not answer, by server id.
std::vector<SubscriptionRow> subscription_rows(ClusterSubscriptions gathered);
// The row's values, in the order of the output columns above.
std::array<Value, kSubscriptionColumns> subscription_row_values(const SubscriptionRow& row);

class SubscriptionsProcedure {
public:
    static constexpr std::string_view kName = "internal.dbms.showReplicaSubscriptions";

    explicit SubscriptionsProcedure(HostHandle host) : host_(host) {}
    SubscriptionsProcedure(const SubscriptionsProcedure&) = delete;
    SubscriptionsProcedure& operator=(const SubscriptionsProcedure&) = delete;

    Status register_with_host();
    // The procedure's body: validates the argument, asks the host.
    Result<std::vector<SubscriptionRow>> call(const ValueList& args);

private:
    HostHandle host_;
};

}  // namespace ccdr::plugin

#include "procedures/subscriptions_procedure.hpp"

#include "procedures/procedure_call.hpp"

#include <algorithm>
#include <tuple>

namespace ccdr::plugin {
namespace {

const std::array<ccdr_field, 1> kArgs = {
    ccdr_field{static_text("databaseName"), CCDR_TYPE_STRING, CCDR_FIELD_OPTIONAL, ccdr_value{},
               static_text("A database of this cluster; omitted or NULL: every database.")},
};
const std::array<ccdr_field, kSubscriptionColumns> kOutputs = {
    field("upstreamDatabase", CCDR_TYPE_STRING, "The database of this cluster the replica pulls."),
    field("upstreamServerId", CCDR_TYPE_STRING, "The server of this cluster serving the subscription."),
    field("upstreamAddress", CCDR_TYPE_STRING, "That server's cluster address."),
    field("replicaClusterId", CCDR_TYPE_STRING, "The replica's cluster."),
    field("replicaServerId", CCDR_TYPE_STRING, "The replica member's server."),
    field("replicaDatabase", CCDR_TYPE_STRING, "The replica database."),
    field("remoteAddress", CCDR_TYPE_STRING, "The replica member's address as the connection shows it."),
    field("connectedSince", CCDR_TYPE_INTEGER, "When the subscription started, Unix epoch milliseconds."),
    field("acknowledgedTx", CCDR_TYPE_INTEGER, "The last transaction the replica member acknowledged as applied."),
    field("upstreamLastTx", CCDR_TYPE_INTEGER, "The serving member's last committed transaction."),
    field("lagTx", CCDR_TYPE_INTEGER, "upstreamLastTx - acknowledgedTx."),
    field("lagSeconds", CCDR_TYPE_FLOAT,
          "0 when caught up; else how long ago the oldest unacknowledged transaction was committed."),
    field("bytesSent", CCDR_TYPE_INTEGER, "Wire bytes of the batches sent on this subscription."),
    field("storeCopiesServed", CCDR_TYPE_INTEGER,
          "Complete store copies the serving server sent to this replica member since it started."),
    field("catchUpWindowSeconds", CCDR_TYPE_FLOAT,
          "Seconds until the serving server would prune its log past acknowledgedTx, at the current rate of log "
          "growth and the cap of the log held for replicas; 0: the hold reached its cap (a store copy follows); "
          "NULL: that server holds no log for replicas."),
    field("error", CCDR_TYPE_STRING, "NULL; or why upstreamServerId could not answer (every other column NULL)."),
};

Value integer(uint64_t v) { return Value(static_cast<int64_t>(v)); }

ccdr_status body(void* user_data, const ccdr_call_info*, const ccdr_value* args, size_t n, const ccdr_row_sink* rows,
                 ccdr_error* err) {
    auto* self = static_cast<SubscriptionsProcedure*>(user_data);
    return run_procedure<kSubscriptionColumns>(
        args, n, rows, err, [self](const ValueList& values) { return self->call(values); },
        [](const SubscriptionRow& r) { return subscription_row_values(r); });
}

}  // namespace

std::vector<SubscriptionRow> subscription_rows(ClusterSubscriptions gathered) {
    auto& subs = gathered.subscriptions;
    std::sort(subs.begin(), subs.end(), [](const SubscriptionInfo& a, const SubscriptionInfo& b) {
        return std::tie(a.upstream_database, a.upstream_server_id, a.replica_cluster_id, a.replica_server_id,
                        a.replica_database, a.connected_since_ms) <
               std::tie(b.upstream_database, b.upstream_server_id, b.replica_cluster_id, b.replica_server_id,
                        b.replica_database, b.connected_since_ms);
    });
    auto& failures = gathered.failures;
    std::sort(failures.begin(), failures.end(),
              [](const ServerFailure& a, const ServerFailure& b) { return a.server_id < b.server_id; });
    std::vector<SubscriptionRow> out;
    for (auto& s : subs) {
        out.push_back(SubscriptionRow{std::move(s), "", ""});
    }
    for (const auto& f : failures) {
        std::string why = f.message.empty() ? "status " + std::to_string(static_cast<int>(f.status)) + " (" +
                                                  ccdr_status_neo4j_code(f.status) + ")"
                                            : f.message;
        out.push_back(SubscriptionRow{std::nullopt, f.server_id,
                                      "server " + f.server_id + " could not list its subscriptions: " + why});
    }
    return out;
}

std::array<Value, kSubscriptionColumns> subscription_row_values(const SubscriptionRow& row) {
    if (!row.subscription) {
        std::array<Value, kSubscriptionColumns> out{};
        out[1] = Value(row.server_id);
        out[kSubscriptionColumns - 1] = Value(row.error);
        return out;
    }
    const SubscriptionInfo& s = *row.subscription;
    return {
        Value(s.upstream_database),
        Value(s.upstream_server_id),
        Value(s.upstream_address),
        Value(s.replica_cluster_id),
        Value(s.replica_server_id),
        Value(s.replica_database),
        Value(s.remote_address),
        Value(static_cast<int64_t>(s.connected_since_ms)),
        integer(s.acknowledged_tx),
        integer(s.upstream_last_tx),
        integer(s.lag_tx),
        Value(s.lag_seconds),
        integer(s.bytes_sent),
        integer(s.store_copies_served),
        s.catch_up_window_seconds < 0 ? Value() : Value(s.catch_up_window_seconds),
        Value(),
    };
}

Status SubscriptionsProcedure::register_with_host() {
    return host_.register_procedure(admin_procedure(
        kName,
        "The replica members subscribed to databases of this cluster, on every server of the cluster: identity, "
        "position, lag, bytes sent, store copies served and the catch-up window of the log held for each.",
        kArgs, kOutputs, CCDR_MODE_READ, &body, this));
}

Result<std::vector<SubscriptionRow>> SubscriptionsProcedure::call(const ValueList& args) {
    if (args.size() > 1) {
        return procedure_failed("expected at most 1 argument (databaseName), got " + std::to_string(args.size()));
    }
    std::string database;
    if (!args.empty() && !args[0].is_null()) {
        if (!args[0].is_string()) {
            return procedure_failed("databaseName must be a STRING, got " + args[0].to_display());
        }
        database = normalize_database_name(args[0].as_string());
        // `system` exists but is never replicated: no rows, as for any
        // database nobody subscribes to. Other names follow Neo4j's rules.
        if (database == "system") {
            return std::vector<SubscriptionRow>{};
        }
        Status name_ok = check_database_name(args[0].as_string());
        if (!name_ok) {
            return procedure_failed(name_ok.message());
        }
    }
    auto gathered = host_.cluster_subscriptions(database);
    if (!gathered) {
        if (gathered.status().code() == CCDR_UNSUPPORTED) {
            return Status(CCDR_UNSUPPORTED, "cannot show the replica subscriptions: " + gathered.status().message());
        }
        return procedure_failed("cannot show the replica subscriptions: " + gathered.status().message());
    }
    return subscription_rows(std::move(gathered.value()));
}

}  // namespace ccdr::plugin

#include "procedures/promotion_report.hpp"

#include "procedures/procedure_call.hpp"
#include "procedures/replica_link.hpp"

#include <algorithm>

namespace ccdr::plugin {
namespace {

const std::array<ccdr_field, 1> kArgs = {
    field("databaseName", CCDR_TYPE_STRING, "The replica database that would be promoted."),
};
const std::array<ccdr_field, kPromotionReportColumns> kOutputs = {
    field("serverId", CCDR_TYPE_STRING, "The server hosting the member."),
    field("address", CCDR_TYPE_STRING, "The member's Bolt address."),
    field("role", CCDR_TYPE_STRING, "primary or secondary."),
    field("state", CCDR_TYPE_STRING, "The member's state, as SHOW DATABASE's currentStatus."),
    field("lastAppliedTx", CCDR_TYPE_INTEGER, "The last transaction the member applied (the upstream's id)."),
    field("lastAppliedTime", CCDR_TYPE_INTEGER,
          "Commit time of lastAppliedTx, Unix epoch milliseconds; NULL when the host cannot say."),
    field("upstreamLastTx", CCDR_TYPE_INTEGER, "The upstream's last committed transaction, as answered or last heard."),
    field("upstreamLastCommitTime", CCDR_TYPE_INTEGER, "Its commit time, Unix epoch milliseconds."),
    field("upstreamHeardAt", CCDR_TYPE_INTEGER, "When that position was heard, Unix epoch milliseconds."),
    field("upstreamAnswers", CCDR_TYPE_BOOLEAN, "TRUE when the upstream answered now for the replica's lineage."),
    field("txAtRisk", CCDR_TYPE_INTEGER, "upstreamLastTx - lastAppliedTx: lost if promoted now."),
    field("secondsAtRisk", CCDR_TYPE_FLOAT,
          "Seconds of upstream commits after lastAppliedTime, up to upstreamLastCommitTime; NULL when unknown."),
    field("message", CCDR_TYPE_STRING, "Where the upstream position comes from, and this server's member's status."),
};

ccdr_status body(void* user_data, const ccdr_call_info*, const ccdr_value* args, size_t n, const ccdr_row_sink* rows,
                 ccdr_error* err) {
    auto* self = static_cast<PromotionReport*>(user_data);
    return run_procedure<kPromotionReportColumns>(
        args, n, rows, err, [self](const ValueList& values) { return self->call(values); },
        [](const PromotionReportRow& r) { return promotion_report_values(r); });
}

std::string state_name(ccdr_database_state state) {
    switch (state) {
        case CCDR_DB_ONLINE: return "online";
        case CCDR_DB_OFFLINE: return "offline";
        case CCDR_DB_STARTING: return "starting";
        case CCDR_DB_STOPPING: return "stopping";
        case CCDR_DB_STORE_COPYING: return "store copying";
        default: return "unknown";
    }
}

// Why an answer does not give the replica's upstream position; "" when it does.
std::string not_comparable(const DatabaseInfo& replica, const std::string& remote, const RemoteDatabaseInfo& a) {
    if (!a.refusal.empty()) {
        return "the upstream server at " + a.address + " refuses '" + remote + "': " + a.refusal;
    }
    if (!a.exists) {
        return "no upstream server asked (" + a.address + ") has a database '" + remote + "'";
    }
    if (!a.online) {
        return "'" + remote + "' is not online on the upstream servers asked (" + a.address + ")";
    }
    if (a.store_id != replica.store_id || a.epoch != replica.epoch) {
        return "the upstream server at " + a.address + " has another lineage of '" + remote + "' (store id " +
               a.store_id + ", epoch " + std::to_string(a.epoch) + "; the replica follows store id " +
               replica.store_id + ", epoch " + std::to_string(replica.epoch) + "): its position is not comparable";
    }
    return "";
}

Value integer(uint64_t v) { return Value(static_cast<int64_t>(v)); }
Value time_or_null(int64_t ms) { return ms > 0 ? Value(ms) : Value(); }

}  // namespace

UpstreamPosition upstream_position(const DatabaseInfo& replica, const std::string& remote,
                                   const Result<RemoteDatabaseInfo>& answer, const std::optional<ReplicaStatus>& local,
                                   int64_t now_ms) {
    const bool heard = local && local->upstream_known;
    std::string why_not;
    if (answer) {
        why_not = not_comparable(replica, remote, *answer);
        if (why_not.empty()) {
            UpstreamPosition p{true, true, answer->last_tx, answer->last_commit_ms, now_ms,
                               "upstream server " + answer->address + " answered"};
            // Another upstream server may be ahead of the one that answered:
            // the upstream has at least what this server's member heard.
            if (heard && local->upstream_last_tx > p.last_tx) {
                p.message += " with tx " + std::to_string(p.last_tx) + "; this server's member heard tx " +
                             std::to_string(local->upstream_last_tx) + " earlier, which is used";
                p.last_tx = local->upstream_last_tx;
                p.last_commit_ms = local->upstream_last_commit_ms;
                p.heard_at_ms = local->upstream_heard_ms;
            }
            return p;
        }
    } else {
        why_not = "the upstream did not answer: " + answer.status().message();
    }
    if (!heard) {
        return UpstreamPosition{false, false, 0, 0, 0,
                                why_not + "; and this server has heard no upstream position (" +
                                    (local ? "its member of '" + replica.name + "' has not heard one yet"
                                           : "it runs no member of '" + replica.name + "'") +
                                    "): ask on a server hosting a member"};
    }
    return UpstreamPosition{true, false, local->upstream_last_tx, local->upstream_last_commit_ms,
                            local->upstream_heard_ms,
                            why_not + "; position last heard by this server's member" +
                                (local->upstream_address.empty() ? "" : " (from " + local->upstream_address + ")")};
}

std::vector<PromotionReportRow> promotion_report_rows(const DatabaseInfo& replica, const UpstreamPosition& upstream,
                                                      const std::optional<ReplicaStatus>& local) {
    std::vector<PromotionReportRow> rows;
    for (const auto& m : replica.members) {
        PromotionReportRow r;
        r.server_id = m.server_id;
        r.address = m.bolt_address;
        r.role = m.role == CCDR_ROLE_SECONDARY ? "secondary" : "primary";
        r.state = state_name(m.state);
        r.last_applied_tx = m.last_committed_tx;
        r.last_applied_ms = m.last_commit_time_ms;
        r.upstream = upstream;
        r.message = upstream.message;
        if (upstream.known) {
            const uint64_t at_risk = upstream.last_tx > m.last_committed_tx ? upstream.last_tx - m.last_committed_tx : 0;
            r.tx_at_risk = at_risk;
            if (at_risk == 0) {
                r.seconds_at_risk = 0.0;
            } else if (upstream.last_commit_ms > 0 && m.last_commit_time_ms > 0) {
                r.seconds_at_risk =
                    std::max<int64_t>(0, upstream.last_commit_ms - m.last_commit_time_ms) / 1000.0;
            } else {
                r.message += upstream.last_commit_ms > 0
                                 ? "; secondsAtRisk unknown: the host does not say this member's commit time"
                                 : "; secondsAtRisk unknown: the upstream's last commit time is unknown";
            }
        }
        if (m.state != CCDR_DB_ONLINE) {
            r.message += "; member is " + r.state;
        }
        if (m.is_local && local && !local->message.empty()) {
            r.message += "; this server's member: " + local->message;
        }
        rows.push_back(std::move(r));
    }
    std::sort(rows.begin(), rows.end(),
              [](const PromotionReportRow& a, const PromotionReportRow& b) { return a.server_id < b.server_id; });
    return rows;
}

std::array<Value, kPromotionReportColumns> promotion_report_values(const PromotionReportRow& r) {
    const UpstreamPosition& u = r.upstream;
    return {
        Value(r.server_id),
        Value(r.address),
        Value(r.role),
        Value(r.state),
        integer(r.last_applied_tx),
        time_or_null(r.last_applied_ms),
        u.known ? integer(u.last_tx) : Value(),
        u.known ? time_or_null(u.last_commit_ms) : Value(),
        u.known ? time_or_null(u.heard_at_ms) : Value(),
        Value(u.answers),
        r.tx_at_risk ? integer(*r.tx_at_risk) : Value(),
        r.seconds_at_risk ? Value(*r.seconds_at_risk) : Value(),
        Value(r.message),
    };
}

PromotionReport::PromotionReport(HostHandle host, UpstreamPositionProbe probe, LocalReplicaStatus local,
                                 WallClock clock)
    : host_(host), probe_(std::move(probe)), local_(std::move(local)), clock_(std::move(clock)) {}

Status PromotionReport::register_with_host() {
    return host_.register_procedure(admin_procedure(
        kName,
        "Per member of a replica database: its last applied transaction and the upstream's last (asked now, or as "
        "last heard), and the transactions and seconds that promoting it now would lose.",
        kArgs, kOutputs, CCDR_MODE_READ, &body, this));
}

Result<std::vector<PromotionReportRow>> PromotionReport::call(const ValueList& args) {
    constexpr std::string_view kNothingAtRisk = "nothing is at risk (only a replica is promoted)";
    // `system` is a database, but not one check_database_name lets through.
    if (args.size() == 1 && args[0].is_string() && normalize_database_name(args[0].as_string()) == "system") {
        return procedure_failed("database 'system' is the system database, not a replica; " +
                                std::string(kNothingAtRisk));
    }
    auto normalized = database_name_argument(args);
    if (!normalized) {
        return normalized.status();
    }
    const std::string name = *normalized;
    auto replica = replica_upstream_link(host_, name, kNothingAtRisk);
    if (!replica) {
        return replica.status();
    }
    auto answer = probe_(replica->link);
    if (!answer && answer.status().code() == CCDR_STOPPED) {
        return procedure_failed("cannot report on '" + name + "': " + answer.status().message());
    }
    // The members and what this server's member heard, read after the
    // upstream answered: a member that has applied the answered tx since
    // has nothing at risk.
    auto now = host_.database_info(name);
    if (now && now->kind == CCDR_KIND_REPLICA) {
        replica->info = std::move(now.value());
    }
    auto local = local_(name);
    auto position = upstream_position(replica->info, replica->link.remote, answer, local, clock_());
    return promotion_report_rows(replica->info, position, local);
}

}  // namespace ccdr::plugin

#include "procedures/reattach_procedure.hpp"

#include "procedures/cluster_addresses.hpp"
#include "procedures/lost_transactions_file.hpp"
#include "procedures/procedure_call.hpp"
#include "procedures/upstream_link.hpp"
#include "session/log_hashes.hpp"

#include <algorithm>

namespace ccdr::plugin {
namespace {

const std::array<ccdr_field, 2> kArgs = {
    field("databaseName", CCDR_TYPE_STRING, "The standard database of this cluster that a failover left behind."),
    field("options", CCDR_TYPE_MAP,
          "{remote: the promoted database on the other cluster, addresses: cluster endpoints of its servers}"),
};
const std::array<ccdr_field, kReattachColumns> kOutputs = {
    field("database", CCDR_TYPE_STRING, "The database of this cluster, now a replica."),
    field("sharedTx", CCDR_TYPE_INTEGER, "The last transaction both histories share; it continues after it."),
    field("lostTransactions", CCDR_TYPE_INTEGER, "Transactions of this cluster after sharedTx, undone here."),
    field("lostFile", CCDR_TYPE_STRING, "The JSON-lines file that holds them (NULL when there were none)."),
    field("upstreamDatabase", CCDR_TYPE_STRING, "The promoted database it now replicates."),
    field("upstreamAddress", CCDR_TYPE_STRING, "The server of the other cluster that was asked."),
    field("epoch", CCDR_TYPE_INTEGER, "The lineage epoch it follows now."),
    field("message", CCDR_TYPE_STRING, "What happened."),
};

ccdr_status body(void* user_data, const ccdr_call_info*, const ccdr_value* args, size_t n, const ccdr_row_sink* rows,
                 ccdr_error* err) {
    auto* self = static_cast<ReattachProcedure*>(user_data);
    return run_procedure<kReattachColumns>(
        args, n, rows, err, [self](const ValueList& values) { return self->call(values); },
        [](const ReattachResult& r) { return reattach_row_values(r); });
}

const std::string kWayOut = ". Nothing was changed; a full store copy stays the way out: drop it and "
                            "CALL internal.dbms.createReplicaDatabase";

}  // namespace

Result<SharedPoint> find_shared_point(uint64_t local_last, uint64_t local_oldest, uint64_t remote_last,
                                      uint64_t remote_oldest, const HashSource& local, const HashSource& remote) {
    const uint64_t top = std::min(local_last, remote_last);
    const uint64_t bound = std::max<uint64_t>({1, local_oldest, remote_oldest});
    uint64_t hi = top;
    while (hi >= bound && hi > 0) {
        const uint64_t from = hi - std::min<uint64_t>(hi - bound, protocol::kMaxHistoryHashes - 1);
        auto mine = local(from, hi);
        if (!mine) {
            return mine.status();
        }
        auto theirs = remote(from, hi);
        if (!theirs) {
            return theirs.status();
        }
        for (uint64_t k = hi; k >= from; --k) {
            const bool in_mine = k >= mine->from && k - mine->from < mine->hashes.size();
            const bool in_theirs = k >= theirs->from && k - theirs->from < theirs->hashes.size();
            if (in_mine && in_theirs && mine->hashes[k - mine->from] == theirs->hashes[k - theirs->from]) {
                return SharedPoint{k, ""};
            }
            if (k == from) {
                break;
            }
        }
        if (from == bound) {
            break;
        }
        hi = from - 1;
    }
    if (top == 0) {
        return SharedPoint{std::nullopt, "one of the two has no transaction at all"};
    }
    if (bound == 1) {
        return SharedPoint{std::nullopt, "the two histories share no transaction (they differ from transaction 1)"};
    }
    return SharedPoint{std::nullopt,
                       "no shared transaction down to tx " + std::to_string(bound) + ", where the logs end (this "
                       "cluster's log starts at tx " + std::to_string(local_oldest) + ", the other's at tx " +
                           std::to_string(remote_oldest) + "): the logs were pruned too far back"};
}

std::array<Value, kReattachColumns> reattach_row_values(const ReattachResult& r) {
    return {Value(r.database),
            Value(static_cast<int64_t>(r.shared_tx)),
            Value(static_cast<int64_t>(r.lost_transactions)),
            r.lost_file.empty() ? Value() : Value(r.lost_file),
            Value(r.upstream_database),
            Value(r.upstream_address),
            Value(static_cast<int64_t>(r.epoch)),
            Value(r.message)};
}

Status ReattachProcedure::register_with_host() {
    return host_.register_procedure(admin_procedure(
        kName,
        "After a failover: make this cluster's database a replica of the promoted one without a store copy; the "
        "transactions only this cluster has are undone and kept in a file.",
        kArgs, kOutputs, CCDR_MODE_WRITE, &body, this));
}

Result<std::vector<ReattachResult>> ReattachProcedure::call(const ValueList& args) {
    if (args.size() != 2) {
        return procedure_failed("expected 2 arguments (databaseName, {remote, addresses}), got " +
                                std::to_string(args.size()));
    }
    auto name = database_name_argument(ValueList{args[0]});
    if (!name) {
        return name.status();
    }
    auto link = parse_upstream_link(args[1]);
    if (!link) {
        return procedure_failed(link.status().message());
    }
    for (const auto& address : this_cluster_addresses(host_)) {
        if (std::find(link->addresses.begin(), link->addresses.end(), address) != link->addresses.end()) {
            return procedure_failed("address " + address + " is a server of this cluster: re-attach to the "
                                    "promoted database of the other cluster");
        }
    }
    auto info = host_.database_info(*name);
    if (!info) {
        if (info.status().code() == CCDR_DATABASE_NOT_FOUND) {
            return procedure_failed("database '" + *name + "' does not exist");
        }
        return procedure_failed("cannot read database '" + *name + "': " + info.status().message());
    }
    if (info->kind != CCDR_KIND_STANDARD) {
        return procedure_failed("database '" + *name + "' is a " +
                                (info->kind == CCDR_KIND_SYSTEM ? std::string("system database")
                                                                : std::string("replica already")) +
                                ": only a standard database left behind by a failover is re-attached");
    }
    if (!host_.has_make_replica()) {
        return Status(CCDR_UNSUPPORTED, "cannot re-attach '" + *name + "': " +
                                            host_.make_replica(*name, 0, 0, {}, {}).message());
    }
    // A server of the other cluster that hosts the promoted database online.
    std::unique_ptr<UpstreamSession> upstream;
    protocol::DatabaseInfoReply remote;
    std::string failures;
    for (const auto& address : link->addresses) {
        auto session = open_({address});
        if (!session) {
            failures += (failures.empty() ? "" : "; ") + session.status().message();
            continue;
        }
        auto described = (*session)->ask<protocol::DatabaseInfoReply>(protocol::DatabaseInfoRequest{link->remote},
                                                                     io_timeout_);
        if (!described) {
            failures += (failures.empty() ? "" : "; ") + described.status().message();
            continue;
        }
        if (!described->refusal.empty()) {
            return procedure_failed("refused by " + (*session)->address() + ": " + described->refusal);
        }
        if (!described->exists) {
            return procedure_failed("database '" + link->remote + "' does not exist on the other cluster (asked " +
                                    (*session)->address() + ")");
        }
        if (described->online) {
            remote = std::move(*described);
            upstream = std::move(*session);
            break;
        }
        failures += (failures.empty() ? "" : "; ") + (*session)->address() + ": '" + link->remote +
                    "' is not online there";
    }
    if (!upstream) {
        return procedure_failed("cannot reach the promoted database '" + link->remote + "': " + failures +
                                ". Nothing was changed");
    }
    if (remote.store_id != info->store_id) {
        return procedure_failed("'" + link->remote + "' has store id " + remote.store_id + ", '" + *name +
                                "' here has store id " + info->store_id +
                                ": another database (or the same name with another lineage), not a later history "
                                "of this one" + kWayOut);
    }
    if (remote.kind != CCDR_KIND_STANDARD) {
        return procedure_failed("'" + link->remote + "' on " + upstream->address() +
                                " is a replica: re-attach to the promoted (standard) database");
    }
    if (remote.epoch <= info->epoch) {
        return procedure_failed("'" + link->remote + "' is of epoch " + std::to_string(remote.epoch) + " and '" +
                                *name + "' here of epoch " + std::to_string(info->epoch) +
                                ": it was not promoted after this one, so it is not a later history of it" + kWayOut);
    }

    // The hashes come from this server's member: the call must run where one is.
    auto local_log = host_.log_info(*name);
    if (!local_log) {
        std::string hosts;
        for (const auto& m : info->members) {
            hosts += (hosts.empty() ? "" : ", ") + m.bolt_address;
        }
        return procedure_failed("cannot read the log of '" + *name + "' on this server (" +
                                local_log.status().message() + "): call it on a server hosting a member of '" +
                                *name + "' (" + hosts + "). Nothing was changed");
    }
    HashSource mine = [&](uint64_t from, uint64_t to) -> Result<HashRange> {
        auto hashes = session::log_hashes(host_, *name, from, to);
        if (!hashes) {
            return hashes.status();
        }
        return HashRange{from, std::move(*hashes)};
    };
    HashSource theirs = [&](uint64_t from, uint64_t to) -> Result<HashRange> {
        auto history = upstream->ask<protocol::History>(protocol::HistoryRequest{link->remote, info->store_id, from, to},
                                                        io_timeout_);
        if (!history) {
            return history.status();
        }
        return HashRange{history->from_tx, std::move(history->hashes)};
    };
    auto shared = find_shared_point(local_log->last_committed_tx, local_log->oldest_retained_tx, remote.last_tx,
                                    remote.oldest_retained_tx, mine, theirs);
    if (!shared) {
        return procedure_failed("cannot compare the histories of '" + *name + "' and '" + link->remote +
                                "': " + shared.status().message() + ". Nothing was changed");
    }
    if (!shared->tx) {
        return procedure_failed("cannot re-attach '" + *name + "' to '" + link->remote + "': " + shared->reason +
                                kWayOut);
    }
    const uint64_t at = *shared->tx;
    if (remote.oldest_retained_tx > at + 1) {
        return procedure_failed("the histories share tx " + std::to_string(at) + ", but the log of '" + link->remote +
                                "' on " + upstream->address() + " starts at tx " +
                                std::to_string(remote.oldest_retained_tx) + ": it no longer holds tx " +
                                std::to_string(at + 1) + ", which the replica would need next" + kWayOut);
    }

    LostTransactionsFile lost(data_directory_, *name);
    ValueMap options{{kReplicaConfigOption, to_value(*link)}};
    Status made = host_.make_replica(*name, remote.epoch, at, options, [&](const HostHandle::UndoneTx& tx) {
        return lost.add(tx.tx_id, tx.commit_time_ms, tx.changes);
    });
    if (!made) {
        const std::string kept = lost.count() > 0 ? " (" + lost.path().string() + " holds the transactions it would "
                                                    "have undone; nothing was undone)"
                                                  : "";
        if (made.code() == CCDR_LOG_PRUNED) {
            return procedure_failed("cannot revert '" + *name + "' to tx " + std::to_string(at) + ": " +
                                    made.message() + kept + kWayOut);
        }
        return procedure_failed("cannot make '" + *name + "' a replica of '" + link->remote + "' at tx " +
                                std::to_string(at) + ": " + made.message() + kept);
    }
    ReattachResult result;
    result.database = *name;
    result.shared_tx = at;
    result.lost_transactions = lost.count();
    result.lost_file = lost.path().string();
    result.upstream_database = link->remote;
    result.upstream_address = upstream->address();
    result.epoch = remote.epoch;
    result.message = "'" + *name + "' replicates '" + link->remote + "' from tx " + std::to_string(at + 1) +
                     (lost.count() > 0 ? "; " + std::to_string(lost.count()) + " transaction(s) only this cluster "
                                         "had were undone and are in " + lost.path().string()
                                       : "; nothing was undone");
    log_->warn("re-attached '{}' as a replica of '{}' (epoch {}) at {}: shared tx {}, {} transaction(s) undone{}",
               *name, link->remote, remote.epoch, upstream->address(), at, lost.count(),
               lost.count() > 0 ? ", kept in " + lost.path().string() : "");
    return std::vector<ReattachResult>{result};
}

}  // namespace ccdr::plugin

#include "procedures/switchover_procedure.hpp"

#include "procedures/cluster_addresses.hpp"
#include "procedures/procedure_call.hpp"
#include "session/replica_config.hpp"

#include <ccdr/setting_values.hpp>

#include <thread>

namespace ccdr::plugin {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr milliseconds kDefaultTimeout{30'000};
// How long the upstream's make_replica may take (it stops and restarts the
// database's members) beyond the session's I/O timeout.
constexpr milliseconds kDemoteAllowance{60'000};

const std::array<ccdr_field, 2> kArgs = {
    field("replicaDatabaseName", CCDR_TYPE_STRING, "The replica that becomes the writer."),
    ccdr_field{static_text("options"), CCDR_TYPE_MAP, CCDR_FIELD_OPTIONAL, ccdr_value{},
               static_text("{timeout: how long the replica may take to catch up once the upstream is fenced, "
                           "e.g. \"30s\" (default)}")},
};
const std::array<ccdr_field, kSwitchoverColumns> kOutputs = {
    field("database", CCDR_TYPE_STRING, "The database of this cluster, now a standard (writable) database."),
    field("epoch", CCDR_TYPE_INTEGER, "Its lineage epoch after the promotion."),
    field("switchedAtTx", CCDR_TYPE_INTEGER, "The upstream's last transaction at its fence; this cluster's "
                                             "first own transaction follows it."),
    field("upstreamDatabase", CCDR_TYPE_STRING, "The former upstream database."),
    field("upstreamAddress", CCDR_TYPE_STRING, "The upstream server that took the fence and the demotion."),
    field("upstreamIsReplica", CCDR_TYPE_BOOLEAN, "true: the former upstream now replicates this database; "
                                                  "false: it stays fenced (read-only), see message."),
    field("writesRefusedMs", CCDR_TYPE_INTEGER, "Milliseconds from the fence to the promotion: writes were "
                                                "refused in that window."),
    field("message", CCDR_TYPE_STRING, "What happened, or what is left to do."),
};

ccdr_status body(void* user_data, const ccdr_call_info*, const ccdr_value* args, size_t n, const ccdr_row_sink* rows,
                 ccdr_error* err) {
    auto* self = static_cast<SwitchoverProcedure*>(user_data);
    return run_procedure<kSwitchoverColumns>(
        args, n, rows, err, [self](const ValueList& values) { return self->call(values); },
        [](const SwitchoverResult& r) { return switchover_row_values(r); });
}

Result<milliseconds> timeout_option(const ValueList& args) {
    if (args.size() < 2 || args[1].is_null()) {
        return kDefaultTimeout;
    }
    if (!args[1].is_map()) {
        return procedure_failed("options must be a MAP, got " + args[1].to_display());
    }
    milliseconds timeout = kDefaultTimeout;
    for (const auto& [key, value] : args[1].as_map()) {
        if (key != "timeout") {
            return procedure_failed("unknown option '" + key + "' (the options are: timeout)");
        }
        if (!value.is_string()) {
            return procedure_failed("timeout must be a STRING duration such as \"30s\", got " + value.to_display());
        }
        auto parsed = settings::parse_duration(value.as_string());
        if (!parsed || parsed->count() < 1000 || parsed->count() > 3'600'000) {
            return procedure_failed("timeout must be a duration from 1s to 1h, such as \"30s\", got \"" +
                                    value.as_string() + "\"");
        }
        timeout = *parsed;
    }
    return timeout;
}

const char* state_name(ccdr_database_state s) {
    switch (s) {
        case CCDR_DB_ONLINE: return "online";
        case CCDR_DB_OFFLINE: return "offline";
        case CCDR_DB_STARTING: return "starting";
        case CCDR_DB_STOPPING: return "stopping";
        case CCDR_DB_STORE_COPYING: return "store copying";
        case CCDR_DB_UNKNOWN: return "unknown (its server does not answer)";
    }
    return "unknown";
}

// The first member not ONLINE, as a sentence; "" when all are.
std::string member_not_online(const DatabaseInfo& info) {
    for (const auto& m : info.members) {
        if (m.state != CCDR_DB_ONLINE) {
            return "the member on server " + m.server_id + " is " + state_name(m.state);
        }
    }
    return "";
}

}  // namespace

std::array<Value, kSwitchoverColumns> switchover_row_values(const SwitchoverResult& r) {
    return {Value(r.database),
            Value(static_cast<int64_t>(r.epoch)),
            Value(static_cast<int64_t>(r.switched_at_tx)),
            Value(r.upstream_database),
            Value(r.upstream_address),
            Value(r.upstream_is_replica),
            Value(r.writes_refused_ms),
            Value(r.message)};
}

Status SwitchoverProcedure::register_with_host() {
    return host_.register_procedure(admin_procedure(
        kName,
        "Planned switchover: fence the upstream database, let the replica catch up, promote it and make the former "
        "upstream its replica, with no transaction lost and no store copy.",
        kArgs, kOutputs, CCDR_MODE_WRITE, &body, this));
}

Result<std::vector<SwitchoverResult>> SwitchoverProcedure::call(const ValueList& args) {
    if (args.empty() || args.size() > 2) {
        return procedure_failed("expected 1 or 2 arguments (replicaDatabaseName, options), got " +
                                std::to_string(args.size()));
    }
    auto name = database_name_argument(ValueList{args[0]});
    if (!name) {
        return name.status();
    }
    auto timeout = timeout_option(args);
    if (!timeout) {
        return timeout.status();
    }
    auto info = host_.database_info(*name);
    if (!info) {
        if (info.status().code() == CCDR_DATABASE_NOT_FOUND) {
            return procedure_failed("database '" + *name + "' does not exist");
        }
        return procedure_failed("cannot read database '" + *name + "': " + info.status().message());
    }
    if (info->kind != CCDR_KIND_REPLICA) {
        return procedure_failed("database '" + *name + "' is a " +
                                (info->kind == CCDR_KIND_SYSTEM ? std::string("system") : std::string("standard")) +
                                " database, not a replica: a switchover is called on the replica's cluster, for the "
                                "replica; nothing was changed");
    }
    if (std::string offline = member_not_online(*info); !offline.empty()) {
        return procedure_failed("cannot switch over '" + *name + "': " + offline +
                                "; every member must be online to catch up. Nothing was changed");
    }
    auto option = host_.get_database_option(*name, kReplicaConfigOption);
    auto link = option ? parse_replica_config(*option) : Result<ReplicaConfig>(option.status());
    if (!link) {
        return procedure_failed("cannot switch over '" + *name + "': its upstream link is unusable: " +
                                link.status().message());
    }
    const std::vector<std::string> here = this_cluster_addresses(host_);
    const std::string ours = "'" + *name + "' of cluster " + cluster_id_;

    // 1. fence
    auto session = open_(link->addresses);
    if (!session) {
        return procedure_failed("step 1 (fence the upstream '" + link->remote + "'): " + session.status().message() +
                                ". Nothing was changed");
    }
    UpstreamSession& upstream = **session;
    protocol::FenceRequest fence;
    fence.name = link->remote;
    fence.store_id = info->store_id;
    fence.epoch = info->epoch;
    fence.fence = true;
    fence.replica_database = *name;
    fence.reason = "switchover to " + ours;
    fence.hold_ms = static_cast<uint64_t>((*timeout + kDemoteAllowance).count());
    const auto fence_started = Clock::now();
    auto fenced = upstream.ask<protocol::Fenced>(fence, io_timeout_);
    if (!fenced) {
        return procedure_failed("step 1 (fence the upstream '" + link->remote + "' at " + upstream.address() +
                                "): " + fenced.status().message() +
                                (fenced.status().code() == CCDR_PROCEDURE_CALL_FAILED
                                     ? ". Nothing was changed"
                                     : ". If the upstream took the fence it stays read-only: ALTER DATABASE " +
                                           link->remote + " SET ACCESS READ WRITE on its cluster undoes it"));
    }
    const uint64_t fence_tx = fenced->last_tx;
    log_->info("switchover of '{}': upstream '{}' at {} fenced at tx {}", *name, link->remote, upstream.address(),
               fence_tx);

    auto unfence = [&](const std::string& step, const std::string& why) -> Status {
        protocol::FenceRequest undo = fence;
        undo.fence = false;
        undo.hold_ms = 0;
        auto undone = upstream.ask<protocol::Fenced>(undo, io_timeout_);
        if (!undone) {
            log_->error("switchover of '{}' failed at {} and unfencing '{}' failed too: {}", *name, step, link->remote,
                        undone.status().message());
            return procedure_failed(step + ": " + why + ". '" + *name + "' is still a replica, but unfencing the "
                                    "upstream's '" + link->remote + "' failed (" + undone.status().message() +
                                    "): run ALTER DATABASE " + link->remote +
                                    " SET ACCESS READ WRITE on the upstream's cluster");
        }
        log_->warn("switchover of '{}' failed at {} ({}); the upstream's '{}' is writable again", *name, step, why,
                   link->remote);
        return procedure_failed(step + ": " + why + ". Undone: the upstream's '" + link->remote +
                                "' is writable again and '" + *name + "' is still a replica");
    };

    // 2. catch up
    const auto deadline = Clock::now() + *timeout;
    for (;;) {
        auto now_info = host_.database_info(*name);
        if (!now_info) {
            return unfence("step 2 (catch up to tx " + std::to_string(fence_tx) + ")",
                           "cannot read '" + *name + "': " + now_info.status().message());
        }
        if (std::string offline = member_not_online(*now_info); !offline.empty()) {
            return unfence("step 2 (catch up to tx " + std::to_string(fence_tx) + ")", offline);
        }
        const MemberInfo* behind = nullptr;
        for (const auto& m : now_info->members) {
            if (m.last_committed_tx < fence_tx && (behind == nullptr || m.last_committed_tx < behind->last_committed_tx)) {
                behind = &m;
            }
            if (m.last_committed_tx > fence_tx) {
                return unfence("step 2 (catch up to tx " + std::to_string(fence_tx) + ")",
                               "the member on server " + m.server_id + " is at tx " +
                                   std::to_string(m.last_committed_tx) + ", past the upstream's fence");
            }
        }
        if (behind == nullptr) {
            break;
        }
        if (Clock::now() >= deadline) {
            return unfence("step 2 (catch up to tx " + std::to_string(fence_tx) + ")",
                           "the member on server " + behind->server_id + " was at tx " +
                               std::to_string(behind->last_committed_tx) + " after " +
                               std::to_string(timeout->count()) + " ms");
        }
        std::this_thread::sleep_for(milliseconds(5));
    }

    // 3. promote
    const uint64_t new_epoch = info->epoch + 1;
    Status promoted = host_.set_database_kind(*name, CCDR_KIND_STANDARD, new_epoch);
    if (!promoted) {
        return unfence("step 3 (promote '" + *name + "')", promoted.message());
    }
    const auto promoted_at = Clock::now();
    Status unlinked = host_.set_database_option(*name, kReplicaConfigOption, nullptr);
    if (!unlinked) {
        log_->warn("switchover: promoted '{}' but could not remove its upstream link: {}", *name, unlinked.message());
    }
    SwitchoverResult result;
    result.database = *name;
    result.epoch = new_epoch;
    result.switched_at_tx = fence_tx;
    result.upstream_database = link->remote;
    result.upstream_address = upstream.address();
    result.writes_refused_ms =
        std::chrono::duration_cast<milliseconds>(promoted_at - fence_started).count();

    // 4. demote
    protocol::DemoteRequest demote;
    demote.name = link->remote;
    demote.store_id = info->store_id;
    demote.epoch = info->epoch;
    demote.new_epoch = new_epoch;
    demote.at_tx = fence_tx;
    demote.remote = *name;
    demote.addresses = here;
    auto demoted = upstream.ask<protocol::Demoted>(demote, io_timeout_ + kDemoteAllowance);
    if (!demoted) {
        result.message = "'" + *name + "' is the writer (promoted at tx " + std::to_string(fence_tx) + ", epoch " +
                         std::to_string(new_epoch) + "); the former upstream '" + link->remote +
                         "' stays read-only but did not become its replica: " + demoted.status().message() +
                         ". Run CALL internal.dbms.reattachAsReplica('" + link->remote + "', {remote: '" + *name +
                         "', addresses: [...]}) on its cluster";
        log_->error("switchover of '{}': {}", *name, result.message);
        return std::vector<SwitchoverResult>{result};
    }
    result.upstream_is_replica = true;
    result.message = "'" + *name + "' is the writer from tx " + std::to_string(fence_tx + 1) + "; '" + link->remote +
                     "' on the former upstream's cluster replicates it";
    log_->info("switchover of '{}' done: writer here from tx {} (epoch {}); '{}' at {} is its replica; writes were "
               "refused for {} ms",
               *name, fence_tx + 1, new_epoch, link->remote, upstream.address(), result.writes_refused_ms);
    return std::vector<SwitchoverResult>{result};
}

}  // namespace ccdr::plugin

#include "upstream/upstream_checks.hpp"

namespace ccdr::plugin {

using protocol::RefusalCode;

UpstreamChecks::UpstreamChecks(HostHandle host, std::string server_id, std::vector<std::string> allowed_databases,
                               std::function<std::string(const std::string&)> replica_gate)
    : host_(host),
      server_id_(std::move(server_id)),
      allowed_databases_(std::move(allowed_databases)),
      replica_gate_(std::move(replica_gate)) {}

std::string UpstreamChecks::refusal_for(const std::string& name) const {
    if (name == "system") {
        return "the system database is never replicated";
    }
    for (const auto& allowed : allowed_databases_) {
        if (allowed == "*" || allowed == name) {
            return "";
        }
    }
    return "database '" + name + "' is not in ccdr.upstream.allowed_databases of server " + server_id_;
}

protocol::DatabaseInfoReply UpstreamChecks::describe(const std::string& name) const {
    protocol::DatabaseInfoReply r;
    r.name = name;
    r.refusal = refusal_for(name);
    auto info = host_.database_info(name);
    if (!info) {
        return r;  // exists = false
    }
    r.exists = true;
    r.kind = static_cast<uint8_t>(info->kind);
    const MemberInfo* local = nullptr;
    for (const auto& m : info->members) {
        if (m.is_local) {
            local = &m;
        }
    }
    r.online = info->requested_online && local != nullptr && local->state == CCDR_DB_ONLINE;
    if (r.refusal.empty() && info->kind == CCDR_KIND_REPLICA && replica_gate_) {
        // Fan-out: only the puller serves a replica database, and only
        // while it pulls (checked again every heartbeat interval of a stream).
        r.refusal = replica_gate_(name);
    }
    if (!r.refusal.empty()) {
        return r;
    }
    r.store_id = info->store_id;
    r.epoch = info->epoch;
    auto log = host_.log_info(name);
    if (!log) {
        r.online = false;
        return r;
    }
    r.last_tx = log->last_committed_tx;
    r.last_commit_ms = log->last_commit_time_ms;
    r.oldest_retained_tx = log->oldest_retained_tx;
    return r;
}

std::optional<Refusal> UpstreamChecks::check_lineage(const protocol::DatabaseInfoReply& info,
                                                     const std::string& store_id, uint64_t epoch) const {
    if (!info.refusal.empty()) {
        return Refusal{RefusalCode::kNotAllowed, info.refusal};
    }
    if (!info.exists) {
        return Refusal{RefusalCode::kDatabaseNotFound,
                       "database '" + info.name + "' does not exist on server " + server_id_};
    }
    if (!info.online) {
        return Refusal{RefusalCode::kDatabaseOffline,
                       "database '" + info.name + "' is not online on server " + server_id_};
    }
    if (info.store_id != store_id || info.epoch != epoch) {
        return Refusal{RefusalCode::kLineageMismatch,
                       "lineage mismatch for database '" + info.name + "': the replica has store id " + store_id +
                           " and epoch " + std::to_string(epoch) + ", the upstream has store id " + info.store_id +
                           " and epoch " + std::to_string(info.epoch)};
    }
    return std::nullopt;
}

SubscribeStart UpstreamChecks::subscribe_start(const protocol::DatabaseInfoReply& info, uint64_t from_tx) const {
    SubscribeStart out;
    if (from_tx > info.last_tx + 1) {
        out.kind = SubscribeStart::Kind::kRefused;
        out.refusal = Refusal{RefusalCode::kAheadOfUpstream,
                              "the replica of '" + info.name + "' asks for transactions from " +
                                  std::to_string(from_tx) + " but the last committed tx here is " +
                                  std::to_string(info.last_tx) +
                                  ": the replica has transactions this upstream does not"};
    } else if (from_tx < info.oldest_retained_tx) {
        out.kind = SubscribeStart::Kind::kLogPruned;
    }
    return out;
}

FingerprintAnswer UpstreamChecks::fingerprint(const protocol::FingerprintRequest& request) const {
    FingerprintAnswer out;
    auto info = describe(request.name);
    if (auto refusal = check_lineage(info, request.store_id, request.epoch)) {
        out.refusal = std::move(refusal);
        return out;
    }
    auto f = host_.content_fingerprint(request.name, "");
    if (!f) {
        const auto code = f.status().code() == CCDR_UNSUPPORTED ? RefusalCode::kUnsupported
            : f.status().code() == CCDR_DATABASE_UNAVAILABLE   ? RefusalCode::kDatabaseOffline
                                                                : RefusalCode::kInternal;
        out.refusal = Refusal{code, "cannot fingerprint '" + request.name + "' on server " + server_id_ + ": " +
                                        f.status().message()};
        return out;
    }
    out.reply = protocol::FingerprintReply{request.name, f->tx_id, f->algorithm, f->fingerprint};
    return out;
}

FingerprintAnswer UpstreamChecks::running_fingerprint(const protocol::RunningFingerprintRequest& request) const {
    FingerprintAnswer out;
    auto info = describe(request.name);
    if (auto refusal = check_lineage(info, request.store_id, request.epoch)) {
        out.refusal = std::move(refusal);
        return out;
    }
    if (request.tx_id == 0) {
        out.refusal = Refusal{RefusalCode::kBadRequest, "a running fingerprint request needs a tx id"};
        return out;
    }
    auto f = host_.running_fingerprint(request.name, "", request.tx_id);
    if (!f) {
        const auto code = f.status().code();
        if (code == CCDR_UNSUPPORTED) {
            out.refusal = Refusal{RefusalCode::kUnsupported, std::string(protocol::kRunningFingerprintUnsupported) +
                                                                 " on server " + server_id_ + ": " +
                                                                 f.status().message()};
        } else {
            out.refusal = Refusal{code == CCDR_DATABASE_UNAVAILABLE ? RefusalCode::kDatabaseOffline
                                  : code == CCDR_LOG_PRUNED || code == CCDR_INVALID_ARGUMENT
                                      ? RefusalCode::kBadRequest
                                      : RefusalCode::kInternal,
                                  "no running fingerprint of '" + request.name + "' at tx " +
                                      std::to_string(request.tx_id) + " on server " + server_id_ + ": " +
                                      f.status().message()};
        }
        return out;
    }
    out.reply = protocol::FingerprintReply{request.name, f->tx_id, f->algorithm, f->fingerprint};
    return out;
}

}  // namespace ccdr::plugin

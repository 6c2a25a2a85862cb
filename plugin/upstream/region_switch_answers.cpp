#include "upstream/region_switch_answers.hpp"

#include "session/replica_config.hpp"
#include "session/log_hashes.hpp"

#include <algorithm>

namespace ccdr::plugin {

using protocol::RefusalCode;

namespace {

Refusal host_refusal(const Status& st, const std::string& what) {
    const auto code = st.code() == CCDR_UNSUPPORTED       ? RefusalCode::kUnsupported
                      : st.code() == CCDR_DATABASE_NOT_FOUND ? RefusalCode::kDatabaseNotFound
                      : st.code() == CCDR_INVALID_ARGUMENT   ? RefusalCode::kBadRequest
                                                             : RefusalCode::kInternal;
    return Refusal{code, what + ": " + st.message()};
}

// The checks every fence request passes: the setting, the allow-list, the
// database exists here as a standard database of the same store.
std::optional<Refusal> common_checks(const session::SessionContext& context, const protocol::DatabaseInfoReply& info,
                                     const std::string& store_id) {
    const std::string& server = context.server.server_id;
    if (!context.settings.remote_fencing) {
        return Refusal{RefusalCode::kNotAllowed, "ccdr.upstream.remote_fencing=false on server " + server +
                                                     ": this cluster takes no fence or switchover requests"};
    }
    if (!info.refusal.empty()) {
        return Refusal{RefusalCode::kNotAllowed, info.refusal};
    }
    if (!info.exists) {
        return Refusal{RefusalCode::kDatabaseNotFound, "database '" + info.name + "' does not exist"};
    }
    if (info.store_id != store_id) {
        return Refusal{RefusalCode::kLineageMismatch, "database '" + info.name + "' here has store id " +
                                                          info.store_id + ", the request names " + store_id +
                                                          ": another database"};
    }
    return std::nullopt;
}

}  // namespace

Answer<protocol::Fenced> answer_fence(const session::SessionContext& context, const UpstreamChecks& checks,
                                      const std::string& peer_cluster_id, const protocol::FenceRequest& request) {
    Answer<protocol::Fenced> out;
    out.reply.name = request.name;
    const protocol::DatabaseInfoReply info = checks.describe(request.name);
    if (auto refusal = common_checks(context, info, request.store_id)) {
        out.refusal = std::move(refusal);
        return out;
    }
    if (request.heal) {
        if (!request.fence) {
            out.refusal = Refusal{RefusalCode::kBadRequest, "a fence on heal cannot unfence"};
            return out;
        }
        if (info.kind == CCDR_KIND_REPLICA) {
            // Already following a newer history (re-attached): a replica
            // takes no user writes, which is what the fence is for.
            out.reply.read_only = true;
            out.reply.last_tx = info.last_tx;
            return out;
        }
        if (request.epoch <= info.epoch) {
            out.refusal = Refusal{RefusalCode::kLineageMismatch,
                                  "database '" + request.name + "' here is of epoch " + std::to_string(info.epoch) +
                                      ", not older than the promoted database's " + std::to_string(request.epoch) +
                                      ": it was not promoted away from this one"};
            return out;
        }
    } else {
        if (info.kind != CCDR_KIND_STANDARD) {
            out.refusal = Refusal{RefusalCode::kBadRequest,
                                  "database '" + request.name + "' here is not a standard database: only a writable "
                                  "upstream can be switched over"};
            return out;
        }
        if (info.epoch != request.epoch) {
            out.refusal = Refusal{RefusalCode::kLineageMismatch,
                                  "database '" + request.name + "' here is of epoch " + std::to_string(info.epoch) +
                                      ", the replica follows epoch " + std::to_string(request.epoch)};
            return out;
        }
        auto subs = context.host.cluster_subscriptions(request.name);
        if (!subs) {
            out.refusal = host_refusal(subs.status(), "cannot check the subscriptions of '" + request.name + "'");
            return out;
        }
        const bool subscribed = std::any_of(subs->subscriptions.begin(), subs->subscriptions.end(), [&](const auto& s) {
            return s.replica_cluster_id == peer_cluster_id && s.replica_database == request.replica_database;
        });
        if (!subscribed) {
            out.refusal = Refusal{RefusalCode::kNotAllowed,
                                  "cluster " + peer_cluster_id + " has no live subscription of '" + request.name +
                                      "' for '" + request.replica_database +
                                      "': only a subscribed replica's cluster may fence it"};
            return out;
        }
    }
    auto fenced = context.host.set_database_access(request.name, request.fence, request.reason);
    if (!fenced) {
        out.refusal = host_refusal(fenced.status(), std::string("cannot ") + (request.fence ? "fence" : "unfence") +
                                                        " '" + request.name + "'");
        return out;
    }
    out.reply.read_only = request.fence;
    out.reply.last_tx = request.fence ? *fenced : info.last_tx;
    context.log->warn("database '{}' {} at the request of cluster {} ({}{}): {}", request.name,
                      request.fence ? "fenced (read-only)" : "writable again", peer_cluster_id,
                      request.heal ? "fence on heal, " : "switchover, ", "'" + request.replica_database + "'",
                      request.reason);
    return out;
}

Answer<protocol::Demoted> answer_demote(const session::SessionContext& context, const UpstreamChecks& checks,
                                        const std::optional<protocol::FenceRequest>& fence, uint64_t fenced_at_tx,
                                        const protocol::DemoteRequest& request) {
    Answer<protocol::Demoted> out;
    out.reply.name = request.name;
    if (!fence || fence->heal || !fence->fence || fence->name != request.name) {
        out.refusal = Refusal{RefusalCode::kBadRequest, "DEMOTE_REQUEST for '" + request.name +
                                                            "' without this session's switchover fence of it"};
        return out;
    }
    const protocol::DatabaseInfoReply info = checks.describe(request.name);
    if (auto refusal = common_checks(context, info, request.store_id)) {
        out.refusal = std::move(refusal);
        return out;
    }
    if (request.epoch != info.epoch || request.new_epoch <= info.epoch) {
        out.refusal = Refusal{RefusalCode::kLineageMismatch,
                              "database '" + request.name + "' here is of epoch " + std::to_string(info.epoch) +
                                  "; the demotion names epoch " + std::to_string(request.epoch) + " -> " +
                                  std::to_string(request.new_epoch)};
        return out;
    }
    if (request.at_tx != fenced_at_tx) {
        out.refusal = Refusal{RefusalCode::kBadRequest,
                              "the demotion of '" + request.name + "' continues at tx " +
                                  std::to_string(request.at_tx) + " but it was fenced at tx " +
                                  std::to_string(fenced_at_tx)};
        return out;
    }
    ReplicaConfig link{request.remote, request.addresses};
    ValueMap options{{kReplicaConfigOption, to_value(link)}};
    Status made = context.host.make_replica(request.name, request.new_epoch, request.at_tx, options, {});
    if (!made) {
        out.refusal = host_refusal(made, "cannot make '" + request.name + "' a replica");
        return out;
    }
    out.reply.at_tx = request.at_tx;
    context.log->warn("database '{}' is now a replica of '{}' (epoch {}) at {}, continuing at tx {}", request.name,
                      request.remote, request.new_epoch, request.addresses.empty() ? "" : request.addresses.front(),
                      request.at_tx + 1);
    return out;
}

Answer<protocol::History> answer_history(const session::SessionContext& context, const UpstreamChecks& checks,
                                         const protocol::HistoryRequest& request) {
    Answer<protocol::History> out;
    out.reply.name = request.name;
    const protocol::DatabaseInfoReply info = checks.describe(request.name);
    if (!info.refusal.empty()) {
        out.refusal = Refusal{RefusalCode::kNotAllowed, info.refusal};
        return out;
    }
    if (!info.exists) {
        out.refusal = Refusal{RefusalCode::kDatabaseNotFound, "database '" + request.name + "' does not exist"};
        return out;
    }
    if (!info.online) {
        out.refusal = Refusal{RefusalCode::kDatabaseOffline, "database '" + request.name + "' is not online on server " +
                                                                 context.server.server_id};
        return out;
    }
    if (info.store_id != request.store_id) {
        out.refusal = Refusal{RefusalCode::kLineageMismatch, "database '" + request.name + "' here has store id " +
                                                                 info.store_id + ", the request names " +
                                                                 request.store_id + ": another database"};
        return out;
    }
    out.reply.epoch = info.epoch;
    out.reply.last_tx = info.last_tx;
    out.reply.oldest_retained_tx = info.oldest_retained_tx;
    const uint64_t from = std::max<uint64_t>({request.from_tx, info.oldest_retained_tx, 1});
    const uint64_t to = std::min({request.to_tx, info.last_tx, from + protocol::kMaxHistoryHashes - 1});
    out.reply.from_tx = from;
    if (from <= to) {
        auto hashes = session::log_hashes(context.host, request.name, from, to);
        if (!hashes) {
            out.refusal = host_refusal(hashes.status(), "cannot read the log of '" + request.name + "'");
            return out;
        }
        out.reply.hashes = std::move(*hashes);
    }
    return out;
}

}  // namespace ccdr::plugin

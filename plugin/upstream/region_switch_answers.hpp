// plugin/upstream/region_switch_answers.hpp: what an upstream server answers
// when a replica's cluster moves the writer between regions:
//
//   FENCE_REQUEST  -> FENCED  the database becomes read-only on every member
//                            (or writable again), through the host's
//                            set_database_access (ABI 1.2)
//   DEMOTE_REQUEST -> DEMOTED the fenced database becomes a replica of the
//                            peer's promoted one (host make_replica, ABI 1.2)
//   HISTORY_REQUEST -> HISTORY hashes of a range of the log, so a returning
//                            cluster finds the last transaction it shares
//
// Who may ask: every peer already passed mutual TLS with this cluster's
// trusted CA. On top of that a fence for a planned switchover needs a live
// subscription of the peer's cluster to the database (the peer is its
// replica), a fence on heal needs the peer's database to be a newer epoch
// of the same store (it was promoted away from this one), a demotion needs
// the fence of the same session, and everything needs
// ccdr.upstream.allowed_databases and ccdr.upstream.remote_fencing.
//
// Every function blocks (host calls): the service runs them on the
// blocking pool.
#pragma once

#include "protocol/messages.hpp"
#include "session/session_context.hpp"
#include "upstream/upstream_checks.hpp"

#include <optional>
#include <string>

namespace ccdr::plugin {

template <class M>
struct Answer {
    M reply;
    std::optional<Refusal> refusal;  // set: refused, and why
};

// `peer_cluster_id` is the cluster id the peer said in its HELLO.
Answer<protocol::Fenced> answer_fence(const session::SessionContext& context, const UpstreamChecks& checks,
                                      const std::string& peer_cluster_id, const protocol::FenceRequest& request);

// `fence` is the switchover fence this session took (none: refused).
Answer<protocol::Demoted> answer_demote(const session::SessionContext& context, const UpstreamChecks& checks,
                                        const std::optional<protocol::FenceRequest>& fence, uint64_t fenced_at_tx,
                                        const protocol::DemoteRequest& request);

Answer<protocol::History> answer_history(const session::SessionContext& context, const UpstreamChecks& checks,
                                         const protocol::HistoryRequest& request);

}  // namespace ccdr::plugin

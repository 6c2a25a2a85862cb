// plugin/upstream/upstream_service.hpp: the upstream side of a replication
// session, run on each accepted connection:
//
//   HELLO -> HELLO_OK, then any number of DATABASE_INFO and FINGERPRINT
//   requests (FINGERPRINT_REQUEST -> FINGERPRINT), then one of
//   SUBSCRIBE   -> SUBSCRIBED and a stream of BATCH / HEARTBEAT frames, the
//                  replica ACKing what it applied (or LOG_PRUNED, after which
//                  the replica may ask for a snapshot on the same connection)
//   SNAPSHOT_REQUEST -> SNAPSHOT_BEGIN, SNAPSHOT_CHUNKs, SNAPSHOT_END.
//
// Batches are read from the host's log (read_log, on the blocking pool) as
// soon as after_commit signals a commit, up to ccdr.batch.max_bytes each,
// while the bytes not yet acknowledged stay under
// ccdr.window.max_unacked_bytes. Every refusal is sent with its reason and
// logged with the peer's address and certificate subject.
#pragma once

#include "protocol/messages.hpp"
#include "session/session_context.hpp"
#include "transport/connection.hpp"
#include "upstream/commit_notifier.hpp"
#include "upstream/snapshot_spools.hpp"
#include "upstream/upstream_stats.hpp"

#include <ccdr/plugin_adapter.hpp>

#include <memory>
#include <string>

namespace ccdr::plugin {

namespace asio = boost::asio;

class UpstreamService {
public:
    UpstreamService(const session::SessionContext& context, CommitNotifier& notifier);
    UpstreamService(const UpstreamService&) = delete;
    UpstreamService& operator=(const UpstreamService&) = delete;

    // The session handler for the replication server.
    asio::awaitable<void> serve(std::shared_ptr<transport::Connection> connection);

    void collect_metrics(const MetricEmitter& emit) const { stats_.collect(emit); }
    // Deletes exported snapshots (after every session has ended).
    void remove_spools() { spools_.remove_all(); }

    // What this server tells a replica about `name` (blocks: host calls).
    protocol::DatabaseInfoReply describe(const std::string& name) const;
    // "" when `name` may be replicated from here, else why not.
    std::string refusal_for(const std::string& name) const;

private:
    struct Peer {
        std::string address;
        std::string subject;
        std::string cluster_id;
        std::string server_id;
        std::string describe() const;
    };

    asio::awaitable<void> refuse(std::shared_ptr<transport::Connection> connection, const Peer& peer,
                                 protocol::RefusalCode code, std::string reason);
    // Returns true when the session may go on (LOG_PRUNED), false when it is over.
    asio::awaitable<bool> stream(std::shared_ptr<transport::Connection> connection, Peer peer,
                                 protocol::Subscribe subscribe);
    asio::awaitable<void> send_snapshot(std::shared_ptr<transport::Connection> connection, Peer peer,
                                        protocol::SnapshotRequest request);
    // Shared checks of SUBSCRIBE and SNAPSHOT_REQUEST: an empty optional when
    // the request may proceed, else the refusal.
    struct Refusal {
        protocol::RefusalCode code;
        std::string reason;
    };
    // FINGERPRINT_REQUEST (blocks: host calls): the reply, or why not.
    struct FingerprintAnswer {
        protocol::FingerprintReply reply;
        std::optional<Refusal> refusal;
    };
    FingerprintAnswer fingerprint(const protocol::FingerprintRequest& request) const;
    std::optional<Refusal> check_lineage(const protocol::DatabaseInfoReply& info, const std::string& store_id,
                                         uint64_t epoch) const;

    const session::SessionContext& context_;
    CommitNotifier& notifier_;
    SnapshotSpools spools_;
    UpstreamStats stats_;
};

}  // namespace ccdr::plugin

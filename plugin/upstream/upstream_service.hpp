// plugin/upstream/upstream_service.hpp: the upstream side of a replication
// session, run on each accepted connection:
//
//   HELLO -> HELLO_OK, then any number of DATABASE_INFO, FINGERPRINT and
//   SECURITY requests (FINGERPRINT_REQUEST -> FINGERPRINT, SECURITY_REQUEST
//   -> SECURITY_SNAPSHOT), FENCE, DEMOTE and HISTORY requests (a replica's
//   cluster switching regions: region_switch_answers.hpp), then one of
//   SUBSCRIBE   -> SUBSCRIBED and a stream of BATCH / HEARTBEAT frames, the
//                  replica ACKing what it applied (or LOG_PRUNED, after which
//                  the replica may ask for a snapshot on the same connection)
//   SNAPSHOT_REQUEST -> SNAPSHOT_BEGIN, SNAPSHOT_CHUNKs, SNAPSHOT_END.
// From protocol 3 on, a subscription also carries HOLD_STATUS frames (the
// log held for that member, replica_log_holds.hpp), and HOLD_RELEASE ->
// HOLD_RELEASED ends the holds of a dropped replica database (from protocol
// 8, or of one member that follows another member now). A subscription's
// final position is recorded as a hold when it ends.
//
// The decisions are UpstreamChecks' (upstream_checks.hpp), the batches the
// Batcher's (batcher.hpp), what the replica says back the ACK reader's
// (ack_reader.hpp); this file runs the session and the stream's sending
// loop. Batches are read from the host's log (on the blocking pool) as soon
// as after_commit signals a commit, once for every stream of the database at
// the same position (shared_log.hpp), while the bytes not yet acknowledged stay
// under ccdr.window.max_unacked_bytes. Every refusal is sent with its reason
// and logged with the peer's address and certificate subject.
#pragma once

#include "protocol/messages.hpp"
#include "session/session_context.hpp"
#include "transport/connection.hpp"
#include "upstream/batcher.hpp"
#include "upstream/commit_notifier.hpp"
#include "upstream/shared_log.hpp"
#include "upstream/snapshot_spools.hpp"
#include "upstream/upstream_checks.hpp"
#include "upstream/upstream_stats.hpp"

#include <ccdr/plugin_adapter.hpp>

#include <memory>
#include <optional>
#include <string>

namespace ccdr::plugin {

namespace asio = boost::asio;

class Batcher;
struct SubscriptionWindow;

class UpstreamService {
public:
    // `holds`: the log this server holds for replica members (owned by the
    // instance, outliving this service).
    UpstreamService(const session::SessionContext& context, CommitNotifier& notifier, ReplicaLogHolds& holds,
                    SharedLogs& shared_logs);
    UpstreamService(const UpstreamService&) = delete;
    UpstreamService& operator=(const UpstreamService&) = delete;

    // The session handler for the replication server.
    asio::awaitable<void> serve(std::shared_ptr<transport::Connection> connection);

    void collect_metrics(const MetricEmitter& emit) const { stats_.collect(emit); }
    // The acknowledged positions of the live subscriptions to `database` (the log holds).
    std::vector<LiveAck> live_acks(std::string_view database) const { return stats_.live_acks(database); }
    // The lowest position any member this server serves `database` to still
    // needs: its live subscriptions' and the holds of those away (not
    // released); none when it serves and holds nothing. A fan-out puller
    // reports it upstream (ACK's hold_tx): `database` is then its replica
    // database, served to the other members.
    std::optional<uint64_t> lowest_needed(const std::string& database) const;
    // The live subscriptions this server serves (ABI 1.2 list_subscriptions).
    std::vector<SubscriptionInfo> subscriptions(std::string_view database, int64_t now_ms) const {
        return stats_.subscriptions(database, context_.server, now_ms);
    }
    // Deletes exported snapshots (after every session has ended).
    void remove_spools() { spools_.remove_all(); }

    const UpstreamChecks& checks() const { return checks_; }

private:
    struct Peer {
        std::string address;
        std::string subject;
        std::string cluster_id;
        std::string server_id;
        uint16_t version = 1;  // the session's protocol version
        std::string describe() const;
    };

    asio::awaitable<void> refuse(std::shared_ptr<transport::Connection> connection, const Peer& peer,
                                 protocol::RefusalCode code, std::string reason);
    // The request `frame` carries, or nothing once a malformed one was refused.
    template <class M>
    asio::awaitable<std::optional<M>> decode_request(std::shared_ptr<transport::Connection> connection,
                                                     const Peer& peer, const transport::Frame& frame);
    // The replica's plugin version against this one (session/version_check.hpp),
    // at the negotiated protocol `version`: true to go on (a minor difference
    // is logged once per replica server and version), false once another
    // major version was refused.
    asio::awaitable<bool> check_plugin_version(std::shared_ptr<transport::Connection> connection, const Peer& peer,
                                               const protocol::Hello& hello, uint16_t version);
    // Returns true when the session may go on (LOG_PRUNED), false when it is over.
    asio::awaitable<bool> stream(std::shared_ptr<transport::Connection> connection, Peer peer,
                                 protocol::Subscribe subscribe);
    // The subscription's sending loop: batches as commits arrive, within the
    // window, and heartbeats while idle, until the connection or the signal
    // closes or the database's lineage changes.
    asio::awaitable<void> send_batches(std::shared_ptr<transport::Connection> connection, const Peer& peer,
                                       const protocol::Subscribe& subscribe, CommitPosition& position,
                                       std::shared_ptr<runtime::AsyncSignal> signal,
                                       std::shared_ptr<SubscriptionWindow> window);
    // The parts of the transaction whose first part `produced` is, sent in
    // order (Batcher::next_part); false when the stream is over.
    asio::awaitable<bool> send_parts(std::shared_ptr<transport::Connection> connection, const Peer& peer,
                                     const std::string& db, SubscriptionWindow& window,
                                     std::shared_ptr<Batcher> batcher, ProducedBatch produced,
                                     CommitPosition& position, std::shared_ptr<runtime::AsyncSignal> signal);
    // SECURITY_REQUEST -> SECURITY_SNAPSHOT (upstream/security_answer.hpp);
    // false when the session is over (a refusal).
    asio::awaitable<bool> answer_security(std::shared_ptr<transport::Connection> connection, const Peer& peer,
                                          const transport::Frame& frame);
    // FENCE_REQUEST, DEMOTE_REQUEST, HISTORY_REQUEST
    // (upstream/region_switch_answers.hpp); `switch_fence` is the
    // switchover fence this session holds. False when the session is over.
    asio::awaitable<bool> answer_region_switch(std::shared_ptr<transport::Connection> connection, const Peer& peer,
                                               const transport::Frame& frame,
                                               std::optional<protocol::FenceRequest>& switch_fence,
                                               uint64_t& fenced_at_tx);
    asio::awaitable<void> send_snapshot(std::shared_ptr<transport::Connection> connection, Peer peer,
                                        protocol::SnapshotRequest request);
    // HOLD_STATUS for the member a subscription serves (protocol 3 sessions).
    protocol::HoldStatus hold_status(const std::string& database, const Peer& peer,
                                     const std::string& replica_database) const;

    const session::SessionContext& context_;
    CommitNotifier& notifier_;
    UpstreamChecks checks_;
    SnapshotSpools spools_;
    UpstreamStats stats_;
    ReplicaLogHolds& holds_;
    SharedLogs& shared_logs_;  // one read of the log per database and position (the plugin's)
};

}  // namespace ccdr::plugin

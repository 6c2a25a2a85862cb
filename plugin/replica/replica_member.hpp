// plugin/replica/replica_member.hpp: one replica member on this server, and
// its state machine:
//
//   CREATING -> (STORE_COPY ->) CATCHING_UP -> STREAMING
//   any of them -> DISCONNECTED (retrying) -> back to the attempts
//   -> FAILED (lineage or hash chain; stays until an operator acts)
//   -> STOPPED (stop(), or the database is no longer a replica)
//
// Each round reads the member's setup from the host (member_setup.hpp),
// tries the upstream addresses in turn, starting with the one that worked
// last (puller.hpp), and backs off (capped exponential, with jitter) when
// none of them made progress. Its parts: the puller (connect, subscribe,
// receive, ACK), the applier (applier.hpp: one thread applying verified
// batches in order) and the store copy (store_copy.hpp), sharing
// member_context.hpp.
//
// A lineage or hash-chain failure stops the member in state FAILED; a
// checksum failure or a lost connection drops the connection, is counted,
// and the member resumes from its last applied tx.
#pragma once

#include "replica/applier.hpp"
#include "replica/delay_spool.hpp"
#include "replica/delayed_applier.hpp"
#include "replica/continuous_verifier.hpp"
#include "replica/member_context.hpp"
#include "replica/puller.hpp"
#include "replica/store_copy.hpp"
#include "replica/upstream_dialer.hpp"

#include <ccdr/plugin_adapter.hpp>

#include <future>
#include <memory>
#include <string>

namespace ccdr::plugin {

// A member's state as the procedures and tests see it.
struct ReplicaStatus {
    ccdr_replica_state state = CCDR_REPLICA_NONE;
    std::string message;
    std::string upstream_address;  // the address it pulls from, "" when not connected
    bool connected = false;
    uint64_t last_applied_tx = 0;
    uint64_t upstream_last_tx = 0;
    // The upstream position as last heard: known once any was; its commit
    // time (upstream clock, 0 unknown) and when it was heard (this server's
    // clock, epoch ms).
    bool upstream_known = false;
    int64_t upstream_last_commit_ms = 0;
    int64_t upstream_heard_ms = 0;
    int64_t lag_tx = 0;
    double lag_seconds = 0.0;
    // With an applyDelay: the delay, and the last transaction received into
    // the delay spool (received_tx >= last_applied_tx).
    int64_t apply_delay_ms = 0;
    uint64_t received_tx = 0;
    // Seconds until the upstream prunes past this member's position (the
    // log it holds for it, docs/operations.md §10); -1 when it never said.
    double catch_up_window_s = -1.0;
    // The member reached its upstream's position since it started (until
    // then SHOW DATABASE shows it starting: member_state.hpp).
    bool caught_up_once = false;
    // FanoutRole (pull_sources.hpp) of the session now.
    int fanout_role = 0;
};

// What a promotion to a point asks of the member on its server
// (procedures/promote_to_point).
struct DelayedPosition {
    bool spooling = false;  // an applyDelay is set or the spool holds transactions
    uint64_t applied_tx = 0;
    int64_t applied_commit_ms = 0;
    uint64_t received_tx = 0;
};

class ReplicaMember : public std::enable_shared_from_this<ReplicaMember> {
public:
    // The plugin must be started (the dialer's runtime running).
    ReplicaMember(const UpstreamDialer& dialer, std::string database);
    ReplicaMember(const ReplicaMember&) = delete;
    ReplicaMember& operator=(const ReplicaMember&) = delete;
    ~ReplicaMember();

    void start();
    // Blocks until the puller has ended and the batch in apply (if any) is
    // applied; batches still queued are dropped (the next start resumes from
    // the last applied tx).
    void stop();

    const std::string& database() const { return member_->database; }
    ReplicaStatus status() const;
    void describe(ccdr_database_status& out) const;
    void collect_metrics(const MetricEmitter& emit) const;
    // Removes the store-copy spool and the delay spool (the database was
    // dropped). After stop().
    void discard_spool() {
        store_copy_.discard();
        delay_spool_.discard();
    }
    // Removes the delay spool (the database was promoted). After stop().
    void discard_delay_spool() { delay_spool_.discard(); }

    // Promotion to a point. Blocks (reads the spool).
    DelayedPosition delayed_position() const;
    // The last received transaction committed at or before `time_ms`
    // (upstream clock), applied or spooled; 0 when none is.
    Result<uint64_t> last_received_at_or_before(int64_t time_ms) const;
    // Applies up to `tx` now and holds there (DelayedApplier::hold).
    Status hold_at(uint64_t tx, std::chrono::milliseconds timeout) { return delayed_.hold(tx, timeout); }
    void release_hold() { delayed_.release(); }
    // The spooled transactions after `tx`, in order.
    Status received_after(uint64_t tx, const std::function<Status(const ccdr_tx&)>& fn) const {
        return delay_spool_.for_each_after(tx, fn);
    }
    // Fan-out (pull_sources.hpp): "" while this member pulls from the
    // upstream as the puller, so it may serve its database to the other
    // members; else why it does not (the upstream side's serving gate).
    std::string serving_refusal() const;
    // Continuous verification (ccdr.replica.verify_interval).
    ContinuousVerifier& verifier() { return verifier_; }

private:
    asio::awaitable<void> run();

    const UpstreamDialer& dialer_;
    std::shared_ptr<MemberContext> member_;
    Applier applier_;
    DelaySpool delay_spool_;
    DelayedApplier delayed_;
    StoreCopy store_copy_;
    Puller puller_;
    ContinuousVerifier verifier_;
    bool started_ = false;
    bool stopped_ = false;
    std::promise<void> puller_done_;
    std::future<void> puller_done_future_;
};

}  // namespace ccdr::plugin

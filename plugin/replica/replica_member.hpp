// plugin/replica/replica_member.hpp: one replica member on this server: the
// puller that keeps it connected to its upstream, and the applier that
// applies what the puller verified.
//
// Puller (coroutines on the member's strand): reads replicaConfig and the
// lineage, tries the upstream addresses in turn (capped exponential back-off
// with jitter between rounds), says HELLO, checks the remote with
// DATABASE_INFO, subscribes from the last applied tx + 1 (or store-copies
// first after LOG_PRUNED), verifies every frame and the hash chain, and
// queues verified batches. An ACK coroutine reports what is applied.
//
// Applier (one thread): applies queued batches in order through the host's
// apply_batch, one call per batch, while the puller receives the next one.
//
// Exactly once: a new session always starts from the host's own record of
// the last applied tx, after the applier has finished its batch and the
// batches queued by the previous session were dropped.
//
// A lineage or hash-chain failure stops the member in state FAILED; a
// checksum failure or a lost connection drops the connection, is counted,
// and the member resumes from its last applied tx.
#pragma once

#include "protocol/batch.hpp"
#include "protocol/messages.hpp"
#include "replica/replica_config.hpp"
#include "replica/replica_stats.hpp"
#include "replica/store_copy_spool.hpp"
#include "replica/upstream_dialer.hpp"
#include "runtime/async_signal.hpp"
#include "session/session_context.hpp"
#include "transport/connection.hpp"

#include <ccdr/plugin_adapter.hpp>

#include <condition_variable>
#include <deque>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

namespace ccdr::plugin {

// A member's state as the procedures and tests see it.
struct ReplicaStatus {
    ccdr_replica_state state = CCDR_REPLICA_NONE;
    std::string message;
    std::string upstream_address;  // the address it pulls from, "" when not connected
    bool connected = false;
    uint64_t last_applied_tx = 0;
    uint64_t upstream_last_tx = 0;
    int64_t lag_tx = 0;
    double lag_seconds = 0.0;
};

class ReplicaMember : public std::enable_shared_from_this<ReplicaMember> {
public:
    ReplicaMember(const UpstreamDialer& dialer, std::string database);
    ReplicaMember(const ReplicaMember&) = delete;
    ReplicaMember& operator=(const ReplicaMember&) = delete;
    ~ReplicaMember();

    void start();
    // Blocks until the puller has ended and the batch in apply (if any) is
    // applied; batches still queued are dropped (the next start resumes from
    // the last applied tx).
    void stop();

    const std::string& database() const { return database_; }
    ReplicaStatus status() const;
    void describe(ccdr_database_status& out) const;
    void collect_metrics(const MetricEmitter& emit) const;
    // Removes the store-copy spool (the database was dropped). After stop().
    void discard_spool();

private:
    struct Setup {
        ReplicaConfig config;
        std::string store_id;
        uint64_t epoch = 0;
        ccdr_database_kind kind = CCDR_KIND_REPLICA;
    };
    enum class Outcome {
        kRetry,        // this address did not work: try the next, then back off
        kProgress,     // the session applied something, then ended: reconnect soon
        kStoreCopied,  // a snapshot was imported: subscribe now
        kFatal,        // lineage or hash chain: stop in FAILED
    };
    struct Attempt {
        Outcome outcome;
        std::string reason;
    };
    struct QueuedBatch {
        protocol::DecodedBatch batch;
        size_t bytes = 0;
    };

    asio::awaitable<void> run();
    Result<Setup> load_setup() const;
    asio::awaitable<Attempt> attempt(std::string address, Setup setup);
    asio::awaitable<Attempt> follow(std::shared_ptr<transport::Connection> connection, std::string address,
                                    protocol::Subscribed subscribed, Setup setup);
    asio::awaitable<Attempt> store_copy(std::shared_ptr<transport::Connection> connection, std::string address,
                                        Setup setup);
    asio::awaitable<void> ack_loop(std::shared_ptr<transport::Connection> connection, uint64_t acked);
    // Drops queued batches and waits until the applier is idle.
    asio::awaitable<void> drain();
    bool queue_has_room(size_t bytes) const;
    void push(QueuedBatch batch);

    void applier_main();

    void set_state(ccdr_replica_state state, std::string message);
    void set_connection(std::shared_ptr<transport::Connection> connection, const std::string& address);
    void note_upstream(const protocol::UpstreamPosition& position);
    std::string store_copy_message(const std::string& address) const;

    const UpstreamDialer& dialer_;
    const session::SessionContext& context_;
    const std::string database_;
    runtime::Strand strand_;
    std::shared_ptr<runtime::AsyncSignal> stop_signal_;   // wakes back-off waits
    std::shared_ptr<runtime::AsyncSignal> space_signal_;  // applier -> puller: room, idle
    std::shared_ptr<runtime::AsyncSignal> ack_signal_;    // applier -> ACK coroutine
    std::atomic<bool> stopping_{false};
    bool started_ = false;
    bool stopped_ = false;
    std::promise<void> puller_done_;
    std::future<void> puller_done_future_;
    bool ack_wanted_ = false;  // strand: a heartbeat asks for an ACK
    bool caught_up_ = false;   // strand: this session reached the upstream's head once

    // Between puller and applier.
    mutable std::mutex queue_mu_;
    std::condition_variable queue_cv_;
    std::deque<QueuedBatch> queue_;
    size_t queued_bytes_ = 0;
    bool applying_ = false;
    bool applier_stop_ = false;
    std::thread applier_;

    mutable std::mutex connection_mu_;
    std::shared_ptr<transport::Connection> connection_;
    std::string upstream_address_;

    mutable std::mutex status_mu_;
    ccdr_replica_state state_ = CCDR_REPLICA_CREATING;
    std::string message_;

    StoreCopySpool spool_;
    ReplicaStats stats_;
};

}  // namespace ccdr::plugin

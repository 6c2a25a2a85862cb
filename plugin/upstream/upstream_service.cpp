#include "upstream/upstream_service.hpp"

#include "protocol/batch.hpp"
#include "runtime/blocking_task.hpp"
#include "runtime/wall_clock.hpp"
#include "session/exchange.hpp"
#include "upstream/ack_reader.hpp"
#include "upstream/batch_pipeline.hpp"
#include "upstream/batcher.hpp"
#include "upstream/region_switch_answers.hpp"
#include "upstream/security_answer.hpp"
#include "upstream/snapshot_chunk_frames.hpp"

#include <algorithm>
#include <deque>

namespace ccdr::plugin {

using namespace std::chrono_literals;
using protocol::RefusalCode;
using runtime::AsyncSignal;
using runtime::run_blocking;
using runtime::wall_clock_ms;
using transport::Connection;

namespace {

// Store copy chunks read and framed ahead of the one being written (1 MiB
// each by default).
constexpr size_t kSnapshotChunksAhead = 4;

// A cached slice up to this size is framed on the stream's strand: copying,
// chaining and compressing 64 KiB takes about 0.1 ms, less than a trip
// to the blocking pool and back costs on a loaded machine.
constexpr size_t kInlineSliceBytes = 64 * 1024;
}  // namespace

std::string UpstreamService::Peer::describe() const {
    return address + (subject.empty() ? std::string(" (no certificate)") : " (certificate " + subject + ")");
}

UpstreamService::UpstreamService(const session::SessionContext& context, CommitNotifier& notifier,
                                 ReplicaLogHolds& holds, SharedLogs& shared_logs)
    : context_(context),
      notifier_(notifier),
      checks_(context.host, context.server.server_id, context.settings.allowed_databases,
              context.replica_serving_refusal),
      spools_(context.host, context.spool_directory(), context.settings.snapshot_retention, context.log),
      holds_(holds),
      shared_logs_(shared_logs) {
    spools_.remove_all();
}

asio::awaitable<void> UpstreamService::refuse(std::shared_ptr<Connection> connection, const Peer& peer,
                                              RefusalCode code, std::string reason) {
    stats_.add_refusal();
    context_.log->warn("refused replication to {}: {}", peer.describe(), reason);
    protocol::Refused refused{code, std::move(reason)};
    co_await session::send(*connection, refused);
}

template <class M>
asio::awaitable<std::optional<M>> UpstreamService::decode_request(std::shared_ptr<Connection> connection,
                                                                  const Peer& peer, const transport::Frame& frame) {
    auto request = protocol::decode_message_as<M>(frame.payload);
    if (!request) {
        const std::string reason = request.status().message();
        co_await refuse(connection, peer, RefusalCode::kBadRequest, reason);
        co_return std::nullopt;
    }
    co_return std::move(request.value());
}

asio::awaitable<void> UpstreamService::serve(std::shared_ptr<Connection> connection) {
    const auto timeout = context_.settings.io_timeout;
    Peer peer{connection->peer_address(), connection->peer_subject(), "", ""};
    auto hello = co_await session::receive<protocol::Hello>(*connection, timeout);
    if (!hello || !hello->message) {
        if (!hello) {
            context_.log->info("replication session with {} ended before HELLO: {}", peer.describe(),
                               hello.status().message());
        }
        co_return;
    }
    peer.cluster_id = hello->message->cluster_id;
    peer.server_id = hello->message->server_id;
    if (hello->message->min_version > protocol::kMaxProtocolVersion ||
        hello->message->max_version < protocol::kMinProtocolVersion) {
        const std::string reason = "no common protocol version: the replica speaks "
            + std::to_string(hello->message->min_version) + " to " + std::to_string(hello->message->max_version)
            + ", this server " + std::to_string(protocol::kMinProtocolVersion) + " to "
            + std::to_string(protocol::kMaxProtocolVersion);
        co_await refuse(connection, peer, RefusalCode::kProtocolVersion, reason);
        co_return;
    }
    // The highest version both speak; from 2 on, both plugin versions are known.
    const uint16_t version = std::min(hello->message->max_version, protocol::kMaxProtocolVersion);
    peer.version = version;
    if (!co_await check_plugin_version(connection, peer, *hello->message, version)) {
        co_return;
    }
    protocol::HelloOk ok{version, context_.server.cluster_id, context_.server.server_id,
                         version >= protocol::kPluginVersionProtocol ? context_.plugin_version.text : std::string()};
    if (!co_await session::send(*connection, ok)) {
        co_return;
    }
    // A planned switchover's fence taken on this session: only this session
    // may then demote the database, and it may take hold_ms to ask.
    std::optional<protocol::FenceRequest> switch_fence;
    uint64_t fenced_at_tx = 0;
    for (;;) {
        const auto read_timeout =
            switch_fence ? std::max(timeout, std::chrono::milliseconds(switch_fence->hold_ms)) : timeout;
        auto frame = co_await connection->read_frame(read_timeout);
        if (!frame) {
            if (switch_fence) {
                context_.log->warn("the switchover session of {} for '{}' ended before its next step ({}): '{}' "
                                   "stays read-only; ALTER DATABASE {} SET ACCESS READ WRITE makes it writable "
                                   "again if the replica was not promoted",
                                   peer.describe(), switch_fence->name, frame.status().message(), switch_fence->name,
                                   switch_fence->name);
            }
            co_return;
        }
        const auto type = frame->header.type;
        if (type == protocol::MessageType::kFenceRequest || type == protocol::MessageType::kDemoteRequest ||
            type == protocol::MessageType::kHistoryRequest) {
            if (!co_await answer_region_switch(connection, peer, *frame, switch_fence, fenced_at_tx)) {
                co_return;
            }
            continue;
        }
        if (type == protocol::MessageType::kDatabaseInfoRequest) {
            auto request = co_await decode_request<protocol::DatabaseInfoRequest>(connection, peer, *frame);
            if (!request) {
                co_return;
            }
            const std::string name = request->name;
            auto describe_job = [this, name] { return checks_.describe(name); };
            auto reply = co_await run_blocking(context_.runtime->blocking_pool(), std::move(describe_job));
            if (!reply.refusal.empty()) {
                stats_.add_refusal();
                context_.log->warn("refused replication to {}: {}", peer.describe(), reply.refusal);
            }
            if (!co_await session::send(*connection, reply)) {
                co_return;
            }
        } else if (type == protocol::MessageType::kSubscribe) {
            auto subscribe = co_await decode_request<protocol::Subscribe>(connection, peer, *frame);
            if (!subscribe) {
                co_return;
            }
            if (!co_await stream(connection, peer, std::move(*subscribe))) {
                co_return;
            }
        } else if (type == protocol::MessageType::kFingerprintRequest) {
            auto request = co_await decode_request<protocol::FingerprintRequest>(connection, peer, *frame);
            if (!request) {
                co_return;
            }
            // Named before the co_await: GCC 12 destroys a lambda created
            // inside a co_await expression twice (docs/protocol.md §8).
            auto fingerprint_job = [this, r = std::move(*request)] { return checks_.fingerprint(r); };
            auto answer = co_await run_blocking(context_.runtime->blocking_pool(), std::move(fingerprint_job));
            if (answer.refusal) {
                co_await refuse(connection, peer, answer.refusal->code, answer.refusal->reason);
                co_return;
            }
            if (!co_await session::send(*connection, answer.reply)) {
                co_return;
            }
        } else if (type == protocol::MessageType::kHoldRelease && peer.version >= protocol::kLogHoldProtocol) {
            auto request = co_await decode_request<protocol::HoldRelease>(connection, peer, *frame);
            if (!request) {
                co_return;
            }
            // Named before the co_await (docs/protocol.md §8).
            // A member's own release (protocol 8) is honoured only on a
            // session of that protocol; its server is HELLO's.
            if (request->replica_server_id && peer.version < protocol::kHoldCoverProtocol) {
                co_await refuse(connection, peer, RefusalCode::kBadRequest,
                                "HOLD_RELEASE of one member needs protocol " +
                                    std::to_string(protocol::kHoldCoverProtocol));
                co_return;
            }
            if (request->replica_server_id && *request->replica_server_id != peer.server_id) {
                co_await refuse(connection, peer, RefusalCode::kBadRequest,
                                "HOLD_RELEASE of server " + *request->replica_server_id +
                                    "'s member from server " + peer.server_id + ": a member releases only its own");
                co_return;
            }
            auto release_job = [this, cluster = peer.cluster_id, r = *request] {
                return holds_.end_holds(r.name, cluster, r.replica_database, wall_clock_ms(),
                                        r.replica_server_id.value_or(std::string()));
            };
            const uint32_t ended = co_await run_blocking(context_.runtime->blocking_pool(), std::move(release_job));
            const protocol::HoldReleased released{ended};  // named before the co_await (§8)
            if (!co_await session::send(*connection, released)) {
                co_return;
            }
        } else if (type == protocol::MessageType::kRunningFingerprintRequest) {
            auto request = co_await decode_request<protocol::RunningFingerprintRequest>(connection, peer, *frame);
            if (!request) {
                co_return;
            }
            auto running_job = [this, r = std::move(*request)] { return checks_.running_fingerprint(r); };
            auto answer = co_await run_blocking(context_.runtime->blocking_pool(), std::move(running_job));
            if (answer.refusal) {
                co_await refuse(connection, peer, answer.refusal->code, answer.refusal->reason);
                co_return;
            }
            if (!co_await session::send(*connection, answer.reply)) {
                co_return;
            }
        } else if (type == protocol::MessageType::kSecurityRequest) {
            if (!co_await answer_security(connection, peer, *frame)) {
                co_return;
            }
        } else if (type == protocol::MessageType::kSnapshotRequest) {
            auto request = co_await decode_request<protocol::SnapshotRequest>(connection, peer, *frame);
            if (!request) {
                co_return;
            }
            co_await send_snapshot(connection, peer, std::move(*request));
            co_return;
        } else {
            const std::string reason = "unexpected " + std::string(protocol::message_type_name(type))
                + " (expected DATABASE_INFO_REQUEST, FINGERPRINT_REQUEST, RUNNING_FINGERPRINT_REQUEST, SECURITY_REQUEST, "
                  "FENCE_REQUEST, DEMOTE_REQUEST, HISTORY_REQUEST, SUBSCRIBE, SNAPSHOT_REQUEST or, from protocol 3, "
                  "HOLD_RELEASE)";
            co_await refuse(connection, peer, RefusalCode::kBadRequest, reason);
            co_return;
        }
    }
}

asio::awaitable<bool> UpstreamService::check_plugin_version(std::shared_ptr<Connection> connection, const Peer& peer,
                                                            const protocol::Hello& hello, uint16_t version) {
    protocol::PluginVersion replica = protocol::legacy_plugin_version();
    if (version >= protocol::kPluginVersionProtocol) {
        if (auto parsed = protocol::parse_plugin_version(hello.plugin_version)) {  // Hello::check parsed it already
            replica = std::move(*parsed);
        }
    }
    const protocol::PluginVersion& local = context_.plugin_version;
    switch (session::compare_plugin_versions(replica, local)) {
        case session::VersionMatch::kSame: co_return true;
        case session::VersionMatch::kMinor:
            if (context_.version_notices->first("replica", peer.cluster_id, peer.server_id, replica.text)) {
                context_.log->warn(
                    "replica server {} of cluster {} at {} runs ccdr plugin {}, this server runs {}: minor versions "
                    "differ, replication goes on; run the same version on both clusters",
                    peer.server_id, peer.cluster_id, peer.describe(), replica.text, local.text);
            }
            co_return true;
        case session::VersionMatch::kMajor: break;
    }
    // A peer of protocol 1 knows refusal codes up to 11 only: it gets
    // "protocol version", with the same sentence.
    const RefusalCode code =
        version >= protocol::kPluginVersionProtocol ? RefusalCode::kPluginVersion : RefusalCode::kProtocolVersion;
    co_await refuse(connection, peer, code, session::major_mismatch_reason(replica.text, local.text));
    co_return false;
}

asio::awaitable<bool> UpstreamService::answer_region_switch(std::shared_ptr<Connection> connection,
                                                            const Peer& peer, const transport::Frame& frame,
                                                            std::optional<protocol::FenceRequest>& switch_fence,
                                                            uint64_t& fenced_at_tx) {
    const auto type = frame.header.type;
    if (type == protocol::MessageType::kFenceRequest) {
        auto request = co_await decode_request<protocol::FenceRequest>(connection, peer, frame);
        if (!request) {
            co_return false;
        }
        // Named before the co_await (docs/protocol.md §8).
        auto job = [this, cluster = peer.cluster_id, r = *request] {
            return answer_fence(context_, checks_, cluster, r);
        };
        auto answer = co_await run_blocking(context_.runtime->blocking_pool(), std::move(job));
        if (answer.refusal) {
            co_await refuse(connection, peer, answer.refusal->code, answer.refusal->reason);
            co_return false;
        }
        if (!request->heal) {
            if (request->fence) {
                switch_fence = *request;
                fenced_at_tx = answer.reply.last_tx;
            } else {
                switch_fence.reset();
            }
        }
        co_return static_cast<bool>(co_await session::send(*connection, answer.reply));
    }
    if (type == protocol::MessageType::kDemoteRequest) {
        auto request = co_await decode_request<protocol::DemoteRequest>(connection, peer, frame);
        if (!request) {
            co_return false;
        }
        auto job = [this, fence = switch_fence, at = fenced_at_tx, r = *request] {
            return answer_demote(context_, checks_, fence, at, r);
        };
        auto answer = co_await run_blocking(context_.runtime->blocking_pool(), std::move(job));
        if (answer.refusal) {
            co_await refuse(connection, peer, answer.refusal->code, answer.refusal->reason);
            co_return false;
        }
        switch_fence.reset();
        co_return static_cast<bool>(co_await session::send(*connection, answer.reply));
    }
    auto request = co_await decode_request<protocol::HistoryRequest>(connection, peer, frame);
    if (!request) {
        co_return false;
    }
    auto job = [this, r = *request] { return answer_history(context_, checks_, r); };
    auto answer = co_await run_blocking(context_.runtime->blocking_pool(), std::move(job));
    if (answer.refusal) {
        co_await refuse(connection, peer, answer.refusal->code, answer.refusal->reason);
        co_return false;
    }
    co_return static_cast<bool>(co_await session::send(*connection, answer.reply));
}

asio::awaitable<bool> UpstreamService::answer_security(std::shared_ptr<Connection> connection, const Peer& peer,
                                                       const transport::Frame& frame) {
    auto request = co_await decode_request<protocol::SecurityRequest>(connection, peer, frame);
    if (!request) {
        co_return false;
    }
    // Named before the co_await (docs/protocol.md §8).
    auto job = [this, name = request->name] { return answer_security_request(context_, checks_.describe(name)); };
    auto answer = co_await run_blocking(context_.runtime->blocking_pool(), std::move(job));
    if (answer.refusal) {
        co_await refuse(connection, peer, answer.refusal->code, answer.refusal->reason);
        co_return false;
    }
    context_.log->info("told {} the {} users of this cluster and their roles (compareSecurity for '{}')",
                       peer.describe(), answer.snapshot.users.size(), request->name);
    co_return static_cast<bool>(co_await session::send(*connection, answer.snapshot));
}

asio::awaitable<bool> UpstreamService::stream(std::shared_ptr<Connection> connection, Peer peer,
                                              protocol::Subscribe subscribe) {
    auto& pool = context_.runtime->blocking_pool();
    const std::string db = subscribe.name;
    // Register for commit signals before reading the log's end, so no commit
    // falls between the two.
    auto signal = std::make_shared<AsyncSignal>(connection->strand());
    connection->on_close([signal] { signal->close(); });
    auto registration = notifier_.subscribe(db, signal);
    auto describe_job = [this, db] { return checks_.describe(db); };
    auto info = co_await run_blocking(pool, std::move(describe_job));
    if (auto refusal = checks_.check_lineage(info, subscribe.store_id, subscribe.epoch)) {
        co_await refuse(connection, peer, refusal->code, refusal->reason);
        co_return false;
    }
    registration->position().advance(info.last_tx, info.last_commit_ms);
    const SubscribeStart start = checks_.subscribe_start(info, subscribe.from_tx);
    if (start.kind == SubscribeStart::Kind::kRefused) {
        co_await refuse(connection, peer, start.refusal->code, start.refusal->reason);
        co_return false;
    }
    if (start.kind == SubscribeStart::Kind::kLogPruned) {
        context_.log->info("replica {} of '{}' asks for tx {}, the log starts at tx {}: it needs a store copy",
                           peer.describe(), db, subscribe.from_tx, info.oldest_retained_tx);
        protocol::LogPruned pruned{subscribe.from_tx, info.oldest_retained_tx, info.last_tx};
        co_return static_cast<bool>(co_await session::send(*connection, pruned));
    }
    protocol::Subscribed subscribed{subscribe.from_tx, {info.last_tx, info.last_commit_ms, wall_clock_ms()}};
    if (!co_await session::send(*connection, subscribed)) {
        co_return false;
    }
    context_.log->info("replica {} ('{}') subscribed to '{}' from tx {}", peer.describe(), subscribe.replica_database,
                       db, subscribe.from_tx);

    auto window = std::make_shared<SubscriptionWindow>();
    window->stats = &stats_;
    LinkIdentity identity{peer.cluster_id, peer.server_id,     subscribe.replica_database,
                          peer.address,    wall_clock_ms(), registration->shared_position()};
    window->link = stats_.connect(db,
                                  metric_segment(peer.cluster_id) + "." + metric_segment(peer.server_id) + "." +
                                      metric_segment(subscribe.replica_database),
                                  std::move(identity));
    window->link->acked_tx = subscribe.from_tx - 1;
    window->sent_last_tx = subscribe.from_tx - 1;
    const auto io_timeout = context_.settings.io_timeout;
    context_.runtime->spawn(connection->strand(), [connection, window, signal, io_timeout] {
        return read_acks(connection, window, signal, io_timeout);
    });

    co_await send_batches(connection, peer, subscribe, registration->position(), signal, window);
    if (connection->is_open() && signal->closed()) {
        const std::string reason = "database '" + db + "' was stopped, dropped or promoted on server " +
                                   context_.server.server_id + "; subscribe again";
        co_await refuse(connection, peer, RefusalCode::kDatabaseOffline, reason);
    }
    if (connection->is_open()) {
        connection->close("subscription ended");
    }
    context_.log->info("subscription of {} to '{}' ended at tx {} ({})", peer.describe(), db, window->sent_last_tx,
                       connection->close_reason());
    // Held from its last position while it is away (a fan-out puller's
    // followers: lowest_needed), not from the last pruning pass's.
    auto ended_job = [this, last = window->link->live_ack()] {
        holds_.note_ended(last);
        return true;
    };
    co_await run_blocking(pool, std::move(ended_job));
    co_return false;
}

std::optional<uint64_t> UpstreamService::lowest_needed(const std::string& database) const {
    return holds_.lowest_position(database, stats_.live_acks(database));
}

asio::awaitable<void> UpstreamService::send_batches(std::shared_ptr<Connection> connection, const Peer& peer,
                                                    const protocol::Subscribe& subscribe, CommitPosition& position,
                                                    std::shared_ptr<AsyncSignal> signal,
                                                    std::shared_ptr<SubscriptionWindow> window) {
    auto& pool = context_.runtime->blocking_pool();
    const std::string db = subscribe.name;
    const uint64_t window_bytes = context_.settings.window_bytes;
    const auto heartbeat = context_.settings.heartbeat_interval;
    auto batcher = std::make_shared<Batcher>(
        context_.host, db, protocol::chain_seed(subscribe.store_id, subscribe.epoch, subscribe.from_tx),
        subscribe.from_tx, context_.settings.batch_max_bytes, context_.connection_options().limits,
        context_.settings.compression, peer.version >= protocol::kStreamCompressionProtocol,
        shared_logs_.get(db, subscribe.store_id, subscribe.epoch), peer.version >= protocol::kTxPartProtocol,
        protocol::stream_frame_form(peer.version));
    auto last_activity = std::chrono::steady_clock::now();
    auto last_lineage_check = std::chrono::steady_clock::now();
    asio::steady_timer pace_timer(connection->strand());
    // The backlog's next batches, produced on the pool while this strand
    // writes (batch_pipeline.hpp); null when none is. While it is not idle
    // the batcher is its own.
    std::shared_ptr<BatchPipeline> pipeline;
    auto more = [window, &position, window_bytes](uint64_t last_tx, uint64_t ahead_bytes) {
        return last_tx < position.last_tx.load(std::memory_order_acquire) &&
               window->unacked_bytes + ahead_bytes < window_bytes;
    };
    while (connection->is_open()) {
        if (signal->closed()) {
            break;  // the connection closed, or the database stopped (below)
        }
        // The database may have been dropped and re-created (another store
        // id) or stopped since SUBSCRIBE: check its lineage once per
        // heartbeat interval, busy or idle, and end the stream if it changed.
        // A stop or drop seen while the check ran (the signal closed) ends
        // the stream with the message that says so.
        if (std::chrono::steady_clock::now() - last_lineage_check >= heartbeat) {
            last_lineage_check = std::chrono::steady_clock::now();
            auto lineage_job = [this, db] { return checks_.describe(db); };
            auto now_info = co_await run_blocking(pool, std::move(lineage_job));
            if (auto refusal = checks_.check_lineage(now_info, subscribe.store_id, subscribe.epoch)) {
                if (!signal->closed()) {
                    co_await refuse(connection, peer, refusal->code, refusal->reason + " (found while streaming)");
                }
                break;
            }
            // Busy or idle, the member hears its catch-up window once per interval.
            if (peer.version >= protocol::kLogHoldProtocol) {
                const protocol::HoldStatus hold = hold_status(db, peer, subscribe.replica_database);
                if (!co_await session::send(*connection, hold)) {
                    break;
                }
            }
        }
        // While a pipeline runs the batcher is its own: take its batches first.
        if (pipeline || (batcher->next_tx() <= position.last_tx.load(std::memory_order_acquire) &&
                           window->unacked_bytes < window_bytes)) {
            // On a long link, let commits gather for a fraction of the round
            // trip since the last batch (batch_pacer.hpp says why). A
            // pipeline is only started for a backlog, which is never held.
            if (const auto hold = window->pacer.hold(std::chrono::steady_clock::now());
                !pipeline && hold.count() > 0) {
                pace_timer.expires_after(hold);
                boost::system::error_code ignored;
                co_await pace_timer.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
                continue;
            }
            ProducedBatch produced;
            std::shared_ptr<const LogSlice> cached;
            if (!pipeline) {
                cached = batcher->shared().find(batcher->next_tx());
                // Another stream is reading the slice this one needs: wait
                // for it here (woken when it is published) rather than on
                // the pool.
                if (!cached && batcher->shared().wait_for_read(batcher->next_tx(), signal)) {
                    co_await signal->wait(heartbeat);
                    continue;
                }
            }
            if (pipeline) {
                produced = co_await pipeline->take();
                if (pipeline->idle()) {
                    pipeline.reset();  // the backlog's end (or the window's): the batcher is the stream's again
                }
            } else if (cached && !cached->unread && cached->records.size() <= kInlineSliceBytes) {
                // Already read and small: chain, compress and frame it on
                // this strand (microseconds), without a trip to the pool.
                // (An unread slice reads the host's log: on the pool.)
                produced = batcher->frame(cached, position);
            } else if (cached) {
                auto frame_job = [batcher, cached, &position] { return batcher->frame(cached, position); };
                produced = co_await run_blocking(pool, std::move(frame_job));
            } else {
                auto produce_job = [batcher, &position] { return batcher->produce(position); };
                produced = co_await run_blocking(pool, std::move(produce_job));
            }
            const uint64_t next = produced.first_tx;
            // A stop or drop of the database closed the signal on this strand
            // before anything of a re-created database could be read: never
            // send what the batch read then, nor its failure.
            if (signal->closed()) {
                break;
            }
            if (!produced.status) {
                if (produced.status.code() == CCDR_LOG_PRUNED) {
                    HostHandle host = context_.host;
                    auto log_job = [host, db] { return host.log_info(db); };
                    auto log = co_await run_blocking(pool, std::move(log_job));
                    protocol::LogPruned pruned{next, log ? log->oldest_retained_tx : 0,
                                               log ? log->last_committed_tx : 0};
                    co_await session::send(*connection, pruned);
                    context_.log->info("the log of '{}' was pruned past tx {} while {} streamed it", db, next,
                                       peer.describe());
                } else {
                    const std::string reason = "reading the log of '" + db + "' from tx " + std::to_string(next)
                        + " failed: " + produced.status.message();
                    co_await refuse(connection, peer, RefusalCode::kInternal, reason);
                }
                break;
            }
            if (produced.count == 0) {
                co_await signal->wait(heartbeat);
                continue;
            }
            runtime::trace_step(context_.trace, "read", db, produced.first_tx, produced.last_tx);
            // A pipeline stops chaining at a transaction in parts, so it is
            // idle (and gone) by the time its first part is taken.
            if (produced.more_parts) {
                if (!co_await send_parts(connection, peer, db, *window, batcher, std::move(produced), position,
                                         signal)) {
                    break;
                }
                last_activity = std::chrono::steady_clock::now();
                continue;
            }
            // A backlog: produce the next batches on the pool while this one
            // is written, so the I/O thread only writes (batch_pipeline.hpp).
            // Only when the window takes them after this frame, as the check
            // above would.
            if (!pipeline && produced.large && more(produced.last_tx, produced.frame.wire_size())) {
                pipeline = BatchPipeline::start(pool, connection->strand(), batcher, position, more);
            }
            // In the window before the write (ack_reader.hpp, send_batch, says why).
            if (!co_await send_batch(*connection, *window, produced.frame, produced.last_tx, produced.large,
                                     produced.first_commit_ms)) {
                break;
            }
            runtime::trace_step(context_.trace, "sent", db, produced.first_tx, produced.last_tx);
            stats_.add_batch(db, produced.count, produced.frame.wire_size());
            batcher->recycle(std::move(produced.frame));  // a later batch reuses its memory
            last_activity = std::chrono::steady_clock::now();
            continue;
        }
        // Nothing sent: either nothing to send, or the window is full and
        // the next ACK wakes this loop.
        window->sender_waits_for_window = batcher->next_tx() <= position.last_tx.load(std::memory_order_acquire);
        const auto idle = std::chrono::steady_clock::now() - last_activity;
        if (idle >= heartbeat) {
            // The database is looked up by name: check that it is still the
            // lineage this subscription was made for (and online). This
            // check counts as the interval's lineage check at the loop's top.
            auto describe_again = [this, db] { return checks_.describe(db); };
            auto now_info = co_await run_blocking(pool, std::move(describe_again));
            last_lineage_check = std::chrono::steady_clock::now();
            if (auto refusal = checks_.check_lineage(now_info, subscribe.store_id, subscribe.epoch)) {
                if (!signal->closed()) {
                    co_await refuse(connection, peer, refusal->code, refusal->reason);
                }
                break;
            }
            position.advance(now_info.last_tx, now_info.last_commit_ms);
            protocol::Heartbeat beat{{now_info.last_tx, now_info.last_commit_ms, wall_clock_ms()}};
            if (!co_await session::send(*connection, beat)) {
                break;
            }
            if (peer.version >= protocol::kLogHoldProtocol) {
                const protocol::HoldStatus hold = hold_status(db, peer, subscribe.replica_database);
                if (!co_await session::send(*connection, hold)) {
                    break;
                }
            }
            last_activity = std::chrono::steady_clock::now();
            continue;
        }
        co_await signal->wait(std::chrono::duration_cast<std::chrono::milliseconds>(heartbeat - idle) + 1ms);
    }
    if (pipeline) {
        // Its work holds the batcher and `position`: let it finish first.
        // What it produced is not sent (the stream ended).
        co_await pipeline->stop();
    }
}

asio::awaitable<bool> UpstreamService::send_parts(std::shared_ptr<Connection> connection, const Peer& peer,
                                                  const std::string& db, SubscriptionWindow& window,
                                                  std::shared_ptr<Batcher> batcher, ProducedBatch produced,
                                                  CommitPosition& position, std::shared_ptr<AsyncSignal> signal) {
    // The parts of one transaction go out back to back, outside the window:
    // the replica acknowledges a transaction once it is applied, after its
    // last part, so a window smaller than the transaction would never open
    // again. TCP paces them instead: the replica reads the next part only
    // when its applier has room (protocol.md §3). The last part enters the
    // window for the whole transaction. Each part is framed on the pool
    // (compressing a batch's worth takes about a millisecond).
    auto& pool = context_.runtime->blocking_pool();
    while (produced.more_parts) {
        if (!co_await connection->write_frame(produced.frame)) {
            co_return false;
        }
        window.on_part_sent(produced.frame.wire_size());
        batcher->recycle(std::move(produced.frame));
        if (signal->closed() || !connection->is_open()) {
            co_return false;
        }
        auto part_job = [batcher, &position] { return batcher->next_part(position); };
        produced = co_await run_blocking(pool, std::move(part_job));
        if (!produced.status) {
            co_await refuse(connection, peer, RefusalCode::kInternal,
                            "framing tx " + std::to_string(produced.first_tx) + " of '" + db + "' in parts failed: " +
                                produced.status.message());
            co_return false;
        }
    }
    if (!co_await send_batch(*connection, window, produced.frame, produced.last_tx, true,
                             produced.first_commit_ms)) {
        co_return false;
    }
    runtime::trace_step(context_.trace, "sent", db, produced.first_tx, produced.last_tx);
    stats_.add_batch(db, produced.count, produced.frame.wire_size());
    batcher->recycle(std::move(produced.frame));
    co_return true;
}

protocol::HoldStatus UpstreamService::hold_status(const std::string& database, const Peer& peer,
                                                  const std::string& replica_database) const {
    protocol::HoldStatus status;
    const LogHoldCap cap = holds_.cap();
    status.max_bytes = cap.max_bytes;
    status.max_age_ms = cap.max_age_ms;
    if (auto hold = holds_.hold({database, peer.cluster_id, peer.server_id, replica_database}, wall_clock_ms())) {
        status.catch_up_window_ms = static_cast<int64_t>(hold->catch_up_window_s * 1000.0);
        status.held_from_tx = hold->acked_tx + 1;
    }
    return status;
}

asio::awaitable<void> UpstreamService::send_snapshot(std::shared_ptr<Connection> connection, Peer peer,
                                                     protocol::SnapshotRequest request) {
    auto& pool = context_.runtime->blocking_pool();
    const std::string db = request.name;
    auto describe_job = [this, db] { return checks_.describe(db); };
    auto info = co_await run_blocking(pool, std::move(describe_job));
    if (auto refusal = checks_.check_lineage(info, request.store_id, request.epoch)) {
        co_await refuse(connection, peer, refusal->code, refusal->reason);
        co_return;
    }
    const uint64_t wanted = request.snapshot_id;
    auto acquire_job = [this, db, wanted] { return spools_.acquire(db, wanted); };
    auto acquired = co_await run_blocking(pool, std::move(acquire_job));
    if (!acquired) {
        const std::string reason = acquired.status().message();
        co_await refuse(connection, peer, RefusalCode::kInternal, reason);
        co_return;
    }
    std::shared_ptr<const SnapshotSpool> spool = acquired.value();
    const uint64_t chunk = context_.settings.snapshot_chunk_bytes;
    uint64_t offset = 0;
    if (spool->id == request.snapshot_id && request.offset <= spool->total_bytes && request.offset % chunk == 0) {
        offset = request.offset;
    }
    protocol::SnapshotBegin begin{spool->id, spool->tx_id, spool->commit_time_ms, spool->total_bytes, offset,
                                  static_cast<uint32_t>(chunk)};
    if (!co_await session::send(*connection, begin)) {
        co_return;
    }
    context_.log->info("store copy of '{}' to {}: snapshot at tx {}, {} bytes, from byte {}", db, peer.describe(),
                       spool->tx_id, spool->total_bytes, offset);

    auto signal = std::make_shared<AsyncSignal>(connection->strand());
    auto state = std::make_shared<SnapshotWindow>();
    state->acked_offset = offset;
    const auto io_timeout = context_.settings.io_timeout;
    context_.runtime->spawn(connection->strand(), [connection, state, signal, io_timeout] {
        return read_snapshot_acks(connection, state, signal, io_timeout);
    });

    const uint64_t window = context_.settings.window_bytes;
    const auto limits = context_.connection_options().limits;
    ChunkCompressionProbe probe(context_.settings.compression);
    state->sent_offset = offset;
    // The next chunks are read and framed on the blocking pool while this
    // strand writes the current one (one at a time, the strand waited for
    // each read and the pool for each write: docs/benchmarks.md, store copy).
    using ChunkTask = runtime::BlockingTask<Result<protocol::EncodedFrame>>;
    struct ChunkAhead {
        uint64_t length;
        bool tried_lz4;
        std::shared_ptr<ChunkTask> task;
    };
    std::deque<ChunkAhead> ahead;
    std::vector<std::vector<uint8_t>> buffers;  // bodies of written frames, reused
    const runtime::Strand strand = co_await asio::this_coro::executor;
    uint64_t next = offset;
    auto read_ahead = [&] {
        while (ahead.size() < kSnapshotChunksAhead && next < spool->total_bytes) {
            const uint64_t length = std::min<uint64_t>(chunk, spool->total_bytes - next);
            const bool lz4 = probe.try_next();
            std::vector<uint8_t> buffer;
            if (!buffers.empty()) {
                buffer = std::move(buffers.back());
                buffers.pop_back();
            }
            auto job = [this, spool, at = next, length, lz4, limits, buffer = std::move(buffer)]() mutable {
                return frame_snapshot_chunk(spools_, *spool, at, length, lz4, limits, std::move(buffer));
            };
            ahead.push_back({length, lz4, ChunkTask::start(pool, strand, std::move(job))});
            next += length;
        }
    };
    while (offset < spool->total_bytes && connection->is_open()) {
        read_ahead();
        if (offset - state->acked_offset >= window) {
            // The reader closes the connection when the replica's side ends.
            co_await signal->wait(io_timeout);
            continue;
        }
        ChunkAhead current = std::move(ahead.front());
        ahead.pop_front();
        auto frame = co_await current.task->take();
        if (!frame) {
            const std::string reason = frame.status().message();
            co_await refuse(connection, peer, RefusalCode::kInternal, reason);
            break;
        }
        if (current.tried_lz4) {
            probe.tried(frame->uncompressed_length, frame->body.size());
        }
        state->sent_offset = offset + current.length;
        if (!co_await connection->write_frame(*frame)) {
            break;
        }
        stats_.add_snapshot_bytes(db, frame->wire_size());
        spools_.touch(spool->id);
        offset += current.length;
        buffers.push_back(frame->spare.empty() ? std::move(frame->body) : std::move(frame->spare));
    }
    // The pool's reads use the spool and this service: wait for them.
    for (auto& left : ahead) {
        (void)co_await left.task->take();
    }
    if (offset == spool->total_bytes && connection->is_open()) {
        protocol::SnapshotEnd end{spool->id, spool->total_bytes, spool->file_hash};
        if (co_await session::send(*connection, end)) {
            stats_.add_store_copy(db, peer.cluster_id, peer.server_id, request.replica_database);
        }
        // The replica verifies the file, acknowledges and closes: wait for it
        // (closing first could reset the connection under its last reads).
        while (!state->reader_done) {
            co_await signal->wait(io_timeout);
        }
    }
    spools_.touch(spool->id);
    const bool complete = state->acked_offset == spool->total_bytes;
    context_.log->info("store copy of '{}' to {} ended at byte {} of {} ({})", db, peer.describe(), offset,
                       spool->total_bytes, complete ? "complete" : connection->close_reason());
}

}  // namespace ccdr::plugin

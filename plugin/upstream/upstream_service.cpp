#include "upstream/upstream_service.hpp"

#include "protocol/batch.hpp"
#include "session/exchange.hpp"
#include "upstream/batch_pacer.hpp"

#include <xxhash.h>

#include <deque>

namespace ccdr::plugin {

using namespace std::chrono_literals;
using protocol::RefusalCode;
using runtime::AsyncSignal;
using runtime::run_blocking;
using transport::Connection;

namespace {

int64_t wall_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// One batch read from the log and framed, on the blocking pool.
struct ProducedBatch {
    Status status;
    protocol::EncodedFrame frame;
    uint64_t first_tx = 0;
    uint64_t last_tx = 0;
    size_t count = 0;
    bool large = false;  // at least half of ccdr.batch.max_bytes: a backlog, send the next at once
};

// The connection state shared by a stream's sender and its ACK reader (both
// on the connection's strand).
struct StreamState {
    struct Inflight {
        uint64_t last_tx;
        size_t wire_bytes;
        std::chrono::steady_clock::time_point sent_at;
    };
    std::deque<Inflight> inflight;
    BatchPacer pacer;
    size_t unacked_bytes = 0;
    uint64_t sent_last_tx = 0;
    uint64_t acked_offset = 0;  // snapshots: bytes the replica verified
    uint64_t sent_offset = 0;
    bool reader_done = false;
    std::shared_ptr<ReplicaLink> link;
    UpstreamStats* stats = nullptr;
    ~StreamState() {
        if (link) {
            stats->disconnect(link);
        }
    }
};

}  // namespace

std::string UpstreamService::Peer::describe() const {
    return address + (subject.empty() ? std::string(" (no certificate)") : " (certificate " + subject + ")");
}

UpstreamService::UpstreamService(const session::SessionContext& context, CommitNotifier& notifier)
    : context_(context),
      notifier_(notifier),
      spools_(context.host, context.spool_directory(), context.settings.snapshot_retention, context.log) {
    spools_.remove_all();
}

std::string UpstreamService::refusal_for(const std::string& name) const {
    if (name == "system") {
        return "the system database is never replicated";
    }
    for (const auto& allowed : context_.settings.allowed_databases) {
        if (allowed == "*" || allowed == name) {
            return "";
        }
    }
    return "database '" + name + "' is not in ccdr.upstream.allowed_databases of server " +
           context_.server.server_id;
}

protocol::DatabaseInfoReply UpstreamService::describe(const std::string& name) const {
    protocol::DatabaseInfoReply r;
    r.name = name;
    r.refusal = refusal_for(name);
    auto info = context_.host.database_info(name);
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
    if (!r.refusal.empty()) {
        return r;
    }
    r.store_id = info->store_id;
    r.epoch = info->epoch;
    auto log = context_.host.log_info(name);
    if (!log) {
        r.online = false;
        return r;
    }
    r.last_tx = log->last_committed_tx;
    r.last_commit_ms = log->last_commit_time_ms;
    r.oldest_retained_tx = log->oldest_retained_tx;
    return r;
}

std::optional<UpstreamService::Refusal> UpstreamService::check_lineage(const protocol::DatabaseInfoReply& info,
                                                                       const std::string& store_id,
                                                                       uint64_t epoch) const {
    if (!info.refusal.empty()) {
        return Refusal{RefusalCode::kNotAllowed, info.refusal};
    }
    if (!info.exists) {
        return Refusal{RefusalCode::kDatabaseNotFound,
                       "database '" + info.name + "' does not exist on server " + context_.server.server_id};
    }
    if (!info.online) {
        return Refusal{RefusalCode::kDatabaseOffline,
                       "database '" + info.name + "' is not online on server " + context_.server.server_id};
    }
    if (info.store_id != store_id || info.epoch != epoch) {
        return Refusal{RefusalCode::kLineageMismatch,
                       "lineage mismatch for database '" + info.name + "': the replica has store id " + store_id +
                           " and epoch " + std::to_string(epoch) + ", the upstream has store id " + info.store_id +
                           " and epoch " + std::to_string(info.epoch)};
    }
    return std::nullopt;
}

UpstreamService::FingerprintAnswer UpstreamService::fingerprint(const protocol::FingerprintRequest& request) const {
    FingerprintAnswer out;
    auto info = describe(request.name);
    if (auto refusal = check_lineage(info, request.store_id, request.epoch)) {
        out.refusal = std::move(refusal);
        return out;
    }
    auto f = context_.host.content_fingerprint(request.name, "");
    if (!f) {
        const auto code = f.status().code() == CCDR_UNSUPPORTED ? RefusalCode::kUnsupported
            : f.status().code() == CCDR_DATABASE_UNAVAILABLE   ? RefusalCode::kDatabaseOffline
                                                                : RefusalCode::kInternal;
        out.refusal = Refusal{code, "cannot fingerprint '" + request.name + "' on server " +
                                        context_.server.server_id + ": " + f.status().message()};
        return out;
    }
    out.reply = protocol::FingerprintReply{request.name, f->tx_id, f->algorithm, f->fingerprint};
    return out;
}

asio::awaitable<void> UpstreamService::refuse(std::shared_ptr<Connection> connection, const Peer& peer,
                                              RefusalCode code, std::string reason) {
    stats_.add_refusal();
    context_.log->warn("refused replication to {}: {}", peer.describe(), reason);
    protocol::Refused refused{code, std::move(reason)};
    co_await session::send(*connection, refused);
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
    protocol::HelloOk ok{protocol::kMaxProtocolVersion, context_.server.cluster_id, context_.server.server_id};
    if (!co_await session::send(*connection, ok)) {
        co_return;
    }
    for (;;) {
        auto frame = co_await connection->read_frame(timeout);
        if (!frame) {
            co_return;
        }
        const auto type = frame->header.type;
        if (type == protocol::MessageType::kDatabaseInfoRequest) {
            auto request = protocol::decode_message_as<protocol::DatabaseInfoRequest>(frame->payload);
            if (!request) {
                const std::string reason = request.status().message();
                co_await refuse(connection, peer, RefusalCode::kBadRequest, reason);
                co_return;
            }
            const std::string name = request->name;
            auto describe_job = [this, name] { return describe(name); };
            auto reply = co_await run_blocking(context_.runtime->blocking_pool(), std::move(describe_job));
            if (!reply.refusal.empty()) {
                stats_.add_refusal();
                context_.log->warn("refused replication to {}: {}", peer.describe(), reply.refusal);
            }
            if (!co_await session::send(*connection, reply)) {
                co_return;
            }
        } else if (type == protocol::MessageType::kSubscribe) {
            auto subscribe = protocol::decode_message_as<protocol::Subscribe>(frame->payload);
            if (!subscribe) {
                const std::string reason = subscribe.status().message();
                co_await refuse(connection, peer, RefusalCode::kBadRequest, reason);
                co_return;
            }
            if (!co_await stream(connection, peer, std::move(subscribe.value()))) {
                co_return;
            }
        } else if (type == protocol::MessageType::kFingerprintRequest) {
            auto request = protocol::decode_message_as<protocol::FingerprintRequest>(frame->payload);
            if (!request) {
                const std::string reason = request.status().message();
                co_await refuse(connection, peer, RefusalCode::kBadRequest, reason);
                co_return;
            }
            // Named before the co_await: GCC 12 destroys a lambda created
            // inside a co_await expression twice (docs/protocol.md §8).
            auto fingerprint_job = [this, r = std::move(request.value())] { return fingerprint(r); };
            auto answer = co_await run_blocking(context_.runtime->blocking_pool(), std::move(fingerprint_job));
            if (answer.refusal) {
                co_await refuse(connection, peer, answer.refusal->code, answer.refusal->reason);
                co_return;
            }
            if (!co_await session::send(*connection, answer.reply)) {
                co_return;
            }
        } else if (type == protocol::MessageType::kSnapshotRequest) {
            auto request = protocol::decode_message_as<protocol::SnapshotRequest>(frame->payload);
            if (!request) {
                const std::string reason = request.status().message();
                co_await refuse(connection, peer, RefusalCode::kBadRequest, reason);
                co_return;
            }
            co_await send_snapshot(connection, peer, std::move(request.value()));
            co_return;
        } else {
            const std::string reason = "unexpected " + std::string(protocol::message_type_name(type))
                + " (expected DATABASE_INFO_REQUEST, FINGERPRINT_REQUEST, SUBSCRIBE or SNAPSHOT_REQUEST)";
            co_await refuse(connection, peer, RefusalCode::kBadRequest, reason);
            co_return;
        }
    }
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
    auto describe_job = [this, db] { return describe(db); };
    auto info = co_await run_blocking(pool, std::move(describe_job));
    if (auto refusal = check_lineage(info, subscribe.store_id, subscribe.epoch)) {
        co_await refuse(connection, peer, refusal->code, refusal->reason);
        co_return false;
    }
    registration->position().advance(info.last_tx, info.last_commit_ms);
    if (subscribe.from_tx > info.last_tx + 1) {
        const std::string reason = "the replica of '" + db + "' asks for transactions from "
            + std::to_string(subscribe.from_tx) + " but the last committed tx here is "
            + std::to_string(info.last_tx) + ": the replica has transactions this upstream does not";
        co_await refuse(connection, peer, RefusalCode::kAheadOfUpstream, reason);
        co_return false;
    }
    if (subscribe.from_tx < info.oldest_retained_tx) {
        context_.log->info("replica {} of '{}' asks for tx {}, the log starts at tx {}: it needs a store copy",
                           peer.describe(), db, subscribe.from_tx, info.oldest_retained_tx);
        protocol::LogPruned pruned{subscribe.from_tx, info.oldest_retained_tx, info.last_tx};
        co_return static_cast<bool>(co_await session::send(*connection, pruned));
    }
    protocol::Subscribed subscribed{subscribe.from_tx, {info.last_tx, info.last_commit_ms, wall_ms()}};
    if (!co_await session::send(*connection, subscribed)) {
        co_return false;
    }
    context_.log->info("replica {} ('{}') subscribed to '{}' from tx {}", peer.describe(), subscribe.replica_database,
                       db, subscribe.from_tx);

    auto state = std::make_shared<StreamState>();
    state->stats = &stats_;
    state->link = stats_.connect(db, metric_segment(peer.cluster_id) + "." + metric_segment(peer.server_id) + "." +
                                         metric_segment(subscribe.replica_database));
    state->link->acked_tx = subscribe.from_tx - 1;
    state->sent_last_tx = subscribe.from_tx - 1;

    // The ACK reader: frees window space, records the replica's position.
    const auto io_timeout = context_.settings.io_timeout;
    context_.runtime->spawn(connection->strand(), [connection, state, signal, io_timeout]() -> asio::awaitable<void> {
        for (;;) {
            auto frame = co_await connection->read_frame(io_timeout);
            if (!frame) {
                break;
            }
            if (frame->header.type != protocol::MessageType::kAck) {
                connection->close("protocol error: " + std::string(protocol::message_type_name(frame->header.type)) +
                                  " during a subscription (expected ACK)");
                break;
            }
            auto ack = protocol::decode_message_as<protocol::Ack>(frame->payload);
            if (!ack || ack->last_applied_tx > state->sent_last_tx) {
                connection->close(ack ? "protocol error: ACK of tx " + std::to_string(ack->last_applied_tx) +
                                            " beyond the last sent tx " + std::to_string(state->sent_last_tx)
                                      : ack.status().message());
                break;
            }
            const auto now = std::chrono::steady_clock::now();
            while (!state->inflight.empty() && state->inflight.front().last_tx <= ack->last_applied_tx) {
                state->unacked_bytes -= state->inflight.front().wire_bytes;
                if (state->inflight.size() == 1 || state->inflight[1].last_tx > ack->last_applied_tx) {
                    state->pacer.on_ack(state->inflight.front().sent_at, now);  // the newest batch it covers
                    state->link->round_trip_us = static_cast<uint64_t>(state->pacer.min_rtt().count());
                }
                state->inflight.pop_front();
            }
            if (ack->last_applied_tx > state->link->acked_tx.load()) {
                state->link->acked_tx = ack->last_applied_tx;
            }
            signal->notify();
        }
        state->reader_done = true;
        connection->close("the replica's side of the subscription ended");
    });

    const uint64_t window = context_.settings.window_bytes;
    const uint64_t batch_max = context_.settings.batch_max_bytes;
    const auto heartbeat = context_.settings.heartbeat_interval;
    const auto limits = context_.connection_options().limits;
    const bool compress = context_.settings.compression;
    auto builder = std::make_shared<protocol::BatchBuilder>(
        protocol::chain_seed(subscribe.store_id, subscribe.epoch, subscribe.from_tx), subscribe.from_tx,
        static_cast<size_t>(batch_max));
    auto last_activity = std::chrono::steady_clock::now();
    CommitPosition& position = registration->position();
    std::vector<uint8_t> compress_scratch;
    HostHandle host = context_.host;

    auto last_lineage_check = std::chrono::steady_clock::now();
    asio::steady_timer pace_timer(connection->strand());
    while (connection->is_open()) {
        if (signal->closed()) {
            break;  // the connection closed, or the database stopped (below)
        }
        // The database may have been dropped and re-created (another store
        // id) or stopped since SUBSCRIBE: check its lineage once per
        // heartbeat interval, busy or idle, and end the stream if it changed.
        // A stop or drop seen while the check ran (the signal closed) ends
        // the stream below with the message that says so.
        if (std::chrono::steady_clock::now() - last_lineage_check >= heartbeat) {
            last_lineage_check = std::chrono::steady_clock::now();
            auto lineage_job = [this, db] { return describe(db); };
            auto now_info = co_await run_blocking(pool, std::move(lineage_job));
            if (auto refusal = check_lineage(now_info, subscribe.store_id, subscribe.epoch)) {
                if (!signal->closed()) {
                    co_await refuse(connection, peer, refusal->code, refusal->reason + " (found while streaming)");
                }
                break;
            }
        }
        const uint64_t next = builder->next_tx();
        if (next <= position.last_tx.load(std::memory_order_acquire) && state->unacked_bytes < window) {
            // On a long link, let commits gather for a fraction of the round
            // trip since the last batch (batch_pacer.hpp says why).
            if (const auto hold = state->pacer.hold(std::chrono::steady_clock::now()); hold.count() > 0) {
                pace_timer.expires_after(hold);
                boost::system::error_code ignored;
                co_await pace_timer.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
                continue;
            }
            auto produce_job = [host, db, builder, batch_max, limits, compress, &position,
                                scratch = std::move(compress_scratch)]() mutable {
                ProducedBatch out;
                Status add_failed;
                out.first_tx = builder->next_tx();
                out.status = host.read_log(db, out.first_tx, batch_max, [&](const ccdr_tx& tx) {
                    add_failed = builder->add(tx);
                    if (!add_failed) {
                        return CCDR_STOPPED;
                    }
                    const size_t encoded = builder->payload_bytes() + builder->count() * protocol::kTxRecordOverhead;
                    return encoded >= batch_max ? CCDR_STOPPED : CCDR_OK;
                });
                if (out.status && !add_failed) {
                    out.status = add_failed;
                }
                out.count = builder->count();
                if (!out.status || out.count == 0) {
                    return out;
                }
                out.large = builder->payload_bytes() + out.count * protocol::kTxRecordOverhead >= batch_max / 2;
                out.last_tx = builder->next_tx() - 1;
                protocol::UpstreamPosition pos{position.last_tx.load(), position.last_commit_ms.load(), wall_ms()};
                if (pos.last_tx < out.last_tx) {
                    pos.last_tx = out.last_tx;
                }
                auto frame = protocol::encode_frame(protocol::MessageType::kBatch, builder->finish(pos), compress,
                                                    limits, std::move(scratch));
                if (!frame) {
                    out.status = frame.status();
                    return out;
                }
                out.frame = std::move(frame.value());
                return out;
            };
            ProducedBatch produced = co_await run_blocking(pool, std::move(produce_job));
            // A stop or drop of the database closed the signal on this strand
            // before anything of a re-created database could be read: never
            // send what the batch read then, nor its failure.
            if (signal->closed()) {
                break;
            }
            if (!produced.status) {
                if (produced.status.code() == CCDR_LOG_PRUNED) {
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
            if (!co_await connection->write_frame(produced.frame)) {
                break;
            }
            const auto sent_at = std::chrono::steady_clock::now();
            state->inflight.push_back({produced.last_tx, produced.frame.wire_size(), sent_at});
            state->pacer.on_sent(sent_at, produced.large);
            state->unacked_bytes += produced.frame.wire_size();
            state->sent_last_tx = produced.last_tx;
            state->link->sent_tx = produced.last_tx;
            stats_.add_batch(db, produced.count, produced.frame.wire_size());
            // The next batch reuses these buffers' memory.
            if (produced.frame.spare.capacity() != 0) {
                builder->recycle(std::move(produced.frame.spare));
                compress_scratch = std::move(produced.frame.body);
            } else {
                builder->recycle(std::move(produced.frame.body));
            }
            last_activity = std::chrono::steady_clock::now();
            continue;
        }
        const auto idle = std::chrono::steady_clock::now() - last_activity;
        if (idle >= heartbeat) {
            // The database is looked up by name: check that it is still the
            // lineage this subscription was made for (and online). This
            // check counts as the interval's lineage check at the loop's top.
            auto describe_again = [this, db] { return describe(db); };
            auto now_info = co_await run_blocking(pool, std::move(describe_again));
            last_lineage_check = std::chrono::steady_clock::now();
            if (auto refusal = check_lineage(now_info, subscribe.store_id, subscribe.epoch)) {
                if (!signal->closed()) {
                    co_await refuse(connection, peer, refusal->code, refusal->reason);
                }
                break;
            }
            position.advance(now_info.last_tx, now_info.last_commit_ms);
            protocol::Heartbeat beat{{now_info.last_tx, now_info.last_commit_ms, wall_ms()}};
            if (!co_await session::send(*connection, beat)) {
                break;
            }
            last_activity = std::chrono::steady_clock::now();
            continue;
        }
        co_await signal->wait(std::chrono::duration_cast<std::chrono::milliseconds>(heartbeat - idle) + 1ms);
    }
    if (connection->is_open() && signal->closed()) {
        const std::string reason = "database '" + db + "' was stopped, dropped or promoted on server " +
                                   context_.server.server_id + "; subscribe again";
        co_await refuse(connection, peer, RefusalCode::kDatabaseOffline, reason);
    }
    if (connection->is_open()) {
        connection->close("subscription ended");
    }
    context_.log->info("subscription of {} to '{}' ended at tx {} ({})", peer.describe(), db, state->sent_last_tx,
                       connection->close_reason());
    co_return false;
}

asio::awaitable<void> UpstreamService::send_snapshot(std::shared_ptr<Connection> connection, Peer peer,
                                                     protocol::SnapshotRequest request) {
    auto& pool = context_.runtime->blocking_pool();
    const std::string db = request.name;
    auto describe_job = [this, db] { return describe(db); };
    auto info = co_await run_blocking(pool, std::move(describe_job));
    if (auto refusal = check_lineage(info, request.store_id, request.epoch)) {
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
    auto state = std::make_shared<StreamState>();
    state->stats = &stats_;
    state->acked_offset = offset;
    const auto io_timeout = context_.settings.io_timeout;
    context_.runtime->spawn(connection->strand(), [connection, state, signal, io_timeout]() -> asio::awaitable<void> {
        for (;;) {
            auto frame = co_await connection->read_frame(io_timeout);
            if (!frame) {
                break;
            }
            auto ack = frame->header.type == protocol::MessageType::kSnapshotAck
                           ? protocol::decode_message_as<protocol::SnapshotAck>(frame->payload)
                           : Result<protocol::SnapshotAck>(Status(CCDR_CORRUPT, "expected SNAPSHOT_ACK"));
            if (!ack || ack->verified_offset > state->sent_offset) {
                connection->close("protocol error during a store copy");
                break;
            }
            state->acked_offset = std::max(state->acked_offset, ack->verified_offset);
            signal->notify();
        }
        state->reader_done = true;
        signal->notify();
    });

    const uint64_t window = context_.settings.window_bytes;
    const auto limits = context_.connection_options().limits;
    const bool compress = context_.settings.compression;
    state->sent_offset = offset;
    while (offset < spool->total_bytes && connection->is_open()) {
        if (offset - state->acked_offset >= window) {
            co_await signal->wait(io_timeout);
            continue;
        }
        auto chunk_job = [this, spool, offset, chunk, limits, compress]() -> Result<protocol::EncodedFrame> {
            std::vector<uint8_t> data(static_cast<size_t>(std::min<uint64_t>(chunk, spool->total_bytes - offset)));
            auto n = spools_.read(*spool, offset, data);
            if (!n) {
                return n.status();
            }
            if (*n != data.size()) {
                return Status(CCDR_IO_ERROR, "the snapshot spool " + spool->path + " is shorter than announced");
            }
            protocol::SnapshotChunk message{spool->id, offset, XXH3_64bits(data.data(), data.size()), data};
            return protocol::encode_frame(protocol::MessageType::kSnapshotChunk, protocol::encode_message(message),
                                          compress, limits);
        };
        auto frame = co_await run_blocking(pool, std::move(chunk_job));
        if (!frame) {
            const std::string reason = frame.status().message();
            co_await refuse(connection, peer, RefusalCode::kInternal, reason);
            break;
        }
        const uint64_t n = std::min<uint64_t>(chunk, spool->total_bytes - offset);
        state->sent_offset = offset + n;
        if (!co_await connection->write_frame(*frame)) {
            break;
        }
        stats_.add_snapshot_bytes(db, frame->wire_size());
        spools_.touch(spool->id);
        offset += n;
    }
    if (offset == spool->total_bytes && connection->is_open()) {
        protocol::SnapshotEnd end{spool->id, spool->total_bytes, spool->file_hash};
        co_await session::send(*connection, end);
        // The replica verifies the file, acknowledges and closes: wait for it
        // (closing first could reset the connection under its last reads).
        while (!state->reader_done) {
            co_await signal->wait(io_timeout);
        }
    }
    spools_.touch(spool->id);
    context_.log->info("store copy of '{}' to {} ended at byte {} of {} ({})", db, peer.describe(), offset,
                       spool->total_bytes, connection->is_open() ? "complete" : connection->close_reason());
}

}  // namespace ccdr::plugin

#include "replica/replica_member.hpp"

#include "replica/backoff.hpp"
#include "session/exchange.hpp"

#include <cstdio>
#include <filesystem>
#include <random>

namespace ccdr::plugin {

using namespace std::chrono_literals;
using protocol::MessageType;
using protocol::RefusalCode;
using runtime::AsyncSignal;
using runtime::run_blocking;
using transport::Connection;

namespace {

std::string human_bytes(uint64_t n) {
    const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    double v = static_cast<double>(n);
    int u = 0;
    while (v >= 1024.0 && u < 4) {
        v /= 1024.0;
        ++u;
    }
    char buf[32];
    if (u == 0) {
        std::snprintf(buf, sizeof(buf), "%llu B", static_cast<unsigned long long>(n));
    } else {
        std::snprintf(buf, sizeof(buf), "%.1f %s", v, units[u]);
    }
    return buf;
}

std::string ms_text(std::chrono::milliseconds d) { return std::to_string(d.count()) + "ms"; }

uint64_t nanos_since(std::chrono::steady_clock::time_point t) {
    return static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - t).count());
}

}  // namespace

ReplicaMember::ReplicaMember(const UpstreamDialer& dialer, std::string database)
    : dialer_(dialer),
      context_(dialer.context()),
      database_(std::move(database)),
      strand_(context_.runtime->make_strand()),
      stop_signal_(std::make_shared<AsyncSignal>(strand_)),
      space_signal_(std::make_shared<AsyncSignal>(strand_)),
      ack_signal_(std::make_shared<AsyncSignal>(strand_)),
      puller_done_future_(puller_done_.get_future()),
      spool_(context_.spool_directory(), database_) {}

ReplicaMember::~ReplicaMember() { stop(); }

void ReplicaMember::start() {
    if (started_) {
        return;
    }
    started_ = true;
    set_state(CCDR_REPLICA_CREATING, "starting");
    applier_ = std::thread([this] { applier_main(); });
    auto self = shared_from_this();
    const bool spawned = context_.runtime->spawn(
        strand_, [self]() -> asio::awaitable<void> { co_await self->run(); },
        [self](std::exception_ptr e) {
            try {
                std::rethrow_exception(e);
            } catch (const std::exception& ex) {
                self->set_state(CCDR_REPLICA_FAILED, std::string("failed: internal error: ") + ex.what());
            } catch (...) {
                self->set_state(CCDR_REPLICA_FAILED, "failed: internal error");
            }
            self->puller_done_.set_value();
        });
    if (!spawned) {
        puller_done_.set_value();
    }
}

void ReplicaMember::stop() {
    if (!started_ || stopped_) {
        return;
    }
    stopped_ = true;
    stopping_ = true;
    auto self = shared_from_this();
    asio::post(strand_, [self] {
        self->stop_signal_->close();
        self->space_signal_->close();
        self->ack_signal_->notify();
        std::lock_guard lock(self->connection_mu_);
        if (self->connection_) {
            self->connection_->close("the replica member is stopping");
        }
    });
    puller_done_future_.wait();
    {
        std::lock_guard lock(queue_mu_);
        applier_stop_ = true;
        queue_.clear();
        queued_bytes_ = 0;
    }
    queue_cv_.notify_all();
    if (applier_.joinable()) {
        applier_.join();
    }
    stats_.connected = false;
    std::lock_guard lock(status_mu_);
    if (state_ != CCDR_REPLICA_FAILED) {
        state_ = CCDR_REPLICA_STOPPED;
        message_ = "stopped";
    }
}

void ReplicaMember::discard_spool() { spool_.discard(); }

void ReplicaMember::set_state(ccdr_replica_state state, std::string message) {
    std::lock_guard lock(status_mu_);
    if (state_ == CCDR_REPLICA_FAILED && state != CCDR_REPLICA_FAILED) {
        return;  // only an operator (drop, recreate) ends FAILED
    }
    state_ = state;
    message_ = std::move(message);
}

void ReplicaMember::set_connection(std::shared_ptr<Connection> connection, const std::string& address) {
    std::lock_guard lock(connection_mu_);
    connection_ = std::move(connection);
    upstream_address_ = connection_ ? address : "";
}

void ReplicaMember::note_upstream(const protocol::UpstreamPosition& position) {
    uint64_t seen = stats_.upstream_last_tx.load();
    if (position.last_tx >= seen) {
        stats_.upstream_last_tx = position.last_tx;
        stats_.upstream_last_commit_ms = position.last_commit_ms;
    }
    stats_.upstream_known = true;
    if (position.sent_at_ms != 0) {
        stats_.upstream_clock_offset_ms = position.sent_at_ms - wall_clock_ms();
    }
}

Result<ReplicaMember::Setup> ReplicaMember::load_setup() const {
    auto info = context_.host.database_info(database_);
    if (!info) {
        return info.status();
    }
    Setup setup;
    setup.kind = info->kind;
    setup.store_id = info->store_id;
    setup.epoch = info->epoch;
    if (setup.kind != CCDR_KIND_REPLICA) {
        return setup;
    }
    auto option = context_.host.get_database_option(database_, kReplicaConfigOption);
    if (!option) {
        return option.status();
    }
    auto config = parse_replica_config(*option);
    if (!config) {
        return config.status();
    }
    setup.config = std::move(config.value());
    return setup;
}

asio::awaitable<void> ReplicaMember::run() {
    auto& pool = context_.runtime->blocking_pool();
    Backoff backoff(context_.settings.backoff_initial, context_.settings.backoff_max, std::random_device{}());
    size_t preferred = 0;
    while (!stopping_) {
        auto self = shared_from_this();
        auto setup_job = [self] { return self->load_setup(); };
        auto setup = co_await run_blocking(pool, std::move(setup_job));
        if (stopping_) {
            break;
        }
        if (!setup) {
            set_state(CCDR_REPLICA_FAILED, "failed: " + setup.status().message());
            context_.log->error("replica '{}' cannot start: {}", database_, setup.status().message());
            break;
        }
        if (setup->kind != CCDR_KIND_REPLICA) {
            set_state(CCDR_REPLICA_STOPPED, "promoted: the database is no longer a replica");
            break;
        }
        if (!dialer_.usable()) {
            set_state(CCDR_REPLICA_FAILED, "failed: " + dialer_.disabled_reason());
            context_.log->error("replica '{}' cannot pull: {}", database_, dialer_.disabled_reason());
            break;
        }
        const auto& addresses = setup->config.addresses;
        std::string reasons;
        bool fatal = false;
        std::optional<Outcome> progressed;
        for (size_t i = 0; i < addresses.size() && !stopping_; ++i) {
            const size_t index = (preferred + i) % addresses.size();
            Attempt result = co_await attempt(addresses[index], *setup);
            if (stopping_) {
                break;
            }
            if (result.outcome == Outcome::kFatal) {
                set_state(CCDR_REPLICA_FAILED, "failed: " + result.reason);
                context_.log->error("replica '{}' stopped: {}", database_, result.reason);
                fatal = true;
                break;
            }
            if (result.outcome == Outcome::kRetry) {
                reasons += (reasons.empty() ? "" : "; ") + result.reason;
                continue;
            }
            preferred = index;
            progressed = result.outcome;
            reasons = result.reason;
            break;
        }
        if (fatal || stopping_) {
            break;
        }
        std::chrono::milliseconds delay{0};
        if (progressed) {
            backoff.reset();
            if (*progressed == Outcome::kProgress) {
                stats_.reconnects.fetch_add(1);
                delay = backoff.first();
            }
        } else {
            stats_.reconnects.fetch_add(1);
            delay = backoff.next();
        }
        if (delay.count() > 0) {
            set_state(CCDR_REPLICA_DISCONNECTED, "disconnected: " + reasons + "; retrying in " + ms_text(delay));
            context_.log->info("replica '{}' disconnected: {}; retrying in {}", database_, reasons, ms_text(delay));
            co_await stop_signal_->wait(delay);
        }
    }
    set_connection(nullptr, "");
    stats_.connected = false;
    puller_done_.set_value();
}

asio::awaitable<ReplicaMember::Attempt> ReplicaMember::attempt(std::string address, Setup setup) {
    {
        std::lock_guard lock(status_mu_);
        if (state_ == CCDR_REPLICA_CREATING) {
            message_ = "connecting to " + address;
        }
    }
    auto connected = co_await dialer_.connect(strand_, address);
    if (!connected) {
        co_return Attempt{Outcome::kRetry, connected.status().message()};
    }
    std::shared_ptr<Connection> connection = connected.value();
    set_connection(connection, address);
    if (stopping_) {
        connection->close("the replica member is stopping");
    }
    struct Disconnect {
        ReplicaMember* self;
        std::shared_ptr<Connection> connection;
        ~Disconnect() {
            connection->close("session over");
            self->set_connection(nullptr, "");
        }
    } disconnect{this, connection};
    const auto timeout = context_.settings.io_timeout;
    const std::string& remote = setup.config.remote;

    auto hello_reply = co_await dialer_.hello(*connection);
    if (!hello_reply) {
        co_return Attempt{Outcome::kRetry, hello_reply.status().message()};
    }
    if (hello_reply->refused) {
        co_return Attempt{Outcome::kRetry, address + " refused: " + hello_reply->refused->reason};
    }
    protocol::DatabaseInfoRequest info_request{remote};
    if (Status st = co_await session::send(*connection, info_request); !st) {
        co_return Attempt{Outcome::kRetry, st.message()};
    }
    auto info = co_await session::receive<protocol::DatabaseInfoReply>(*connection, timeout);
    if (!info) {
        co_return Attempt{Outcome::kRetry, info.status().message()};
    }
    if (info->refused) {
        co_return Attempt{Outcome::kRetry, address + " refused: " + info->refused->reason};
    }
    const protocol::DatabaseInfoReply& remote_info = *info->message;
    if (!remote_info.refusal.empty()) {
        co_return Attempt{Outcome::kRetry, address + " refused: " + remote_info.refusal};
    }
    if (!remote_info.exists) {
        co_return Attempt{Outcome::kRetry, "database '" + remote + "' does not exist on " + address};
    }
    if (!remote_info.online) {
        co_return Attempt{Outcome::kRetry, "database '" + remote + "' is not online on " + address};
    }
    if (remote_info.store_id != setup.store_id || remote_info.epoch != setup.epoch) {
        co_return Attempt{Outcome::kFatal, "lineage mismatch: this replica has store id " + setup.store_id +
                                               " and epoch " + std::to_string(setup.epoch) + ", '" + remote +
                                               "' on " + address + " has store id " + remote_info.store_id +
                                               " and epoch " + std::to_string(remote_info.epoch)};
    }

    // Start from what the host has durably applied, after the applier is idle.
    co_await drain();
    auto& pool = context_.runtime->blocking_pool();
    HostHandle host = context_.host;
    const std::string db = database_;
    auto log_job = [host, db] { return host.log_info(db); };
    auto log = co_await run_blocking(pool, std::move(log_job));
    if (!log) {
        co_return Attempt{Outcome::kRetry, "reading this member's log: " + log.status().message()};
    }
    stats_.last_applied_tx = log->last_committed_tx;
    stats_.last_applied_commit_ms = log->last_commit_time_ms;
    const uint64_t from = log->last_committed_tx + 1;

    protocol::Subscribe subscribe{remote, setup.store_id, setup.epoch, from, database_};
    if (Status st = co_await session::send(*connection, subscribe); !st) {
        co_return Attempt{Outcome::kRetry, st.message()};
    }
    auto frame = co_await connection->read_frame(timeout);
    if (!frame) {
        co_return Attempt{Outcome::kRetry, frame.status().message()};
    }
    switch (frame->header.type) {
        case MessageType::kSubscribed: {
            auto subscribed = protocol::decode_message_as<protocol::Subscribed>(frame->payload);
            if (!subscribed || subscribed->from_tx != from) {
                co_return Attempt{Outcome::kRetry, address + ": malformed SUBSCRIBED"};
            }
            co_return co_await follow(connection, address, subscribed.value(), setup);
        }
        case MessageType::kLogPruned: {
            auto pruned = protocol::decode_message_as<protocol::LogPruned>(frame->payload);
            if (pruned) {
                context_.log->info("replica '{}' needs tx {} but the log of '{}' on {} starts at tx {}: store copy",
                                   database_, from, remote, address, pruned->oldest_retained_tx);
                note_upstream({pruned->last_tx, 0, 0});
            }
            co_return co_await store_copy(connection, address, setup);
        }
        case MessageType::kRefused: {
            auto refused = protocol::decode_message_as<protocol::Refused>(frame->payload);
            if (!refused) {
                co_return Attempt{Outcome::kRetry, refused.status().message()};
            }
            const bool fatal = refused->code == RefusalCode::kLineageMismatch ||
                               refused->code == RefusalCode::kAheadOfUpstream;
            co_return Attempt{fatal ? Outcome::kFatal : Outcome::kRetry, address + " refused: " + refused->reason};
        }
        default:
            co_return Attempt{Outcome::kRetry, address + ": protocol error: " +
                                                   std::string(protocol::message_type_name(frame->header.type)) +
                                                   " in answer to SUBSCRIBE"};
    }
}

asio::awaitable<ReplicaMember::Attempt> ReplicaMember::follow(std::shared_ptr<Connection> connection,
                                                              std::string address, protocol::Subscribed subscribed,
                                                              Setup setup) {
    const uint64_t from = subscribed.from_tx;
    const uint64_t applied_at_start = stats_.last_applied_tx.load();
    note_upstream(subscribed.position);
    caught_up_ = false;
    ack_wanted_ = false;
    stats_.connected = true;
    set_state(CCDR_REPLICA_CATCHING_UP, "pulling from " + address);
    context_.log->info("replica '{}' pulls '{}' from {} starting at tx {}", database_, setup.config.remote, address,
                       from);

    auto self = shared_from_this();
    context_.runtime->spawn(strand_, [self, connection, from]() -> asio::awaitable<void> {
        co_await self->ack_loop(connection, from - 1);
    });

    protocol::ChainVerifier verifier(protocol::chain_seed(setup.store_id, setup.epoch, from), from);
    const auto timeout = context_.settings.io_timeout;
    Attempt result{Outcome::kProgress, "connection to " + address + " lost"};
    while (!stopping_) {
        auto frame = co_await connection->read_frame(timeout);
        if (!frame) {
            if (frame.status().code() == CCDR_CORRUPT) {
                stats_.checksum_failures.fetch_add(1);
                context_.log->warn("replica '{}': corrupt frame from {}: {}; resuming from the last applied tx",
                                   database_, address, frame.status().message());
            }
            result.reason = frame.status().message();
            break;
        }
        stats_.bytes_wire.fetch_add(frame->wire_bytes, std::memory_order_relaxed);
        stats_.bytes_uncompressed.fetch_add(protocol::kFrameHeaderSize + frame->payload.size(),
                                            std::memory_order_relaxed);
        const auto type = frame->header.type;
        if (type == MessageType::kBatch) {
            const size_t bytes = frame->payload.size();
            auto batch = protocol::decode_batch(std::move(frame->payload));
            if (!batch) {
                result.reason = address + " sent a malformed batch: " + batch.status().message();
                context_.log->warn("replica '{}': {}", database_, result.reason);
                break;
            }
            if (Status chain = verifier.verify(*batch); !chain) {
                co_return Attempt{Outcome::kFatal, chain.message() + " from " + address};
            }
            stats_.batches.fetch_add(1, std::memory_order_relaxed);
            note_upstream(batch->position);
            while (!queue_has_room(bytes) && connection->is_open() && !stopping_) {
                co_await space_signal_->wait(100ms);
            }
            if (!connection->is_open() || stopping_) {
                result.reason = connection->close_reason();
                break;
            }
            push(QueuedBatch{std::move(batch.value()), bytes});
        } else if (type == MessageType::kHeartbeat) {
            auto beat = protocol::decode_message_as<protocol::Heartbeat>(frame->payload);
            if (!beat) {
                result.reason = beat.status().message();
                break;
            }
            note_upstream(beat->position);
            ack_wanted_ = true;
            ack_signal_->notify();
        } else if (type == MessageType::kLogPruned) {
            result.reason = "the log of '" + setup.config.remote + "' on " + address + " was pruned past tx " +
                            std::to_string(verifier.next_tx());
            break;
        } else if (type == MessageType::kRefused) {
            auto refused = protocol::decode_message_as<protocol::Refused>(frame->payload);
            result.reason = address + " ended the subscription: " +
                            (refused ? refused->reason : refused.status().message());
            break;
        } else {
            result.reason = address + ": protocol error: unexpected " + std::string(protocol::message_type_name(type));
            break;
        }
        if (!caught_up_ && stats_.lag_tx() == 0) {
            caught_up_ = true;
            set_state(CCDR_REPLICA_STREAMING, "pulling from " + address);
        }
    }
    connection->close(result.reason);
    ack_signal_->notify();
    stats_.connected = false;
    co_await drain();
    if (stats_.last_applied_tx.load() == applied_at_start && result.outcome == Outcome::kProgress) {
        // Nothing applied in this session: count it as a failed attempt so
        // the back-off grows.
        result.outcome = Outcome::kRetry;
    }
    co_return result;
}

asio::awaitable<void> ReplicaMember::ack_loop(std::shared_ptr<Connection> connection, uint64_t acked) {
    const auto heartbeat = context_.settings.heartbeat_interval;
    while (connection->is_open() && !stopping_) {
        const uint64_t applied = stats_.last_applied_tx.load(std::memory_order_acquire);
        if (applied > acked || ack_wanted_) {
            ack_wanted_ = false;
            protocol::Ack ack{applied};
            if (!co_await session::send(*connection, ack)) {
                break;
            }
            acked = std::max(acked, applied);
            continue;
        }
        co_await ack_signal_->wait(heartbeat);
    }
}

asio::awaitable<void> ReplicaMember::drain() {
    {
        std::lock_guard lock(queue_mu_);
        queue_.clear();
        queued_bytes_ = 0;
        if (!applying_) {
            stats_.oldest_pending_commit_ms = 0;
        }
    }
    for (;;) {
        {
            std::lock_guard lock(queue_mu_);
            if (!applying_) {
                break;
            }
        }
        co_await space_signal_->wait(50ms);
    }
}

bool ReplicaMember::queue_has_room(size_t bytes) const {
    std::lock_guard lock(queue_mu_);
    // At least one batch may wait while another is applied, whatever its size.
    return queue_.empty() || queued_bytes_ + bytes <= context_.settings.window_bytes;
}

void ReplicaMember::push(QueuedBatch batch) {
    {
        std::lock_guard lock(queue_mu_);
        if (stats_.oldest_pending_commit_ms.load() == 0) {
            stats_.oldest_pending_commit_ms = batch.batch.txs.front().commit_time_ms;
        }
        queued_bytes_ += batch.bytes;
        queue_.push_back(std::move(batch));
    }
    queue_cv_.notify_one();
}

void ReplicaMember::applier_main() {
    HostHandle host = context_.host;
    for (;;) {
        QueuedBatch item;
        {
            std::unique_lock lock(queue_mu_);
            const auto waiting_since = std::chrono::steady_clock::now();
            queue_cv_.wait(lock, [&] { return applier_stop_ || !queue_.empty(); });
            if (stats_.connected.load()) {
                stats_.network_wait_ns.fetch_add(nanos_since(waiting_since), std::memory_order_relaxed);
            }
            if (applier_stop_) {
                break;
            }
            item = std::move(queue_.front());
            queue_.pop_front();
            queued_bytes_ -= item.bytes;
            applying_ = true;
            stats_.oldest_pending_commit_ms = item.batch.txs.front().commit_time_ms;
        }
        space_signal_->notify();
        const auto started = std::chrono::steady_clock::now();
        Status st = host.apply_batch(database_, item.batch.txs);
        stats_.apply_ns.fetch_add(nanos_since(started), std::memory_order_relaxed);
        if (st) {
            stats_.last_applied_commit_ms = item.batch.txs.back().commit_time_ms;
            stats_.last_applied_tx.store(item.batch.last_tx(), std::memory_order_release);
            stats_.transactions_applied.fetch_add(item.batch.txs.size(), std::memory_order_relaxed);
        }
        {
            std::lock_guard lock(queue_mu_);
            applying_ = false;
            if (!st) {
                queue_.clear();  // they follow the batch that failed
                queued_bytes_ = 0;
            }
            stats_.oldest_pending_commit_ms =
                queue_.empty() ? 0 : queue_.front().batch.txs.front().commit_time_ms;
        }
        if (!st) {
            stats_.apply_failures.fetch_add(1);
            const std::string reason = "applying tx " + std::to_string(item.batch.first_tx()) + ".." +
                                       std::to_string(item.batch.last_tx()) + " failed: " + st.message();
            context_.log->error("replica '{}': {}; resuming from the last applied tx", database_, reason);
            std::lock_guard lock(connection_mu_);
            if (connection_) {
                connection_->post_close(reason);
            }
        }
        ack_signal_->notify();
        space_signal_->notify();
    }
}

asio::awaitable<ReplicaMember::Attempt> ReplicaMember::store_copy(std::shared_ptr<Connection> connection,
                                                                  std::string address, Setup setup) {
    auto& pool = context_.runtime->blocking_pool();
    const auto timeout = context_.settings.io_timeout;
    auto self = shared_from_this();
    auto resume_job = [self] { return self->spool_.resume_point(); };
    auto resume = co_await run_blocking(pool, std::move(resume_job));
    set_state(CCDR_REPLICA_STORE_COPY, store_copy_message(address));
    protocol::SnapshotRequest request{setup.config.remote, setup.store_id, setup.epoch, resume.snapshot_id,
                                      resume.offset, database_};
    if (Status st = co_await session::send(*connection, request); !st) {
        co_return Attempt{Outcome::kRetry, st.message()};
    }
    auto begin = co_await session::receive<protocol::SnapshotBegin>(*connection, timeout);
    if (!begin) {
        co_return Attempt{Outcome::kRetry, begin.status().message()};
    }
    if (begin->refused) {
        const bool fatal = begin->refused->code == RefusalCode::kLineageMismatch;
        co_return Attempt{fatal ? Outcome::kFatal : Outcome::kRetry, address + " refused: " + begin->refused->reason};
    }
    const protocol::SnapshotBegin snapshot = *begin->message;
    auto begin_job = [self, snapshot] { return self->spool_.begin(snapshot); };
    Status began = co_await run_blocking(pool, std::move(begin_job));
    if (!began) {
        auto discard_job = [self] {
            self->spool_.discard();
            return 0;
        };
        co_await run_blocking(pool, std::move(discard_job));
        co_return Attempt{Outcome::kRetry, "store copy: " + began.message()};
    }
    if (snapshot.offset > 0) {
        context_.log->info("replica '{}' resumes the store copy from {} at byte {} of {}", database_, address,
                           snapshot.offset, snapshot.total_bytes);
    } else {
        context_.log->info("replica '{}' starts a store copy from {}: snapshot at tx {}, {} bytes", database_,
                           address, snapshot.tx_id, snapshot.total_bytes);
    }
    set_state(CCDR_REPLICA_STORE_COPY, store_copy_message(address));
    for (;;) {
        auto frame = co_await connection->read_frame(timeout);
        if (!frame) {
            if (frame.status().code() == CCDR_CORRUPT) {
                stats_.checksum_failures.fetch_add(1);
            }
            co_return Attempt{Outcome::kRetry, "store copy from " + address + " interrupted: " +
                                                   frame.status().message()};
        }
        stats_.bytes_wire.fetch_add(frame->wire_bytes, std::memory_order_relaxed);
        stats_.bytes_uncompressed.fetch_add(protocol::kFrameHeaderSize + frame->payload.size(),
                                            std::memory_order_relaxed);
        if (frame->header.type == MessageType::kSnapshotChunk) {
            auto chunk = protocol::decode_message_as<protocol::SnapshotChunk>(frame->payload);
            if (!chunk) {
                co_return Attempt{Outcome::kRetry, chunk.status().message()};
            }
            protocol::SnapshotChunk c = chunk.value();
            auto write_job = [self, c] { return self->spool_.write(c); };
            Status written = co_await run_blocking(pool, std::move(write_job));
            if (!written) {
                if (written.code() == CCDR_CORRUPT) {
                    stats_.checksum_failures.fetch_add(1);
                }
                co_return Attempt{Outcome::kRetry, "store copy from " + address + ": " + written.message()};
            }
            stats_.store_copy_bytes.fetch_add(frame->wire_bytes, std::memory_order_relaxed);
            set_state(CCDR_REPLICA_STORE_COPY, store_copy_message(address));
            protocol::SnapshotAck ack{snapshot.snapshot_id, spool_.verified_bytes()};
            if (Status st = co_await session::send(*connection, ack); !st) {
                co_return Attempt{Outcome::kRetry, st.message()};
            }
            continue;
        }
        if (frame->header.type == MessageType::kSnapshotEnd) {
            auto end = protocol::decode_message_as<protocol::SnapshotEnd>(frame->payload);
            if (!end) {
                co_return Attempt{Outcome::kRetry, end.status().message()};
            }
            protocol::SnapshotEnd e = end.value();
            auto finish_job = [self, e] { return self->spool_.finish(e); };
            Status finished = co_await run_blocking(pool, std::move(finish_job));
            if (!finished) {
                stats_.checksum_failures.fetch_add(1);
                co_return Attempt{Outcome::kRetry, "store copy from " + address + ": " + finished.message()};
            }
            protocol::SnapshotAck ack{snapshot.snapshot_id, snapshot.total_bytes};
            co_await session::send(*connection, ack);
            connection->close("store copy received");
            set_state(CCDR_REPLICA_STORE_COPY, "store copy: importing the snapshot at tx " +
                                                   std::to_string(snapshot.tx_id) + " from " + address);
            HostHandle host = context_.host;
            const std::string db = database_;
            auto import_job = [self, host, db] { return self->spool_.import(host, db); };
            Status imported = co_await run_blocking(pool, std::move(import_job));
            if (!imported) {
                context_.log->error("replica '{}': {}", database_, imported.message());
                co_return Attempt{Outcome::kRetry, imported.message()};
            }
            stats_.store_copies.fetch_add(1);
            stats_.last_applied_tx = snapshot.tx_id;
            stats_.last_applied_commit_ms = snapshot.commit_time_ms;
            context_.log->info("replica '{}' imported the snapshot of '{}' at tx {} from {}", database_,
                               setup.config.remote, snapshot.tx_id, address);
            set_state(CCDR_REPLICA_CATCHING_UP, "store copy done at tx " + std::to_string(snapshot.tx_id) +
                                                    "; subscribing to " + address);
            co_return Attempt{Outcome::kStoreCopied, "store copy complete"};
        }
        if (frame->header.type == MessageType::kRefused) {
            auto refused = protocol::decode_message_as<protocol::Refused>(frame->payload);
            co_return Attempt{Outcome::kRetry,
                              address + " ended the store copy: " + (refused ? refused->reason : "malformed REFUSED")};
        }
        co_return Attempt{Outcome::kRetry, address + ": protocol error during a store copy: " +
                                               std::string(protocol::message_type_name(frame->header.type))};
    }
}

std::string ReplicaMember::store_copy_message(const std::string& address) const {
    const uint64_t total = spool_.total_bytes();
    const uint64_t done = spool_.verified_bytes();
    const int percent = total == 0 ? 0 : static_cast<int>(done * 100 / total);
    return "store copy " + std::to_string(percent) + "% (" + human_bytes(done) + " of " + human_bytes(total) +
           ") from " + address;
}

ReplicaStatus ReplicaMember::status() const {
    ReplicaStatus out;
    {
        std::lock_guard lock(status_mu_);
        out.state = state_;
        out.message = message_;
    }
    {
        std::lock_guard lock(connection_mu_);
        out.upstream_address = upstream_address_;
    }
    out.connected = stats_.connected.load();
    out.last_applied_tx = stats_.last_applied_tx.load();
    out.upstream_last_tx = stats_.upstream_last_tx.load();
    out.lag_tx = stats_.lag_tx();
    out.lag_seconds = stats_.lag_seconds(wall_clock_ms());
    return out;
}

void ReplicaMember::describe(ccdr_database_status& out) const {
    ReplicaStatus s = status();
    out.state = s.state;
    out.has_lag = stats_.upstream_known.load() ? 1 : 0;
    out.lag_tx = s.lag_tx;
    out.lag_seconds = s.lag_seconds;
    copy_message(out.message, sizeof(out.message), s.message);
}

void ReplicaMember::collect_metrics(const MetricEmitter& emit) const {
    const std::string base = "database." + database_ + ".ccdr.replica.";
    auto gauge = [&](const char* name, double v) { emit(base + name, CCDR_METRIC_GAUGE, v); };
    auto counter = [&](const char* name, double v) { emit(base + name, CCDR_METRIC_COUNTER, v); };
    ReplicaStatus s = status();
    gauge("state", static_cast<double>(s.state));
    gauge("connected", s.connected ? 1.0 : 0.0);
    gauge("lag_tx", static_cast<double>(s.lag_tx));
    gauge("lag_seconds", s.lag_seconds);
    gauge("last_applied_tx", static_cast<double>(s.last_applied_tx));
    gauge("upstream_last_tx", static_cast<double>(s.upstream_last_tx));
    counter("bytes_received_wire", static_cast<double>(stats_.bytes_wire.load()));
    counter("bytes_received_uncompressed", static_cast<double>(stats_.bytes_uncompressed.load()));
    counter("batches_received", static_cast<double>(stats_.batches.load()));
    counter("transactions_applied", static_cast<double>(stats_.transactions_applied.load()));
    counter("checksum_failures", static_cast<double>(stats_.checksum_failures.load()));
    counter("apply_failures", static_cast<double>(stats_.apply_failures.load()));
    counter("reconnects", static_cast<double>(stats_.reconnects.load()));
    counter("store_copies", static_cast<double>(stats_.store_copies.load()));
    counter("store_copy_bytes", static_cast<double>(stats_.store_copy_bytes.load()));
    counter("network_wait_seconds", static_cast<double>(stats_.network_wait_ns.load()) / 1e9);
    counter("apply_seconds", static_cast<double>(stats_.apply_ns.load()) / 1e9);
}

}  // namespace ccdr::plugin

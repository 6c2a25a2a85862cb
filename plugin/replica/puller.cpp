#include "replica/puller.hpp"

#include "protocol/batch_packing.hpp"
#include "protocol/tx_part.hpp"
#include "replica/ack_spacing.hpp"
#include "session/exchange.hpp"

#include <algorithm>
#include <optional>

namespace ccdr::plugin {

using namespace std::chrono_literals;
using protocol::MessageType;
using protocol::RefusalCode;
using runtime::run_blocking;
using transport::Connection;

namespace {

int64_t ms_since(std::chrono::steady_clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t).count();
}

// The ACK sender of one session: reports the last applied tx when the
// applier moved it (spaced, replica/ack_spacing.hpp says why), and at once
// when a heartbeat asks, until the connection closes or the member stops. It
// holds the member's context, not the member: it may still be winding down
// when the member is gone.
// With fan-out, the puller on a session of protocol 8 (`report_hold`) adds
// to each ACK the lowest position its followers still need when that is
// below its own (hold_tx): the upstream then holds its log from there for
// it, so a follower that takes over finds its position in the log.
asio::awaitable<void> send_acks(std::shared_ptr<MemberContext> member, std::shared_ptr<Connection> connection,
                                uint64_t acked, bool report_hold) {
    const auto heartbeat = member->session.settings.heartbeat_interval;
    ReplicaStats& stats = member->stats;
    AckSpacing spacing(heartbeat, member->session.settings.window_bytes, stats.bytes_wire.load());
    while (connection->is_open() && !member->stopping) {
        // Applied, or received into the delay spool and synced.
        const uint64_t applied = stats.received_tx();
        const auto now = std::chrono::steady_clock::now();
        const uint64_t wire = stats.bytes_wire.load(std::memory_order_relaxed);
        const auto wait = spacing.wait_before_ack(now, applied, acked, wire, heartbeat);
        if (member->ack_wanted || !wait) {
            member->ack_wanted = false;
            protocol::Ack ack{applied, std::nullopt};
            if (report_hold && member->session.followers_needed) {
                if (auto needed = member->session.followers_needed(member->database); needed && *needed < applied) {
                    ack.hold_tx = *needed;
                }
            }
            if (!co_await session::send(*connection, ack)) {
                break;
            }
            acked = std::max(acked, applied);
            spacing.sent(now, wire);
            continue;
        }
        // The applier's notify wakes it sooner (a heartbeat's request, or
        // bytes that make an ACK due).
        co_await member->ack_signal->wait(*wait);
    }
}

}  // namespace

Puller::Puller(std::shared_ptr<MemberContext> member, const UpstreamDialer& dialer, Applier& applier,
               DelaySpool& delay_spool, DelayedApplier& delayed, StoreCopy& store_copy)
    : member_(std::move(member)),
      dialer_(dialer),
      applier_(applier),
      delay_spool_(delay_spool),
      delayed_(delayed),
      store_copy_(store_copy),
      follower_release_(member_, dialer) {}

asio::awaitable<void> Puller::drain() {
    applier_.drop_queued();
    while (!applier_.idle()) {
        co_await member_->space_signal->wait(50ms);
    }
}

asio::awaitable<bool> Puller::room_for(Connection& connection, size_t bytes) {
    while (!applier_.has_room(bytes) && connection.is_open() && !member_->stopping) {
        co_await member_->space_signal->wait(100ms);
    }
    co_return connection.is_open() && !member_->stopping;
}

asio::awaitable<Status> Puller::open_spool(const MemberSetup& setup) {
    MemberContext& member = *member_;
    HostHandle host = member.session.host;
    const std::string db = member.database;
    auto log_job = [host, db] { return host.log_info(db); };
    auto log = co_await run_blocking(member.session.runtime->blocking_pool(), std::move(log_job));
    if (!log) {
        co_return Status(log.status().code(), "reading this member's log: " + log.status().message());
    }
    // The delayed applier may be applying from the spool meanwhile: the
    // position only moves forward.
    if (log->last_committed_tx >= member.stats.last_applied_tx.load()) {
        member.stats.last_applied_tx = log->last_committed_tx;
        member.stats.last_applied_commit_ms = log->last_commit_time_ms;
    }
    const uint64_t applied = member.stats.last_applied_tx.load();
    DelaySpool* spool = &delay_spool_;
    auto open_job = [spool, applied] { return spool->open(applied); };
    if (Status opened = co_await run_blocking(member.session.runtime->blocking_pool(), std::move(open_job));
        !opened) {
        co_return Status(opened.code(), "reading the delay spool: " + opened.message());
    }
    delayed_.set_delay(setup.config.apply_delay);
    member.stats.last_received_tx = delay_spool_.last_tx();
    delayed_.notify();
    co_return Status{};
}

asio::awaitable<std::optional<PullResult>> Puller::check_remote(Connection& connection, const std::string& address,
                                                                const MemberSetup& setup) {
    const std::string& remote = setup.config.remote;
    auto hello_reply = co_await dialer_.hello(connection);
    if (!hello_reply) {
        co_return PullResult{PullOutcome::kRetry, hello_reply.status().message()};
    }
    if (hello_reply->refused) {
        // Another major plugin version is no passing fault: retrying would
        // only repeat it.
        const bool fatal = hello_reply->refused->code == RefusalCode::kPluginVersion;
        co_return PullResult{fatal ? PullOutcome::kFatal : PullOutcome::kRetry,
                             address + " refused: " + hello_reply->refused->reason};
    }
    version_note_ = dialer_.version_note(*hello_reply->message);
    session_version_ = hello_reply->message->version;
    protocol::DatabaseInfoRequest info_request{remote};
    if (Status st = co_await session::send(connection, info_request); !st) {
        co_return PullResult{PullOutcome::kRetry, st.message()};
    }
    auto info = co_await session::receive<protocol::DatabaseInfoReply>(connection,
                                                                        member_->session.settings.io_timeout);
    if (!info) {
        co_return PullResult{PullOutcome::kRetry, info.status().message()};
    }
    if (info->refused) {
        co_return PullResult{PullOutcome::kRetry, address + " refused: " + info->refused->reason};
    }
    const protocol::DatabaseInfoReply& remote_info = *info->message;
    if (!remote_info.refusal.empty()) {
        co_return PullResult{PullOutcome::kRetry, address + " refused: " + remote_info.refusal};
    }
    if (!remote_info.exists) {
        co_return PullResult{PullOutcome::kRetry, "database '" + remote + "' does not exist on " + address};
    }
    if (!remote_info.online) {
        co_return PullResult{PullOutcome::kRetry, "database '" + remote + "' is not online on " + address};
    }
    if (remote_info.store_id != setup.store_id || remote_info.epoch != setup.epoch) {
        co_return PullResult{PullOutcome::kFatal, "lineage mismatch: this replica has store id " + setup.store_id +
                                                      " and epoch " + std::to_string(setup.epoch) + ", '" + remote +
                                                      "' on " + address + " has store id " + remote_info.store_id +
                                                      " and epoch " + std::to_string(remote_info.epoch)};
    }
    co_return std::nullopt;
}

asio::awaitable<PullResult> Puller::attempt(PullSource source, MemberSetup setup, std::vector<PullSource> better) {
    MemberContext& member = *member_;
    const std::string address = source.address;
    upstream_remote_ = setup.config.remote;
    upstream_addresses_ = setup.config.addresses;
    if (!source.peer) {
        // A release of this member's upstream hold still on its way would
        // end the hold this subscription makes.
        co_await follower_release_.settle();
    }
    if (source.peer) {
        // The puller serves this replica database under its own name, with
        // the same lineage, log, tx ids and hash chain as the upstream.
        setup.config.remote = member.database;
    }
    member.state.note_while_creating("connecting to " + address);
    const auto dialled = std::chrono::steady_clock::now();
    auto connected = co_await dialer_.connect(member.strand, address,
                                              source.peer ? dialer_.member_connect_timeout() : 0ms);
    if (!connected) {
        co_return PullResult{PullOutcome::kRetry, connected.status().message()};
    }
    member.session.log->debug("replica '{}': connected to {} in {} ms (TCP and TLS)", member.database,
                              source.describe(), ms_since(dialled));
    std::shared_ptr<Connection> connection = connected.value();
    member.connection.set(connection, address);
    if (member.stopping) {
        connection->close("the replica member is stopping");
    }
    struct Disconnect {
        MemberContext& member;
        std::shared_ptr<Connection> connection;
        ~Disconnect() {
            connection->close("session over");
            member.connection.clear();
        }
    } disconnect{member, connection};

    if (auto ended = co_await check_remote(*connection, address, setup)) {
        if (source.peer && ended->outcome == PullOutcome::kFatal) {
            ended->outcome = PullOutcome::kRetry;  // a member is no authority on lineage: the upstream is
        }
        co_return std::move(*ended);
    }

    // Start from what the host has durably applied, after the applier is idle.
    co_await drain();
    if (Status opened = co_await open_spool(setup); !opened) {
        co_return PullResult{PullOutcome::kRetry, opened.message()};
    }
    DelaySpool* spool = &delay_spool_;
    spooling_ = setup.config.apply_delay.count() > 0 || !delay_spool_.empty();
    const uint64_t from = std::max(member.stats.last_applied_tx.load(), delay_spool_.last_tx()) + 1;

    const std::string& remote = setup.config.remote;
    protocol::Subscribe subscribe{remote, setup.store_id, setup.epoch, from, member.database};
    if (Status st = co_await session::send(*connection, subscribe); !st) {
        co_return PullResult{PullOutcome::kRetry, st.message()};
    }
    auto frame = co_await connection->read_frame(member.session.settings.io_timeout);
    if (!frame) {
        co_return PullResult{PullOutcome::kRetry, frame.status().message()};
    }
    switch (frame->header.type) {
        case MessageType::kSubscribed: {
            auto subscribed = protocol::decode_message_as<protocol::Subscribed>(frame->payload);
            if (!subscribed || subscribed->from_tx != from) {
                co_return PullResult{PullOutcome::kRetry, address + ": malformed SUBSCRIBED"};
            }
            co_return co_await follow(connection, source, subscribed.value(), setup, std::move(better));
        }
        case MessageType::kLogPruned: {
            auto pruned = protocol::decode_message_as<protocol::LogPruned>(frame->payload);
            if (pruned) {
                // Said before the copy starts: the upstream pruned past this
                // member's position (its retention, and the log it held for
                // this member, if any, reached its cap).
                const std::string why = "needs a store copy: it is at tx " + std::to_string(from - 1) +
                                        " and the log of '" + remote + "' on " + address + " starts at tx " +
                                        std::to_string(pruned->oldest_retained_tx) +
                                        " (pruned past this member's position; a log hold for it, if any, reached "
                                        "its cap)";
                member.session.log->info(
                    "replica '{}' needs tx {} but the log of '{}' on {} starts at tx {}: store copy", member.database,
                    from, remote, address, pruned->oldest_retained_tx);
                member.session.log->warn("replica '{}' {}", member.database, why);
                member.state.set(CCDR_REPLICA_STORE_COPY, why);
                member.stats.note_upstream({pruned->last_tx, 0, 0});
            }
            // The copy replaces the store: what the spool holds no longer follows it.
            auto discard_job = [spool] {
                spool->discard();
                return Status{};
            };
            co_await run_blocking(member.session.runtime->blocking_pool(), std::move(discard_job));
            member.stats.last_received_tx = 0;
            co_return co_await store_copy_.run(connection, address, setup);
        }
        case MessageType::kRefused: {
            auto refused = protocol::decode_message_as<protocol::Refused>(frame->payload);
            if (!refused) {
                co_return PullResult{PullOutcome::kRetry, refused.status().message()};
            }
            // A puller behind this member says kAheadOfUpstream: another
            // source, not a failure.
            const bool fatal = !source.peer && (refused->code == RefusalCode::kLineageMismatch ||
                                                refused->code == RefusalCode::kAheadOfUpstream);
            co_return PullResult{fatal ? PullOutcome::kFatal : PullOutcome::kRetry,
                                 address + " refused: " + refused->reason};
        }
        default:
            co_return PullResult{PullOutcome::kRetry, address + ": protocol error: " +
                                                          std::string(protocol::message_type_name(frame->header.type)) +
                                                          " in answer to SUBSCRIBE"};
    }
}

asio::awaitable<std::optional<std::string>> Puller::address_dropped(const PullSource& source,
                                                                    std::vector<PullSource>& better) {
    const std::string& address = source.address;
    HostHandle host = member_->session.host;
    const std::string db = member_->database;
    auto setup_job = [host, db] { return load_member_setup(host, db); };
    auto setup = co_await run_blocking(member_->session.runtime->blocking_pool(), std::move(setup_job));
    if (!setup || setup->kind != CCDR_KIND_REPLICA) {
        co_return std::nullopt;  // the member's own loop reports these when it next starts a session
    }
    const auto& now = setup->config.addresses;
    delayed_.set_delay(setup->config.apply_delay);
    if (fan_out_applies(*setup)) {
        const std::vector<PullSource> order = order_pull_sources(*setup);
        auto here = std::find_if(order.begin(), order.end(), [&](const PullSource& s) {
            return s.address == source.address && s.peer == source.peer;
        });
        better.assign(order.begin(), here);
    } else {
        better.clear();
    }
    if (!spooling_ && setup->config.apply_delay.count() > 0) {
        co_return "applyDelay is now " + std::to_string(setup->config.apply_delay.count()) +
            " ms; resubscribing to keep what arrives in the delay spool";
    }
    if (spooling_ && setup->config.apply_delay.count() == 0 && delay_spool_.empty()) {
        co_return std::string("applyDelay is off and the delay spool is applied; resubscribing to apply directly");
    }
    if (source.peer) {
        // A member stays a source while fan-out is on and it is a member.
        if (!fan_out_applies(*setup)) {
            co_return std::string("fan-out is off or this member is alone; leaving ") + source.describe();
        }
        for (const auto& m : setup->members) {
            if (m.server_id == source.server_id && m.cluster_address == address) {
                co_return std::nullopt;
            }
        }
        co_return "server " + source.server_id + " no longer hosts a member at " + address + "; leaving it";
    }
    if (fan_out_applies(*setup) != (member_->fanout_role.load() == static_cast<int>(FanoutRole::kPuller))) {
        co_return std::string("fan-out was turned ") + (setup->config.fan_out ? "on" : "off") +
            " or the members changed; choosing the source again";
    }
    if (std::find(now.begin(), now.end(), address) != now.end()) {
        co_return std::nullopt;
    }
    std::string list;
    for (const auto& a : now) {
        list += (list.empty() ? "" : ", ") + a;
    }
    co_return "the upstream addresses changed to [" + list + "]; leaving " + address;
}

std::chrono::milliseconds Puller::probe_wait() const {
    return std::min<std::chrono::milliseconds>(member_->session.settings.heartbeat_interval, 250ms);
}

asio::awaitable<Puller::Probe> Puller::probe(Connection& connection, const PullSource& candidate,
                                             const MemberSetup& setup, uint64_t position) {
    MemberContext& member = *member_;
    // This member reads nothing from its source while it probes, so
    // `position` stands still; a candidate that keeps up with the upstream
    // passes it within a few of its applies.
    const auto wait = probe_wait();
    const auto started = std::chrono::steady_clock::now();
    std::optional<uint64_t> first_seen;
    for (;;) {
        protocol::DatabaseInfoRequest request{candidate.peer ? member.database : setup.config.remote};
        if (!co_await session::send(connection, request)) {
            co_return Probe::kUnusable;
        }
        auto info =
            co_await session::receive<protocol::DatabaseInfoReply>(connection, member.session.settings.io_timeout);
        const bool usable = info && !info->refused && info->message->exists && info->message->online &&
                            info->message->refusal.empty() && info->message->store_id == setup.store_id &&
                            info->message->epoch == setup.epoch;
        if (!usable) {
            co_return Probe::kUnusable;
        }
        const uint64_t at = info->message->last_tx;
        if (at >= position) {
            co_return Probe::kServes;
        }
        const auto waited =
            std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
        if (waited >= wait || member.stopping) {
            co_return Probe::kBehind;  // asked again at the next check
        }
        if (!first_seen) {
            first_seen = at;
        } else if (waited >= 50ms) {
            // Far behind (catching up after an outage, or slower than the
            // upstream): at its pace so far it would not pass this member
            // in the time left, so this member does not stand still for it.
            const uint64_t gained = at > *first_seen ? at - *first_seen : 0;
            if (gained * static_cast<uint64_t>((wait - waited).count()) <
                (position - at) * static_cast<uint64_t>(waited.count())) {
                co_return Probe::kBehind;
            }
        }
        co_await member.stop_signal->wait(10ms);
    }
}

asio::awaitable<std::optional<PullSource>> Puller::better_source(const std::vector<PullSource>& better,
                                                                   const MemberSetup& setup, uint64_t position,
                                                                   bool& behind) {
    MemberContext& member = *member_;
    behind = false;
    for (const PullSource& candidate : better) {
        if (member.stopping) {
            break;
        }
        const auto started = std::chrono::steady_clock::now();
        auto connected = co_await dialer_.connect(member.strand, candidate.address,
                                                  candidate.peer ? dialer_.member_connect_timeout() : 0ms);
        if (!connected) {
            member.session.log->debug("replica '{}': probe of {}: {} ({} ms)", member.database,
                                      candidate.describe(), connected.status().message(), ms_since(started));
            continue;
        }
        std::shared_ptr<Connection> connection = connected.value();
        auto hello = co_await dialer_.hello(*connection);
        Probe found = Probe::kUnusable;
        if (hello && !hello->refused) {
            found = co_await probe(*connection, candidate, setup, position);
        }
        connection->close("probe over");
        member.session.log->debug("replica '{}': probe of {} at tx {}: {} ({} ms)", member.database,
                                  candidate.describe(), position,
                                  found == Probe::kServes   ? "serves"
                                  : found == Probe::kBehind ? "behind"
                                                            : "unusable",
                                  ms_since(started));
        behind = behind || found == Probe::kBehind;
        if (found == Probe::kServes) {
            co_return candidate;
        }
    }
    co_return std::nullopt;
}

asio::awaitable<PullResult> Puller::follow(std::shared_ptr<Connection> connection, PullSource source,
                                           protocol::Subscribed subscribed, MemberSetup setup,
                                           std::vector<PullSource> better) {
    MemberContext& member = *member_;
    ReplicaStats& stats = member.stats;
    const std::string address = source.address;
    const uint64_t from = subscribed.from_tx;
    const uint64_t applied_at_start = stats.received_tx();
    // The last tx this session received (queued for the applier or
    // spooled). After the session the applier may have applied up to it, so
    // an earlier member is moved to only once it has it: its log only grows,
    // so it then accepts this member's SUBSCRIBE.
    uint64_t received = applied_at_start;
    stats.note_upstream(subscribed.position);
    caught_up_ = false;
    member.ack_wanted = false;
    const FanoutRole role =
        source.peer ? FanoutRole::kFollower : (fan_out_applies(setup) ? FanoutRole::kPuller : FanoutRole::kDirect);
    // What SHOW DATABASE says of this session, without the state's word.
    const std::string pulling = role == FanoutRole::kFollower ? "following " + source.describe()
                                : role == FanoutRole::kPuller ? "pulling from " + address + " (puller)"
                                                              : "pulling from " + address;
    member.fanout_role = static_cast<int>(role);
    stats.connected = true;
    member.state.set(CCDR_REPLICA_CATCHING_UP, pulling + version_note_);
    member.session.log->info("replica '{}' pulls '{}' from {} starting at tx {}", member.database,
                             setup.config.remote, source.peer ? source.describe() : address, from);
    struct RoleReset {
        MemberContext& member;
        ~RoleReset() { member.fanout_role = static_cast<int>(FanoutRole::kNone); }
    } role_reset{member};

    if (role != FanoutRole::kFollower) {
        follower_release_.pulling();
    }
    const bool report_hold = role == FanoutRole::kPuller && session_version_ >= protocol::kHoldCoverProtocol;
    const bool release_hold = role == FanoutRole::kFollower && session_version_ >= protocol::kHoldCoverProtocol;
    auto shared = member_;
    member.session.runtime->spawn(member.strand, [shared, connection, from, report_hold] {
        return send_acks(shared, connection, from - 1, report_hold);
    });

    protocol::ChainVerifier verifier(protocol::chain_seed(setup.store_id, setup.epoch, from), from);
    protocol::TxPartVerifier parts;       // a transaction arriving in TX_PART frames
    protocol::TxPartAssembler assembler;  // ... put back together for the delay spool
    protocol::BatchUnpacker unpacker;     // BATCH payloads of short frames (protocol 6 and 7)
    auto next_part_ack = std::chrono::steady_clock::now();
    const auto timeout = member.session.settings.io_timeout;
    // How often a session re-reads the upstream addresses and the members (a
    // frame, at the latest a heartbeat, comes at least every heartbeat
    // interval): every interval, so that a member that took over hands back
    // to a restarted first member within an interval or two of its return
    // (at least 100 ms apart: each check asks the host).
    const auto link_check_every =
        std::max<std::chrono::milliseconds>(member.session.settings.heartbeat_interval, 100ms);
    auto next_link_check = std::chrono::steady_clock::now() + link_check_every;
    auto probe_every = link_check_every;
    // Probes in a row that found no source before this one serving: the
    // first few come every interval (a puller restarts within a second or
    // so, and is taken back as soon as it is found), then the interval
    // doubles.
    constexpr int kProbesAtFullRate = 4;
    int failed_probes = 0;
    auto next_probe = next_link_check;
    // After a candidate was found behind, the next probe waits long enough
    // that this member stands still (probe_wait) at most a quarter of the
    // time.
    const auto behind_probe_every = std::max<std::chrono::milliseconds>(link_check_every, 4 * probe_wait());
    PullResult result{PullOutcome::kProgress, "connection to " + address + " lost"};
    const uint64_t batches_at_start = stats.batches.load();
    while (!member.stopping) {
        auto frame = co_await connection->read_frame(timeout);
        if (!frame) {
            if (frame.status().code() == CCDR_CORRUPT) {
                stats.checksum_failures.fetch_add(1);
                member.session.log->warn(
                    "replica '{}': corrupt frame from {}: {}; resuming from the last applied tx", member.database,
                    address, frame.status().message());
            }
            result.reason = frame.status().message();
            result.source_lost = true;
            break;
        }
        stats.bytes_wire.fetch_add(frame->wire_bytes, std::memory_order_relaxed);
        stats.bytes_uncompressed.fetch_add(frame->header.header_size + frame->payload.size(),
                                           std::memory_order_relaxed);
        const auto type = frame->header.type;
        if (type == MessageType::kBatch || type == MessageType::kTxPart) {
            // What the applier's queue holds of it (a packed batch counts as
            // it is once unpacked).
            size_t bytes = frame->payload.size();
            // A whole batch to queue or spool: a BATCH, or, on a delayed
            // replica, the parts of one transaction put back together.
            std::optional<protocol::DecodedBatch> batch;
            if (type == MessageType::kBatch) {
                std::vector<uint8_t> payload = std::move(frame->payload);
                if (frame->header.short_form()) {
                    std::vector<uint8_t> unpacked;
                    if (Status s = unpacker.unpack(payload, unpacked); !s) {
                        result.reason = address + " sent a malformed batch: " + s.message();
                        member.session.log->warn("replica '{}': {}", member.database, result.reason);
                        break;
                    }
                    payload = std::move(unpacked);
                    bytes = payload.size();
                }
                auto decoded = protocol::decode_batch(std::move(payload));
                if (!decoded) {
                    result.reason = address + " sent a malformed batch: " + decoded.status().message();
                    member.session.log->warn("replica '{}': {}", member.database, result.reason);
                    break;
                }
                if (parts.open()) {
                    co_return PullResult{PullOutcome::kFatal, "protocol error: a BATCH before the last part of tx " +
                                                                  std::to_string(parts.open_tx()) + " from " + address};
                }
                if (Status chain = verifier.verify(*decoded); !chain) {
                    co_return PullResult{PullOutcome::kFatal, chain.message() + " from " + address};
                }
                batch = std::move(decoded.value());
            } else {
                auto part = protocol::decode_tx_part(std::move(frame->payload));
                if (!part) {
                    result.reason = address + " sent a malformed transaction part: " + part.status().message();
                    member.session.log->warn("replica '{}': {}", member.database, result.reason);
                    break;
                }
                if (Status chain = parts.accept(*part, verifier); !chain) {
                    co_return PullResult{PullOutcome::kFatal, chain.message() + " from " + address};
                }
                stats.note_upstream(part->header.position);
                // No ACK moves while a transaction arrives in parts: one
                // every heartbeat interval keeps the upstream's read
                // deadline from passing (protocol.md §3).
                if (std::chrono::steady_clock::now() >= next_part_ack) {
                    next_part_ack = std::chrono::steady_clock::now() + member.session.settings.heartbeat_interval;
                    member.ack_wanted = true;
                    member.ack_signal->notify();
                }
                if (spooling_) {
                    assembler.add(*part);
                    if (part->last()) {
                        auto whole = assembler.finish();
                        if (!whole) {
                            result.reason = "putting tx " + std::to_string(part->header.tx_id) +
                                            " together from its parts: " + whole.status().message();
                            break;
                        }
                        batch = std::move(whole.value());
                    }
                } else {
                    if (!co_await room_for(*connection, bytes)) {
                        result.reason = connection->close_reason();
                        result.source_lost = !member.stopping;
                        break;
                    }
                    const bool last = part->last();
                    const uint64_t tx = part->header.tx_id;
                    if (part->first()) {
                        runtime::trace_step(member.session.trace, "received", member.database, tx, tx);
                    }
                    applier_.push_part(std::move(part.value()), bytes);
                    if (last) {
                        stats.batches.fetch_add(1, std::memory_order_relaxed);
                        received = std::max(received, tx);
                    }
                }
            }
            if (batch) {
                stats.batches.fetch_add(1, std::memory_order_relaxed);
                if (stats.batches.load(std::memory_order_relaxed) == batches_at_start + 1) {
                    member.session.log->debug("replica '{}': first batch from {}: tx {}..{}", member.database,
                                              address, batch->first_tx(), batch->last_tx());
                }
                stats.note_upstream(batch->position);
                runtime::trace_step(member.session.trace, "received", member.database, batch->first_tx(),
                                    batch->last_tx());
                if (spooling_) {
                    // Synced before the ACK says it is received.
                    const uint64_t last = batch->last_tx();
                    received = std::max(received, last);
                    auto shared_batch = std::make_shared<protocol::DecodedBatch>(std::move(*batch));
                    DelaySpool* spool = &delay_spool_;
                    auto append_job = [spool, shared_batch] { return spool->append(*shared_batch); };
                    Status spooled =
                        co_await run_blocking(member.session.runtime->blocking_pool(), std::move(append_job));
                    if (!spooled) {
                        result.reason = "writing the delay spool: " + spooled.message();
                        member.session.log->error("replica '{}': {}", member.database, result.reason);
                        break;
                    }
                    stats.last_received_tx.store(last, std::memory_order_release);
                    delayed_.notify();
                    member.ack_signal->notify();
                } else {
                    if (!co_await room_for(*connection, bytes)) {
                        result.reason = connection->close_reason();
                        result.source_lost = !member.stopping;
                        break;
                    }
                    received = std::max(received, batch->last_tx());
                    applier_.push(std::move(*batch), bytes);
                }
            }
        } else if (type == MessageType::kHeartbeat) {
            auto beat = protocol::decode_message_as<protocol::Heartbeat>(frame->payload);
            if (!beat) {
                result.reason = beat.status().message();
                break;
            }
            stats.note_upstream(beat->position);
            member.ack_wanted = true;
            member.ack_signal->notify();
        } else if (type == MessageType::kHoldStatus) {
            auto hold = protocol::decode_message_as<protocol::HoldStatus>(frame->payload);
            if (!hold) {
                result.reason = hold.status().message();
                break;
            }
            stats.catch_up_window_ms = hold->catch_up_window_ms;
            stats.catch_up_heard_ms = runtime::wall_clock_ms();
        } else if (type == MessageType::kLogPruned) {
            result.reason = "the log of '" + setup.config.remote + "' on " + address + " was pruned past tx " +
                            std::to_string(verifier.next_tx());
            break;
        } else if (type == MessageType::kRefused) {
            auto refused = protocol::decode_message_as<protocol::Refused>(frame->payload);
            result.reason =
                address + " ended the subscription: " + (refused ? refused->reason : refused.status().message());
            break;
        } else {
            result.reason = address + ": protocol error: unexpected " + std::string(protocol::message_type_name(type));
            break;
        }
        if (stats.at_upstream_position()) {
            member.state.note_caught_up();
        }
        if (!caught_up_ && stats.received_lag_tx() == 0) {
            caught_up_ = true;
            member.state.set(CCDR_REPLICA_STREAMING, pulling + version_note_);
        }
        if (std::chrono::steady_clock::now() >= next_link_check) {
            next_link_check = std::chrono::steady_clock::now() + link_check_every;
            // From the first check on (the puller has ACKed with this
            // member's position meanwhile): this member's own upstream hold.
            if (release_hold) {
                follower_release_.while_following(upstream_remote_, upstream_addresses_);
            }
            const std::vector<PullSource> before_check = better;
            if (auto dropped = co_await address_dropped(source, better)) {
                result.reason = *dropped;
                member.session.log->info("replica '{}': {}", member.database, result.reason);
                break;
            }
            // A source that was not before this one at the last check (a
            // member back online, or added) is probed now, not after the
            // back-off that the old ones earned.
            const bool newcomer = std::any_of(better.begin(), better.end(), [&](const PullSource& s) {
                return std::none_of(before_check.begin(), before_check.end(), [&](const PullSource& o) {
                    return o.address == s.address && o.server_id == s.server_id;
                });
            });
            if (newcomer) {
                probe_every = link_check_every;
                failed_probes = 0;
                next_probe = std::chrono::steady_clock::now();
            }
            // The sources before this one are probed at the link check,
            // less often while they keep failing (a peer whose TLS this
            // server does not trust fails every time): after the first
            // few, the interval doubles up to 32 intervals.
            if (!better.empty() && std::chrono::steady_clock::now() >= next_probe) {
                bool behind = false;
                auto back = co_await better_source(better, setup, std::max(received, stats.received_tx()), behind);
                // One that would serve but did not pass this member while
                // it stood still is asked again soon.
                failed_probes = behind ? 0 : failed_probes + 1;
                probe_every = behind                             ? behind_probe_every
                              : failed_probes < kProbesAtFullRate ? link_check_every
                                                                  : std::min(probe_every * 2, link_check_every * 32);
                next_probe = std::chrono::steady_clock::now() + probe_every;
                if (back) {
                    result.reason = "moving from " + source.describe() + " to " + back->describe() +
                                    ", which is before it in the fan-out order";
                    member.session.log->info("replica '{}': {}", member.database, result.reason);
                    break;
                }
            }
        }
    }
    connection->close(result.reason);
    member.ack_signal->notify();
    stats.connected = false;
    member.session.log->debug("replica '{}': session with {} ended at received tx {}: {}", member.database,
                              source.describe(), received, result.reason);
    co_await drain();
    if (stats.received_tx() == applied_at_start && result.outcome == PullOutcome::kProgress) {
        // Nothing applied in this session: count it as a failed attempt so
        // the back-off grows.
        result.outcome = PullOutcome::kRetry;
    }
    co_return result;
}

}  // namespace ccdr::plugin

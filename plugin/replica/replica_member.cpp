#include "replica/replica_member.hpp"

#include "replica/backoff.hpp"
#include "replica/member_setup.hpp"
#include "replica/pull_sources.hpp"

#include <optional>
#include <random>

namespace ccdr::plugin {

using runtime::run_blocking;

namespace {

std::string ms_text(std::chrono::milliseconds d) { return std::to_string(d.count()) + "ms"; }

// The indexes of `sources` in the order they are tried: the fan-out order,
// with the member at `lost_peer` (if any) moved to the end.
std::vector<size_t> try_order(const std::vector<PullSource>& sources, const std::string& lost_peer) {
    std::vector<size_t> out;
    std::optional<size_t> last;
    for (size_t i = 0; i < sources.size(); ++i) {
        if (sources[i].peer && sources[i].address == lost_peer) {
            last = i;
        } else {
            out.push_back(i);
        }
    }
    if (last) {
        out.push_back(*last);
    }
    return out;
}

// The states in which a member that never reached its upstream's position
// still works towards it; a store copy, a failure and a stop say their own.
bool first_catch_up_pending(ccdr_replica_state state) {
    return state == CCDR_REPLICA_CREATING || state == CCDR_REPLICA_CATCHING_UP ||
           state == CCDR_REPLICA_STREAMING || state == CCDR_REPLICA_DISCONNECTED;
}

}  // namespace

ReplicaMember::ReplicaMember(const UpstreamDialer& dialer, std::string database)
    : dialer_(dialer),
      member_(std::make_shared<MemberContext>(dialer.context(), std::move(database))),
      applier_(member_->session.host, member_->database, member_->stats, member_->session.settings.window_bytes,
               member_->session.log, applier_events(*member_), member_->session.trace,
               member_->session.settings.batch_max_bytes),
      delay_spool_(member_->session.delay_spool_root(), member_->database),
      delayed_(member_->session.host, member_->database, delay_spool_, member_->stats, member_->session.log,
               applier_events(*member_)),
      store_copy_(*member_),
      puller_(member_, dialer, applier_, delay_spool_, delayed_, store_copy_),
      verifier_(dialer, member_->database, member_->session.settings.verify_interval),
      puller_done_future_(puller_done_.get_future()) {}

ReplicaMember::~ReplicaMember() { stop(); }

void ReplicaMember::start() {
    if (started_) {
        return;
    }
    started_ = true;
    member_->state.set(CCDR_REPLICA_CREATING, "starting");
    applier_.start();
    delayed_.start();
    auto self = shared_from_this();
    const bool spawned = member_->session.runtime->spawn(
        member_->strand, [self]() -> asio::awaitable<void> { co_await self->run(); },
        [self](std::exception_ptr e) {
            try {
                std::rethrow_exception(e);
            } catch (const std::exception& ex) {
                self->member_->state.set(CCDR_REPLICA_FAILED, std::string("failed: internal error: ") + ex.what());
            } catch (...) {
                self->member_->state.set(CCDR_REPLICA_FAILED, "failed: internal error");
            }
            self->puller_done_.set_value();
        });
    if (!spawned) {
        puller_done_.set_value();
    }
    verifier_.start();
}

void ReplicaMember::stop() {
    if (!started_ || stopped_) {
        return;
    }
    stopped_ = true;
    member_->stopping = true;
    verifier_.stop();
    auto member = member_;
    asio::post(member->strand, [member] {
        member->stop_signal->close();
        member->space_signal->close();
        member->ack_signal->notify();
        member->connection.close("the replica member is stopping");
    });
    puller_done_future_.wait();
    applier_.stop();
    delayed_.stop();
    member_->stats.connected = false;
    member_->state.stopped();
}

asio::awaitable<void> ReplicaMember::run() {
    MemberContext& member = *member_;
    const auto& settings = member.session.settings;
    auto& log = member.session.log;
    Backoff backoff(settings.backoff_initial, settings.backoff_max, std::random_device{}());
    size_t preferred = 0;
    // The member this member followed until its connection broke: tried
    // after the other sources in the next pass. A puller that crashed may
    // take no connection at all (no RST from a dead machine: the dial waits
    // its timeout) while its host still sees it ONLINE; the next member or
    // the upstream takes over at once instead, and one that is still fine
    // is moved back to at the first probe (Puller::follow).
    std::string lost_peer;
    while (!member.stopping) {
        HostHandle host = member.session.host;
        const std::string db = member.database;
        auto setup_job = [host, db] { return load_member_setup(host, db); };
        auto setup = co_await run_blocking(member.session.runtime->blocking_pool(), std::move(setup_job));
        if (member.stopping) {
            break;
        }
        if (!setup) {
            member.state.set(CCDR_REPLICA_FAILED, "failed: " + setup.status().message());
            log->error("replica '{}' cannot start: {}", member.database, setup.status().message());
            break;
        }
        if (setup->kind != CCDR_KIND_REPLICA) {
            member.state.set(CCDR_REPLICA_STOPPED, "promoted: the database is no longer a replica");
            break;
        }
        if (Status opened = co_await puller_.open_spool(*setup); !opened) {
            log->warn("replica '{}': {}", member.database, opened.message());
        }
        if (!dialer_.usable()) {
            member.state.set(CCDR_REPLICA_FAILED, "failed: " + dialer_.disabled_reason());
            log->error("replica '{}' cannot pull: {}", member.database, dialer_.disabled_reason());
            break;
        }
        // With fan-out the order is the rule (pull_sources.hpp): always from
        // the first; without it, from the address that worked last.
        const std::vector<PullSource> sources = order_pull_sources(*setup);
        const bool fan_out = fan_out_applies(*setup);
        std::string reasons;
        bool fatal = false;
        std::optional<PullOutcome> progressed;
        const std::vector<size_t> tries = fan_out ? try_order(sources, lost_peer) : std::vector<size_t>{};
        lost_peer.clear();
        for (size_t i = 0; i < sources.size() && !member.stopping; ++i) {
            const size_t index = fan_out ? tries[i] : (preferred + i) % sources.size();
            std::vector<PullSource> better;
            if (fan_out) {
                better.assign(sources.begin(), sources.begin() + static_cast<std::ptrdiff_t>(index));
            }
            PullResult result = co_await puller_.attempt(sources[index], *setup, std::move(better));
            if (member.stopping) {
                break;
            }
            if (result.outcome == PullOutcome::kFatal) {
                member.state.set(CCDR_REPLICA_FAILED, "failed: " + result.reason);
                log->error("replica '{}' stopped: {}", member.database, result.reason);
                fatal = true;
                break;
            }
            if (result.outcome == PullOutcome::kRetry) {
                log->debug("replica '{}': {} did not serve: {}", member.database, sources[index].describe(),
                           result.reason);
                reasons += (reasons.empty() ? "" : "; ") + result.reason;
                continue;
            }
            preferred = index;
            progressed = result.outcome;
            reasons = result.reason;
            if (result.source_lost && sources[index].peer) {
                lost_peer = sources[index].address;
            }
            break;
        }
        if (fatal || member.stopping) {
            break;
        }
        std::chrono::milliseconds delay{0};
        if (progressed) {
            backoff.reset();
            if (*progressed == PullOutcome::kProgress) {
                member.stats.reconnects.fetch_add(1);
                delay = backoff.first();
            }
        } else {
            member.stats.reconnects.fetch_add(1);
            delay = backoff.next();
        }
        if (delay.count() > 0) {
            member.state.set(CCDR_REPLICA_DISCONNECTED,
                             "disconnected: " + reasons + "; retrying in " + ms_text(delay));
            log->info("replica '{}' disconnected: {}; retrying in {}", member.database, reasons, ms_text(delay));
            co_await member.stop_signal->wait(delay);
        }
    }
    member.connection.clear();
    member.stats.connected = false;
    puller_done_.set_value();
}

ReplicaStatus ReplicaMember::status() const {
    ReplicaStatus out;
    if (member_->stats.at_upstream_position()) {
        member_->state.note_caught_up();
    }
    const MemberState::View view = member_->state.view();
    out.state = view.state;
    out.message = view.message;
    out.caught_up_once = view.caught_up_once;
    out.fanout_role = member_->fanout_role.load();
    out.upstream_address = member_->connection.address();
    const ReplicaStats& stats = member_->stats;
    out.connected = stats.connected.load();
    out.last_applied_tx = stats.last_applied_tx.load();
    out.upstream_last_tx = stats.upstream_last_tx.load();
    out.upstream_known = stats.upstream_known.load();
    out.upstream_last_commit_ms = stats.upstream_last_commit_ms.load();
    out.upstream_heard_ms = stats.upstream_heard_ms.load();
    out.lag_tx = stats.lag_tx();
    out.lag_seconds = stats.lag_seconds(runtime::wall_clock_ms());
    out.apply_delay_ms = stats.apply_delay_ms.load();
    out.received_tx = stats.received_tx();
    out.catch_up_window_s = stats.catch_up_window_s(runtime::wall_clock_ms());
    // Said before the reconnect finds it out: the upstream's hold for this
    // member ran out, so the log it needs is going or gone.
    if (!out.connected && out.catch_up_window_s == 0.0) {
        out.message += (out.message.empty() ? "" : "; ") +
                       std::string("the upstream's log hold for this member ran out (catch-up window 0): it will "
                                   "need a store copy");
    }
    return out;
}

std::string ReplicaMember::serving_refusal() const {
    const int role = member_->fanout_role.load();
    if (role == static_cast<int>(FanoutRole::kPuller) && member_->stats.connected.load()) {
        return "";
    }
    if (role == static_cast<int>(FanoutRole::kDirect)) {
        return "replica database '" + member_->database + "' has fan-out off: its members pull from the upstream";
    }
    return "this member of replica database '" + member_->database +
           "' is not the puller (it does not pull from the upstream now)";
}

DelayedPosition ReplicaMember::delayed_position() const {
    DelayedPosition out;
    const ReplicaStats& stats = member_->stats;
    out.applied_tx = stats.last_applied_tx.load();
    out.applied_commit_ms = stats.last_applied_commit_ms.load();
    out.received_tx = std::max(out.applied_tx, delay_spool_.last_tx());
    out.spooling = stats.apply_delay_ms.load() > 0 || !delay_spool_.empty();
    return out;
}

Result<uint64_t> ReplicaMember::last_received_at_or_before(int64_t time_ms) const {
    auto spooled = delay_spool_.last_at_or_before(time_ms);
    if (!spooled) {
        return spooled.status();
    }
    if (*spooled != 0) {
        return *spooled;
    }
    // Nothing spooled is that old: the applied position, if it is.
    const ReplicaStats& stats = member_->stats;
    return stats.last_applied_commit_ms.load() <= time_ms ? stats.last_applied_tx.load() : 0;
}

void ReplicaMember::describe(ccdr_database_status& out) const {
    ReplicaStatus s = status();
    out.state = s.state;
    out.has_lag = s.upstream_known ? 1 : 0;
    out.lag_tx = s.lag_tx;
    out.lag_seconds = s.lag_seconds;
    std::string message = s.message;
    if (!s.caught_up_once && first_catch_up_pending(s.state)) {
        // The host shows CREATING as "starting": until the member first
        // reaches its upstream's position, reads here see an older state.
        out.state = CCDR_REPLICA_CREATING;
        std::string progress = "first catch-up";
        if (s.upstream_known) {
            progress += ": applied tx " + std::to_string(s.last_applied_tx) + " of the upstream's " +
                        std::to_string(s.upstream_last_tx);
        }
        message = message.empty() ? progress : progress + "; " + message;
    }
    if (s.apply_delay_ms > 0 || s.received_tx > s.last_applied_tx) {
        // Both positions: what is safe here, and what readers see.
        message += "; applyDelay " + std::to_string(s.apply_delay_ms / 1000) + "s: received tx " +
                   std::to_string(s.received_tx) + ", applied tx " + std::to_string(s.last_applied_tx);
    }
    // The last verification's outcome follows (SHOW DATABASE statusMessage);
    // nothing before the first round.
    const std::string verified = verifier_.view().text;
    if (!verified.empty()) {
        message += "; " + verified;
    }
    copy_message(out.message, sizeof(out.message), message);
}

void ReplicaMember::collect_metrics(const MetricEmitter& emit) const {
    const std::string base = "database." + member_->database + ".ccdr.replica.";
    auto gauge = [&](const char* name, double v) { emit(base + name, CCDR_METRIC_GAUGE, v); };
    auto counter = [&](const char* name, double v) { emit(base + name, CCDR_METRIC_COUNTER, v); };
    const ReplicaStats& stats = member_->stats;
    ReplicaStatus s = status();
    gauge("state", static_cast<double>(s.state));
    gauge("connected", s.connected ? 1.0 : 0.0);
    gauge("caught_up_once", s.caught_up_once ? 1.0 : 0.0);
    gauge("fanout_role", static_cast<double>(s.fanout_role));
    gauge("lag_tx", static_cast<double>(s.lag_tx));
    gauge("lag_seconds", s.lag_seconds);
    gauge("last_applied_tx", static_cast<double>(s.last_applied_tx));
    gauge("upstream_last_tx", static_cast<double>(s.upstream_last_tx));
    gauge("last_received_tx", static_cast<double>(s.received_tx));
    gauge("received_lag_tx", static_cast<double>(stats.received_lag_tx()));
    gauge("apply_delay_seconds", static_cast<double>(s.apply_delay_ms) / 1000.0);
    gauge("delay_spool_bytes", static_cast<double>(stats.delay_spool_bytes.load()));
    counter("bytes_received_wire", static_cast<double>(stats.bytes_wire.load()));
    counter("bytes_received_uncompressed", static_cast<double>(stats.bytes_uncompressed.load()));
    counter("batches_received", static_cast<double>(stats.batches.load()));
    counter("transactions_applied", static_cast<double>(stats.transactions_applied.load()));
    counter("checksum_failures", static_cast<double>(stats.checksum_failures.load()));
    counter("apply_failures", static_cast<double>(stats.apply_failures.load()));
    counter("reconnects", static_cast<double>(stats.reconnects.load()));
    counter("store_copies", static_cast<double>(stats.store_copies.load()));
    if (s.catch_up_window_s >= 0) {
        gauge("catch_up_window_seconds", s.catch_up_window_s);
    }
    counter("store_copy_bytes", static_cast<double>(stats.store_copy_bytes.load()));
    counter("network_wait_seconds", static_cast<double>(stats.network_wait_ns.load()) / 1e9);
    counter("apply_seconds", static_cast<double>(stats.apply_ns.load()) / 1e9);
    const ContinuousVerifier::View v = verifier_.view();
    gauge("verify_outcome", static_cast<double>(v.outcome));
    gauge("verify_mismatch", v.outcome == ContinuousVerifier::Outcome::kMismatch ? 1.0 : 0.0);
    gauge("verify_last_verified_tx", static_cast<double>(v.last_verified_tx));
    gauge("verify_last_verified_time_seconds", static_cast<double>(v.last_verified_ms) / 1000.0);
    counter("verify_checks", static_cast<double>(v.checks));
    counter("verify_mismatches", static_cast<double>(v.mismatches));
    counter("verify_failures", static_cast<double>(v.failures));
}

}  // namespace ccdr::plugin

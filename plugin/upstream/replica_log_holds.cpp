#include "upstream/replica_log_holds.hpp"

#include "upstream/upstream_stats.hpp"

#include "runtime/tsv_file.hpp"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <iterator>
#include <limits>
#include <set>

namespace ccdr::plugin {
namespace {

// Smoothing of the log's growth rate: a pass's sample weighs dt / kRateSpanMs.
constexpr double kRateSpanMs = 5000.0;

std::string mib(uint64_t bytes) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%llu bytes (%.2f MiB)", static_cast<unsigned long long>(bytes),
                  static_cast<double>(bytes) / (1024.0 * 1024.0));
    return buf;
}

}  // namespace

std::string log_hold_peer(const LogHoldKey& key) {
    return metric_segment(std::get<1>(key)) + "." + metric_segment(std::get<2>(key)) + "." +
           metric_segment(std::get<3>(key));
}

ReplicaLogHolds::ReplicaLogHolds(std::string file, LogHoldCap cap, std::shared_ptr<spdlog::logger> log)
    : file_(std::move(file)), cap_(cap), log_(std::move(log)) {
    load();
}

void ReplicaLogHolds::load() {
    if (file_.empty()) {
        return;
    }
    size_t number = 0;
    for (const auto& f : runtime::read_tsv(file_)) {
        ++number;
        if (f.size() < 6 || f[0].empty()) {
            log_->warn("{} line {}: not a log hold (expected 6 or 7 tab-separated fields); skipped", file_, number);
            continue;
        }
        Hold h;
        try {
            h.acked_tx = std::stoull(f[4]);
        } catch (...) {
            log_->warn("{} line {}: '{}' is not a tx id; skipped", file_, number, f[4]);
            continue;
        }
        h.released = f[5] == "1";
        h.release_reason = f.size() > 6 ? f[6] : std::string();
        holds_[{f[0], f[1], f[2], f[3]}] = std::move(h);
    }
    if (!holds_.empty()) {
        log_->info("holding the log for {} replica member(s) served before the restart (from {})", holds_.size(),
                   file_);
    }
}

Status ReplicaLogHolds::save() const {
    if (file_.empty()) {
        return {};
    }
    std::vector<std::vector<std::string>> rows;
    for (const auto& [key, h] : holds_) {
        rows.push_back({std::get<0>(key), std::get<1>(key), std::get<2>(key), std::get<3>(key),
                        std::to_string(h.acked_tx), h.released ? "1" : "0", h.release_reason});
    }
    return runtime::write_tsv_durably(file_, rows);
}

void ReplicaLogHolds::update_growth(const ccdr_log_prune_info& info) {
    const std::string db = to_string(info.database);
    Growth& g = growth_[db];
    if (g.at_ms == 0 || info.now_ms <= g.at_ms) {
        g.last_tx = info.last_committed_tx;
        g.at_ms = info.now_ms == 0 ? 1 : info.now_ms;
        return;
    }
    const double dt = static_cast<double>(info.now_ms - g.at_ms);
    double sample = 0;
    if (info.last_committed_tx > g.last_tx) {
        uint64_t bytes = 0;
        int64_t time = 0;
        if (info.measure_log(info.log_ctx, g.last_tx + 1, &bytes, &time) != CCDR_OK) {
            // Pruned past the last pass's end (the whole growth went): a
            // lower bound, the log as retained.
            info.measure_log(info.log_ctx, info.oldest_retained_tx, &bytes, &time);
        }
        sample = static_cast<double>(bytes) * 1000.0 / dt;
    }
    const double weight = std::min(1.0, dt / kRateSpanMs);
    g.bytes_per_s = g.bytes_per_s * (1.0 - weight) + sample * weight;
    g.last_tx = info.last_committed_tx;
    g.at_ms = info.now_ms;
}

Result<uint64_t> ReplicaLogHolds::answer(const ccdr_log_prune_info& info, const std::vector<LiveAck>& live) {
    uint64_t keep = info.retention_keep_from_tx;
    if (!enabled()) {
        return keep;
    }
    const std::string db = to_string(info.database);
    const int64_t now = info.now_ms;
    std::lock_guard lock(mu_);
    update_growth(info);
    bool changed = false;
    std::set<LogHoldKey> still_closing;
    for (const LiveAck& ack : live) {
        changed = record(ack, info.oldest_retained_tx, &still_closing) || changed;
    }
    for (auto it = dropped_.begin(); it != dropped_.end();) {
        it = std::get<0>(it->first) == db && !still_closing.count(it->first) ? dropped_.erase(it) : std::next(it);
    }
    for (auto& [key, h] : holds_) {
        if (std::get<0>(key) != db || h.released) {
            continue;
        }
        const uint64_t need = h.acked_tx + 1;
        h.measured_at_ms = now;
        if (need > info.last_committed_tx) {
            h.held_bytes = 0;
            h.oldest_held_ms = 0;
            continue;
        }
        std::string reason;
        uint64_t bytes = 0;
        int64_t time = 0;
        const ccdr_status measured = need < info.oldest_retained_tx
                                         ? CCDR_LOG_PRUNED
                                         : info.measure_log(info.log_ctx, need, &bytes, &time);
        if (measured == CCDR_LOG_PRUNED) {
            reason = "the log was already pruned past tx " + std::to_string(need) + " (it starts at tx " +
                     std::to_string(info.oldest_retained_tx) + ")";
        } else if (measured != CCDR_OK) {
            // Cannot measure: keep what it needs this pass rather than lose it.
            log_->warn("measuring the log of '{}' held for replica member {} failed (status {}); holding it",
                       db, log_hold_peer(key), static_cast<int>(measured));
            keep = std::min(keep, need);
            continue;
        } else {
            h.held_bytes = bytes;
            h.oldest_held_ms = time;
            // The cap applies only where the hold is what keeps the log.
            if (need < info.retention_keep_from_tx) {
                const int64_t age_ms = time > 0 ? now - time : 0;
                if (bytes > cap_.max_bytes) {
                    reason = "the log from tx " + std::to_string(need) + " is " + mib(bytes) +
                             ", more than ccdr.upstream.replica_log_hold.max_size (" + mib(cap_.max_bytes) + ")";
                } else if (age_ms > cap_.max_age_ms) {
                    reason = "tx " + std::to_string(need) + " was committed " + std::to_string(age_ms / 1000) +
                             "s ago, longer than ccdr.upstream.replica_log_hold.max_age (" +
                             std::to_string(cap_.max_age_ms / 1000) + "s)";
                } else {
                    keep = std::min(keep, need);
                }
            }
        }
        if (!reason.empty()) {
            h.released = true;
            h.release_reason = reason;
            h.held_bytes = 0;
            ++released_;
            changed = true;
            log_->warn("the log held for replica member {} of '{}' (acknowledged tx {}) reached its cap: {}; the "
                       "hold is released and that member will need a store copy",
                       log_hold_peer(key), db, h.acked_tx, reason);
        }
    }
    if (changed) {
        if (Status st = save(); !st) {
            log_->warn("the log holds for replicas could not be saved ({}); they hold until this server restarts",
                       st.message());
        }
    }
    return keep;
}

std::optional<std::pair<LogHoldKey, int64_t>> ReplicaLogHolds::dropped_for(const LogHoldKey& key) const {
    const auto& [db, cluster, server, replica] = key;
    for (const LogHoldKey& k : {LogHoldKey{db, cluster, std::string(), replica}, key}) {
        if (auto d = dropped_.find(k); d != dropped_.end()) {
            return *d;
        }
    }
    return std::nullopt;
}

bool ReplicaLogHolds::record(const LiveAck& ack, uint64_t oldest_retained_tx, std::set<LogHoldKey>* closing) {
    if (auto d = dropped_for(ack.key); d && ack.connected_since_ms <= d->second) {
        if (closing != nullptr) {
            closing->insert(d->first);
        }
        return false;
    }
    uint64_t position = ack.hold_position();
    // A puller's follower that this log was pruned past is not helped by
    // what is left of it (it needs tx that are gone): the puller is held at
    // its own position, not at the log's start (which would keep the whole
    // retained log, up to the cap, for nobody).
    if (position < ack.acked_tx && oldest_retained_tx > 0 && position + 1 < oldest_retained_tx) {
        position = ack.acked_tx;
    }
    auto [it, fresh] = holds_.try_emplace(ack.key);
    Hold& h = it->second;
    bool changed = fresh || h.acked_tx != position;
    h.acked_tx = position;
    // A member served from the log again (after its store copy) is held again.
    if (h.released && oldest_retained_tx > 0 && position + 1 >= oldest_retained_tx) {
        h.released = false;
        h.release_reason.clear();
        changed = true;
    }
    return changed;
}

void ReplicaLogHolds::note_ended(const LiveAck& last) {
    if (!enabled()) {
        return;
    }
    std::lock_guard lock(mu_);
    if (record(last, 0, nullptr)) {
        if (Status st = save(); !st) {
            log_->warn("the log holds for replicas could not be saved ({}); they hold until this server restarts",
                       st.message());
        }
    }
}

std::optional<uint64_t> ReplicaLogHolds::lowest_position(const std::string& database,
                                                         const std::vector<LiveAck>& live) const {
    std::optional<uint64_t> lowest;
    std::set<LogHoldKey> connected;
    for (const LiveAck& ack : live) {
        connected.insert(ack.key);
        lowest = std::min(lowest.value_or(ack.hold_position()), ack.hold_position());
    }
    std::lock_guard lock(mu_);
    for (const auto& [key, h] : holds_) {
        // A hold is as of the last pass or session end: a live one is newer.
        if (std::get<0>(key) == database && !h.released && !connected.count(key)) {
            lowest = std::min(lowest.value_or(h.acked_tx), h.acked_tx);
        }
    }
    return lowest;
}

double ReplicaLogHolds::window_seconds(const std::string& database, const Hold& h, int64_t now_ms) const {
    if (h.released) {
        return 0;
    }
    double rate = 0;
    if (auto g = growth_.find(database); g != growth_.end()) {
        rate = g->second.bytes_per_s;
    }
    const double since = h.measured_at_ms > 0 && now_ms > h.measured_at_ms
                             ? static_cast<double>(now_ms - h.measured_at_ms) / 1000.0
                             : 0.0;
    double size_s = std::numeric_limits<double>::infinity();
    if (rate > 0) {
        const double left = static_cast<double>(cap_.max_bytes) - static_cast<double>(h.held_bytes) - rate * since;
        size_s = std::max(0.0, left / rate);
    }
    double age_s = static_cast<double>(cap_.max_age_ms) / 1000.0;
    if (h.oldest_held_ms > 0) {
        age_s = std::max(0.0, static_cast<double>(cap_.max_age_ms - (now_ms - h.oldest_held_ms)) / 1000.0);
    }
    return std::min(size_s, age_s);
}

LogHoldView ReplicaLogHolds::view(const LogHoldKey& key, const Hold& h, int64_t now_ms) const {
    LogHoldView v;
    v.key = key;
    v.acked_tx = h.acked_tx;
    v.released = h.released;
    v.release_reason = h.release_reason;
    v.held_bytes = h.held_bytes;
    v.catch_up_window_s = window_seconds(std::get<0>(key), h, now_ms);
    return v;
}

std::vector<LogHoldView> ReplicaLogHolds::holds(std::string_view database, int64_t now_ms) const {
    std::vector<LogHoldView> out;
    std::lock_guard lock(mu_);
    for (const auto& [key, h] : holds_) {
        if (database.empty() || std::get<0>(key) == database) {
            out.push_back(view(key, h, now_ms));
        }
    }
    return out;
}

std::optional<LogHoldView> ReplicaLogHolds::hold(const LogHoldKey& key, int64_t now_ms) const {
    std::lock_guard lock(mu_);
    auto it = holds_.find(key);
    if (it == holds_.end()) {
        return std::nullopt;
    }
    return view(key, it->second, now_ms);
}

uint32_t ReplicaLogHolds::end_holds(const std::string& database, const std::string& replica_cluster_id,
                                    const std::string& replica_database, int64_t now_ms,
                                    const std::string& replica_server_id) {
    std::lock_guard lock(mu_);
    dropped_[{database, replica_cluster_id, replica_server_id, replica_database}] = now_ms;
    uint32_t ended = 0;
    for (auto it = holds_.begin(); it != holds_.end();) {
        if (std::get<0>(it->first) == database && std::get<1>(it->first) == replica_cluster_id &&
            std::get<3>(it->first) == replica_database &&
            (replica_server_id.empty() || std::get<2>(it->first) == replica_server_id)) {
            it = holds_.erase(it);
            ++ended;
        } else {
            ++it;
        }
    }
    if (ended > 0) {
        // Saved before it is told, so that the log line means the file says so too.
        if (Status st = save(); !st) {
            log_->warn("the log holds for replicas could not be saved ({})", st.message());
        }
        if (replica_server_id.empty()) {
            log_->info("the replica database '{}' of cluster {} was dropped: {} log hold(s) of '{}' ended",
                       replica_database, replica_cluster_id, ended, database);
        } else {
            log_->info("the member of replica database '{}' on server {} of cluster {} follows another member: "
                       "its log hold of '{}' ended (the puller's covers it)",
                       replica_database, replica_server_id, replica_cluster_id, database);
        }
    }
    return ended;
}

uint64_t ReplicaLogHolds::released_count() const {
    std::lock_guard lock(mu_);
    return released_;
}

void ReplicaLogHolds::collect(const MetricEmitter& emit, int64_t now_ms) const {
    if (!enabled()) {
        return;
    }
    std::lock_guard lock(mu_);
    for (const auto& [key, h] : holds_) {
        const std::string base = "database." + std::get<0>(key) + ".ccdr.upstream.replica." + log_hold_peer(key);
        emit(base + ".catch_up_window_seconds", CCDR_METRIC_GAUGE, window_seconds(std::get<0>(key), h, now_ms));
        emit(base + ".log_hold_bytes", CCDR_METRIC_GAUGE, static_cast<double>(h.held_bytes));
    }
    emit("dbms.ccdr.upstream.log_holds", CCDR_METRIC_GAUGE, static_cast<double>(holds_.size()));
    emit("dbms.ccdr.upstream.log_holds_released", CCDR_METRIC_COUNTER, static_cast<double>(released_));
}

}  // namespace ccdr::plugin

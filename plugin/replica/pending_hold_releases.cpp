#include "replica/pending_hold_releases.hpp"

#include "runtime/tsv_file.hpp"
#include "runtime/wall_clock.hpp"

#include <algorithm>

namespace ccdr::plugin {

PendingHoldReleases::PendingHoldReleases(std::string file, Release release, std::chrono::milliseconds retry_initial,
                                         std::chrono::milliseconds retry_max, std::shared_ptr<spdlog::logger> log)
    : file_(std::move(file)), release_(std::move(release)),
      retry_initial_(std::max(retry_initial, std::chrono::milliseconds(1))),
      retry_max_(std::max(retry_max, retry_initial_)), log_(std::move(log)) {
    load();
}

PendingHoldReleases::~PendingHoldReleases() { stop(); }

void PendingHoldReleases::load() {
    if (file_.empty()) {
        return;
    }
    size_t number = 0;
    for (const auto& f : runtime::read_tsv(file_)) {
        ++number;
        if (f.size() != 4 || f[0].empty() || f[2].empty()) {
            log_->warn("{} line {}: not an owed hold release (expected 4 tab-separated fields); skipped", file_,
                       number);
            continue;
        }
        Entry e;
        e.remote = f[1];
        try {
            e.since_ms = std::stoll(f[3]);
        } catch (...) {
            log_->warn("{} line {}: '{}' is not a time; skipped", file_, number, f[3]);
            continue;
        }
        entries_[{f[0], f[2]}] = std::move(e);
    }
    if (!entries_.empty()) {
        log_->info("{} hold release(s) of dropped replica databases still owed to upstream servers (from {})",
                   entries_.size(), file_);
    }
}

Status PendingHoldReleases::save() const {
    if (file_.empty()) {
        return {};
    }
    std::vector<std::vector<std::string>> rows;
    for (const auto& [key, e] : entries_) {
        rows.push_back({key.first, e.remote, key.second, std::to_string(e.since_ms)});
    }
    return runtime::write_tsv_durably(file_, rows);
}

void PendingHoldReleases::start() {
    if (thread_.joinable()) {
        return;
    }
    {
        std::lock_guard lock(mu_);
        stopping_ = false;
        woken_ = !entries_.empty();  // owed from before a restart: ask at once
    }
    thread_ = std::thread([this] { run(); });
}

void PendingHoldReleases::stop() {
    {
        std::lock_guard lock(mu_);
        stopping_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) {
        thread_.join();
    }
}

void PendingHoldReleases::add(const std::string& replica_database, const std::string& remote,
                                const std::vector<std::string>& addresses) {
    Status saved;
    {
        std::lock_guard lock(mu_);
        const int64_t now = runtime::wall_clock_ms();
        for (const auto& address : addresses) {
            entries_[{replica_database, address}] = Entry{remote, now, 0, {}};
        }
        saved = save();
        woken_ = true;
    }
    cv_.notify_all();
    if (!saved) {
        log_->warn("replica database '{}' dropped: the hold releases owed to its upstream could not be saved ({}); "
                   "they are asked for now, but not after a restart",
                   replica_database, saved.message());
    }
}

void PendingHoldReleases::cancel(const std::string& replica_database) {
    std::lock_guard lock(mu_);
    size_t erased = 0;
    for (auto it = entries_.begin(); it != entries_.end();) {
        if (it->first.first == replica_database) {
            it = entries_.erase(it);
            ++erased;
        } else {
            ++it;
        }
    }
    if (erased == 0) {
        return;
    }
    log_->info("replica database '{}' created again: {} hold release(s) owed for its former self are no longer "
               "sent (its members want the log held again)",
               replica_database, erased);
    if (Status saved = save(); !saved) {
        log_->warn("cannot save the owed hold releases: {}", saved.message());
    }
}

size_t PendingHoldReleases::count() const {
    std::lock_guard lock(mu_);
    return entries_.size();
}

std::map<std::pair<std::string, std::string>, PendingHoldReleases::Entry> PendingHoldReleases::entries() const {
    std::lock_guard lock(mu_);
    return entries_;
}

size_t PendingHoldReleases::run_once() {
    std::map<std::pair<std::string, std::string>, Entry> owed = entries();
    for (const auto& [key, entry] : owed) {
        {
            std::lock_guard lock(mu_);
            if (stopping_) {
                break;
            }
        }
        const auto& [database, address] = key;
        // Blocks for at most the connect and I/O timeouts, without mu_.
        HoldReleaseAttempt attempt = release_(entry.remote, database, address);
        std::lock_guard lock(mu_);
        auto it = entries_.find(key);
        if (it == entries_.end() || it->second.since_ms != entry.since_ms) {
            continue;  // cancelled, or dropped again meanwhile: the newer entry stands
        }
        ++it->second.attempts;
        if (attempt.settled) {
            log_->info("replica database '{}' dropped: told {} (upstream '{}'){}: {}", database, address,
                       entry.remote,
                       it->second.attempts > 1 ? " after " + std::to_string(it->second.attempts) + " attempts" : "",
                       attempt.outcome);
            entries_.erase(it);
            if (Status saved = save(); !saved) {
                log_->warn("cannot save the owed hold releases: {}", saved.message());
            }
        } else if (it->second.last_outcome != attempt.outcome) {
            // Logged once per distinct reason, not every retry.
            log_->warn("replica database '{}' dropped: cannot tell {} (upstream '{}') yet: {}; it keeps holding the "
                       "log for the database's members until told (asked again with back-off) or until its cap",
                       database, address, entry.remote, attempt.outcome);
            it->second.last_outcome = attempt.outcome;
        }
    }
    return count();
}

void PendingHoldReleases::run() {
    std::chrono::milliseconds delay = retry_initial_;
    std::unique_lock lock(mu_);
    for (;;) {
        if (entries_.empty()) {
            cv_.wait(lock, [this] { return stopping_ || woken_; });
        } else {
            cv_.wait_for(lock, delay, [this] { return stopping_ || woken_; });
        }
        if (stopping_) {
            return;
        }
        if (woken_) {
            delay = retry_initial_;  // a new drop: ask at once, back-off anew
        }
        woken_ = false;
        lock.unlock();
        const size_t still_owed = run_once();
        lock.lock();
        if (still_owed > 0 && !woken_) {
            delay = std::min(delay * 2, retry_max_);
        }
    }
}

}  // namespace ccdr::plugin

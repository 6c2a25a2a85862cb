#include "replica/delayed_applier.hpp"

#include "runtime/wall_clock.hpp"

#include <span>

namespace ccdr::plugin {

using namespace std::chrono_literals;

namespace {

// How long the thread sleeps at most before it looks again (a changed
// delay, a clock offset that moved).
constexpr auto kRecheck = 1000ms;

uint64_t nanos_since(std::chrono::steady_clock::time_point t) {
    return static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - t).count());
}

}  // namespace

DelayedApplier::DelayedApplier(HostHandle host, std::string database, DelaySpool& spool, ReplicaStats& stats,
                               std::shared_ptr<spdlog::logger> log, ApplierEvents events)
    : host_(host),
      database_(std::move(database)),
      spool_(spool),
      stats_(stats),
      log_(std::move(log)),
      events_(std::move(events)) {}

DelayedApplier::~DelayedApplier() { stop(); }

void DelayedApplier::start() {
    std::lock_guard lock(mu_);
    if (started_) {
        return;
    }
    started_ = true;
    thread_ = std::thread([this] { main(); });
}

void DelayedApplier::stop() {
    {
        std::lock_guard lock(mu_);
        stop_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) {
        thread_.join();
    }
}

void DelayedApplier::set_delay(std::chrono::milliseconds delay) {
    {
        std::lock_guard lock(mu_);
        delay_ = delay;
        stats_.apply_delay_ms = delay.count();
    }
    cv_.notify_all();
}

void DelayedApplier::notify() { cv_.notify_all(); }

bool DelayedApplier::idle() const {
    std::lock_guard lock(mu_);
    return !applying_;
}

Status DelayedApplier::hold(uint64_t target, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mu_);
    hold_ = target;
    last_failure_.clear();
    cv_.notify_all();
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (stats_.last_applied_tx.load() < target) {
        if (stop_) {
            return {CCDR_STOPPED, "the replica member stopped at tx " + std::to_string(stats_.last_applied_tx.load())};
        }
        if (!last_failure_.empty()) {
            return {CCDR_INTERNAL, last_failure_};
        }
        if (cv_.wait_until(lock, deadline) == std::cv_status::timeout &&
            stats_.last_applied_tx.load() < target) {
            return {CCDR_TIMEOUT, "applying up to tx " + std::to_string(target) + " did not finish within " +
                                      std::to_string(timeout.count()) + " ms (at tx " +
                                      std::to_string(stats_.last_applied_tx.load()) + ")"};
        }
    }
    // An apply that began before the hold may still be running.
    cv_.wait(lock, [&] { return !applying_; });
    return {};
}

void DelayedApplier::release() {
    {
        std::lock_guard lock(mu_);
        hold_.reset();
    }
    cv_.notify_all();
}

void DelayedApplier::main() {
    std::optional<protocol::DecodedBatch> cached;  // the first file's batch, read once
    bool showing_pending = false;                   // this thread set oldest_pending_commit_ms
    std::unique_lock lock(mu_);
    while (!stop_) {
        stats_.delay_spool_bytes = spool_.bytes();
        const auto segment = spool_.front();
        const uint64_t applied = stats_.last_applied_tx.load();
        if (!segment) {
            cached.reset();
            if (showing_pending) {
                stats_.oldest_pending_commit_ms = 0;
                showing_pending = false;
            }
            cv_.wait_for(lock, kRecheck);
            continue;
        }
        if (segment->last_tx <= applied) {
            lock.unlock();
            spool_.drop_through(applied);
            lock.lock();
            continue;
        }
        if (!cached || cached->first_tx() != segment->first_tx) {
            lock.unlock();
            auto loaded = spool_.load(*segment);
            lock.lock();
            if (!loaded) {
                last_failure_ = "reading the delay spool: " + loaded.status().message();
                log_->error("replica '{}': {}", database_, last_failure_);
                stats_.apply_failures.fetch_add(1);
                cv_.notify_all();
                cv_.wait_for(lock, kRecheck);
                continue;
            }
            cached = std::move(loaded.value());
        }
        const auto& txs = cached->txs;
        size_t begin = 0;
        while (begin < txs.size() && txs[begin].tx_id <= applied) {
            ++begin;
        }
        if (begin == txs.size()) {
            continue;
        }
        if (txs[begin].tx_id != applied + 1) {
            // The member's store moved on without the spool (a store copy):
            // what it holds no longer continues the store.
            const std::string reason = "the delay spool continues at tx " + std::to_string(txs[begin].tx_id) +
                                       " but the store is at tx " + std::to_string(applied) + "; spool dropped";
            log_->warn("replica '{}': {}", database_, reason);
            cached.reset();
            lock.unlock();
            spool_.discard();
            stats_.last_received_tx = 0;
            events_.failed(reason);
            lock.lock();
            continue;
        }
        stats_.oldest_pending_commit_ms = txs[begin].commit_time_ms;
        showing_pending = true;
        const int64_t upstream_now = runtime::wall_clock_ms() + stats_.upstream_clock_offset_ms.load();
        size_t end = begin;
        while (end < txs.size()) {
            const ccdr_tx& tx = txs[end];
            if (hold_ && tx.tx_id > *hold_) {
                break;
            }
            const bool forced = hold_.has_value();
            if (!forced && tx.commit_time_ms + delay_.count() > upstream_now) {
                break;
            }
            ++end;
        }
        if (end == begin) {
            auto wait = kRecheck;
            if (!hold_) {
                wait = std::min<std::chrono::milliseconds>(
                    kRecheck, std::chrono::milliseconds(txs[begin].commit_time_ms + delay_.count() - upstream_now));
            }
            cv_.wait_for(lock, wait);
            continue;
        }
        applying_ = true;
        lock.unlock();
        const std::span<const ccdr_tx> due(txs.data() + begin, end - begin);
        const auto started = std::chrono::steady_clock::now();
        Status st = host_.apply_batch(database_, due);
        stats_.apply_ns.fetch_add(nanos_since(started), std::memory_order_relaxed);
        if (st) {
            stats_.last_applied_commit_ms = due.back().commit_time_ms;
            stats_.last_applied_tx.store(due.back().tx_id, std::memory_order_release);
            stats_.transactions_applied.fetch_add(due.size(), std::memory_order_relaxed);
            if (end == txs.size()) {
                spool_.drop_through(due.back().tx_id);
            }
        } else {
            stats_.apply_failures.fetch_add(1);
        }
        lock.lock();
        applying_ = false;
        if (st) {
            last_failure_.clear();
            if (end == txs.size()) {
                cached.reset();
            }
        } else {
            last_failure_ = "applying tx " + std::to_string(due.front().tx_id) + ".." +
                            std::to_string(due.back().tx_id) + " failed: " + st.message();
            log_->error("replica '{}': {}; retrying from the last applied tx", database_, last_failure_);
            cached.reset();
        }
        const std::string failure = st ? std::string() : last_failure_;
        cv_.notify_all();
        lock.unlock();
        if (!st) {
            events_.failed(failure);
        }
        events_.finished();
        lock.lock();
        if (!st) {
            cv_.wait_for(lock, kRecheck);
        }
    }
    applying_ = false;
    cv_.notify_all();
}

}  // namespace ccdr::plugin

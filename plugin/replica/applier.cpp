#include "replica/applier.hpp"

#include <chrono>

namespace ccdr::plugin {
namespace {

uint64_t nanos_since(std::chrono::steady_clock::time_point t) {
    return static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - t).count());
}

}  // namespace

Applier::Applier(HostHandle host, std::string database, ReplicaStats& stats, uint64_t window_bytes,
                 std::shared_ptr<spdlog::logger> log, ApplierEvents events,
                 std::shared_ptr<runtime::LatencyTrace> trace)
    : host_(host),
      database_(std::move(database)),
      stats_(stats),
      window_bytes_(window_bytes),
      log_(std::move(log)),
      events_(std::move(events)),
      trace_(std::move(trace)) {}

Applier::~Applier() { stop(); }

void Applier::start() { thread_ = std::thread([this] { main(); }); }

void Applier::stop() {
    {
        std::lock_guard lock(mu_);
        stop_ = true;
        queue_.clear();
        queued_bytes_ = 0;
    }
    cv_.notify_all();
    if (thread_.joinable()) {
        thread_.join();
    }
}

bool Applier::has_room(size_t bytes) const {
    std::lock_guard lock(mu_);
    // At least one batch may wait while another is applied, whatever its size.
    return queue_.empty() || queued_bytes_ + bytes <= window_bytes_;
}

void Applier::push(protocol::DecodedBatch batch, size_t bytes) {
    {
        std::lock_guard lock(mu_);
        if (stats_.oldest_pending_commit_ms.load() == 0) {
            stats_.oldest_pending_commit_ms = batch.txs.front().commit_time_ms;
        }
        queued_bytes_ += bytes;
        queue_.push_back(Queued{std::move(batch), bytes});
    }
    cv_.notify_one();
}

void Applier::drop_queued() {
    std::lock_guard lock(mu_);
    queue_.clear();
    queued_bytes_ = 0;
    if (!applying_) {
        stats_.oldest_pending_commit_ms = 0;
    }
}

bool Applier::idle() const {
    std::lock_guard lock(mu_);
    return !applying_;
}

void Applier::main() {
    for (;;) {
        Queued item;
        {
            std::unique_lock lock(mu_);
            const auto waiting_since = std::chrono::steady_clock::now();
            cv_.wait(lock, [&] { return stop_ || !queue_.empty(); });
            if (stats_.connected.load()) {
                stats_.network_wait_ns.fetch_add(nanos_since(waiting_since), std::memory_order_relaxed);
            }
            if (stop_) {
                break;
            }
            item = std::move(queue_.front());
            queue_.pop_front();
            queued_bytes_ -= item.bytes;
            applying_ = true;
            stats_.oldest_pending_commit_ms = item.batch.txs.front().commit_time_ms;
        }
        events_.took();
        const auto started = std::chrono::steady_clock::now();
        runtime::trace_step(trace_, "apply_start", database_, item.batch.first_tx(), item.batch.last_tx());
        Status st = host_.apply_batch(database_, item.batch.txs);
        if (st) {
            runtime::trace_step(trace_, "applied", database_, item.batch.first_tx(), item.batch.last_tx());
        }
        stats_.apply_ns.fetch_add(nanos_since(started), std::memory_order_relaxed);
        if (st) {
            stats_.last_applied_commit_ms = item.batch.txs.back().commit_time_ms;
            stats_.last_applied_tx.store(item.batch.last_tx(), std::memory_order_release);
            stats_.transactions_applied.fetch_add(item.batch.txs.size(), std::memory_order_relaxed);
        }
        {
            std::lock_guard lock(mu_);
            applying_ = false;
            if (!st) {
                queue_.clear();  // they follow the batch that failed
                queued_bytes_ = 0;
            }
            stats_.oldest_pending_commit_ms = queue_.empty() ? 0 : queue_.front().batch.txs.front().commit_time_ms;
        }
        if (!st) {
            stats_.apply_failures.fetch_add(1);
            const std::string reason = "applying tx " + std::to_string(item.batch.first_tx()) + ".." +
                                       std::to_string(item.batch.last_tx()) + " failed: " + st.message();
            log_->error("replica '{}': {}; resuming from the last applied tx", database_, reason);
            events_.failed(reason);
        }
        events_.finished();
    }
}

}  // namespace ccdr::plugin

#include "replica/applier.hpp"

#include <algorithm>
#include <chrono>
#include <span>
#include <vector>

namespace ccdr::plugin {
namespace {

uint64_t nanos_since(std::chrono::steady_clock::time_point t) {
    return static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - t).count());
}

}  // namespace

Applier::Applier(HostHandle host, std::string database, ReplicaStats& stats, uint64_t window_bytes,
                 std::shared_ptr<spdlog::logger> log, ApplierEvents events,
                 std::shared_ptr<runtime::LatencyTrace> trace, uint64_t part_bytes)
    : host_(host),
      database_(std::move(database)),
      stats_(stats),
      window_bytes_(window_bytes),
      log_(std::move(log)),
      events_(std::move(events)),
      trace_(std::move(trace)),
      part_bytes_(part_bytes) {}

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

Status Applier::apply_in_parts(const ccdr_tx& tx) {
    auto begun = host_.apply_tx_begin(database_, tx.tx_id, tx.commit_time_ms, tx.payload.len);
    if (!begun) {
        return begun.status();
    }
    ccdr_apply_tx* handle = begun.value();
    for (size_t at = 0; at < tx.payload.len; at += part_bytes_) {
        const size_t len = std::min<size_t>(part_bytes_, tx.payload.len - at);
        Status st = host_.apply_tx_part(handle, std::span<const uint8_t>(tx.payload.data + at, len));
        if (!st) {
            host_.apply_tx_abort(handle);
            return st.with_context("part at byte " + std::to_string(at) + " of " + std::to_string(tx.payload.len));
        }
    }
    Status st = host_.apply_tx_commit(handle);
    if (st) {
        log_->info("replica '{}': applied tx {} ({} bytes) in {} parts", database_, tx.tx_id, tx.payload.len,
                   (tx.payload.len + part_bytes_ - 1) / part_bytes_);
    }
    return st;
}

Status Applier::apply(std::span<const ccdr_tx> txs) {
    if (part_bytes_ == 0 || parts_refused_ || !host_.has_apply_tx_parts()) {
        return host_.apply_batch(database_, txs);
    }
    size_t run = 0;  // the first tx not applied yet
    for (size_t i = 0; i < txs.size(); ++i) {
        if (txs[i].payload.len <= part_bytes_) {
            continue;
        }
        if (i > run) {
            Status st = host_.apply_batch(database_, txs.subspan(run, i - run));
            if (!st) {
                return st;
            }
        }
        Status st = apply_in_parts(txs[i]);
        if (st.code() == CCDR_UNSUPPORTED) {
            parts_refused_ = true;
            log_->info("replica '{}': the host applies no transaction in parts ({}); whole transactions from now on",
                       database_, st.message());
            return host_.apply_batch(database_, txs.subspan(i));
        }
        if (!st) {
            return st;
        }
        run = i + 1;
    }
    return run < txs.size() ? host_.apply_batch(database_, txs.subspan(run)) : Status{};
}

void Applier::main() {
    for (;;) {
        // Every batch queued when the applier wakes goes to the host in one
        // apply_batch: at 1 000 tx/s most batches hold one or two
        // transactions, and applying each alone costs the host a storage
        // transaction and an fsync while the next ones wait in the queue
        // (ccdr.debug.latency_trace: received -> apply_start was most of the
        // lag's p99). The batches are consecutive (the puller queues them in
        // order and drop_queued empties the queue between sessions); one that
        // is not starts the next group.
        std::vector<Queued> group;
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
            do {
                queued_bytes_ -= queue_.front().bytes;
                group.push_back(std::move(queue_.front()));
                queue_.pop_front();
            } while (!queue_.empty() && queue_.front().batch.first_tx() == group.back().batch.last_tx() + 1);
            applying_ = true;
            stats_.oldest_pending_commit_ms = group.front().batch.txs.front().commit_time_ms;
        }
        events_.took();
        std::vector<ccdr_tx> merged;
        std::span<const ccdr_tx> txs = group.front().batch.txs;
        if (group.size() > 1) {
            for (const Queued& q : group) {
                merged.insert(merged.end(), q.batch.txs.begin(), q.batch.txs.end());
            }
            txs = merged;
        }
        const uint64_t first = txs.front().tx_id;
        const uint64_t last = txs.back().tx_id;
        const auto started = std::chrono::steady_clock::now();
        runtime::trace_step(trace_, "apply_start", database_, first, last);
        Status st = apply(txs);
        stats_.apply_ns.fetch_add(nanos_since(started), std::memory_order_relaxed);
        if (st) {
            runtime::trace_step(trace_, "applied", database_, first, last);
            stats_.last_applied_commit_ms = txs.back().commit_time_ms;
            stats_.last_applied_tx.store(last, std::memory_order_release);
            stats_.transactions_applied.fetch_add(txs.size(), std::memory_order_relaxed);
        }
        {
            std::lock_guard lock(mu_);
            applying_ = false;
            if (!st) {
                queue_.clear();  // they follow the batches that failed
                queued_bytes_ = 0;
            }
            stats_.oldest_pending_commit_ms = queue_.empty() ? 0 : queue_.front().batch.txs.front().commit_time_ms;
        }
        if (!st) {
            stats_.apply_failures.fetch_add(1);
            const std::string reason = "applying tx " + std::to_string(first) + ".." + std::to_string(last) +
                                       " failed: " + st.message();
            log_->error("replica '{}': {}; resuming from the last applied tx", database_, reason);
            events_.failed(reason);
        }
        events_.finished();
    }
}

}  // namespace ccdr::plugin

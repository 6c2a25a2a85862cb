#include "replica/applier.hpp"

#include <algorithm>
#include <chrono>
#include <span>
#include <utility>
#include <vector>

namespace ccdr::plugin {
namespace {

uint64_t nanos_since(std::chrono::steady_clock::time_point t) {
    return static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - t).count());
}

}  // namespace

int64_t Applier::commit_ms_of(const Queued& q) {
    return q.part ? q.part->header.commit_time_ms : q.batch.txs.front().commit_time_ms;
}

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
        queue_.push_back(Queued{std::move(batch), std::nullopt, bytes});
    }
    cv_.notify_one();
}

void Applier::push_part(protocol::TxPart part, size_t bytes) {
    {
        std::lock_guard lock(mu_);
        if (stats_.oldest_pending_commit_ms.load() == 0) {
            stats_.oldest_pending_commit_ms = part.header.commit_time_ms;
        }
        queued_bytes_ += bytes;
        Queued q;
        q.part = std::move(part);
        q.bytes = bytes;
        queue_.push_back(std::move(q));
    }
    cv_.notify_one();
}

void Applier::drop_queued() {
    {
        std::lock_guard lock(mu_);
        queue_.clear();
        queued_bytes_ = 0;
        if (!applying_) {
            stats_.oldest_pending_commit_ms = 0;
        }
        abandon_open_ = tx_open_;
    }
    cv_.notify_one();
}

bool Applier::idle() const {
    std::lock_guard lock(mu_);
    return !applying_ && !tx_open_;
}

void Applier::abort_open() {
    if (!open_) {
        return;
    }
    if (open_->handle != nullptr) {
        host_.apply_tx_abort(open_->handle);
    }
    log_->info("replica '{}': tx {} in parts abandoned before its last part; nothing of it was applied", database_,
               open_->tx_id);
    open_.reset();
}

Status Applier::apply_part(const protocol::TxPart& part) {
    const protocol::TxPartHeader& h = part.header;
    if (part.first()) {
        abort_open();  // the parts of an earlier session's transaction that never ended
        OpenTx tx{h.tx_id, h.commit_time_ms, nullptr, {}, 0};
        if (!parts_refused_ && host_.has_apply_tx_parts()) {
            auto begun = host_.apply_tx_begin(database_, h.tx_id, h.commit_time_ms, h.total_length);
            if (begun) {
                tx.handle = begun.value();
            } else if (begun.status().code() == CCDR_UNSUPPORTED) {
                parts_refused_ = true;
                log_->info("replica '{}': the host applies no transaction in parts ({}); whole transactions from "
                           "now on",
                           database_, begun.status().message());
            } else {
                return begun.status();
            }
        }
        if (tx.handle == nullptr) {
            tx.whole.reserve(h.total_length);
        }
        open_ = std::move(tx);
    } else if (!open_ || open_->tx_id != h.tx_id) {
        // The puller queues parts in order and drops them between sessions,
        // and a failed part aborts its transaction: a part of a transaction
        // that is not open follows such a failure, in the session that is
        // ending. It is not applied.
        return {CCDR_STOPPED, "tx " + std::to_string(h.tx_id) + " is not open"};
    }
    OpenTx& tx = *open_;
    ++tx.parts;
    if (tx.handle != nullptr) {
        if (Status st = host_.apply_tx_part(tx.handle, part.bytes); !st) {
            abort_open();
            return st.with_context("part at byte " + std::to_string(h.offset) + " of " +
                                   std::to_string(h.total_length));
        }
    } else {
        tx.whole.insert(tx.whole.end(), part.bytes.begin(), part.bytes.end());
    }
    if (!part.last()) {
        return {};
    }
    const bool gathered = tx.handle == nullptr;
    const size_t parts = tx.parts;
    Status st;
    if (!gathered) {
        st = host_.apply_tx_commit(tx.handle);
        tx.handle = nullptr;  // committed or failed, the host ended it
    } else {
        ccdr_tx whole{};
        whole.tx_id = tx.tx_id;
        whole.commit_time_ms = tx.commit_time_ms;
        whole.payload = ccdr_bytes{tx.whole.data(), tx.whole.size()};
        st = host_.apply_batch(database_, std::span<const ccdr_tx>(&whole, 1));
    }
    open_.reset();
    if (st && !gathered) {
        log_->info("replica '{}': applied tx {} ({} bytes) in {} parts, as they arrived", database_, h.tx_id,
                   h.total_length, parts);
    } else if (st) {
        log_->info("replica '{}': applied tx {} ({} bytes) whole, received in {} parts", database_, h.tx_id,
                   h.total_length, parts);
    }
    return st;
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
        // is not starts the next group. A part of a transaction in parts is
        // taken alone.
        std::vector<Queued> group;
        bool abandon = false;
        {
            std::unique_lock lock(mu_);
            const auto waiting_since = std::chrono::steady_clock::now();
            cv_.wait(lock, [&] { return stop_ || abandon_open_ || !queue_.empty(); });
            if (stats_.connected.load()) {
                stats_.network_wait_ns.fetch_add(nanos_since(waiting_since), std::memory_order_relaxed);
            }
            if (stop_) {
                break;
            }
            abandon = std::exchange(abandon_open_, false);
            const auto joins = [&](const Queued& next) {
                return !next.part && !group.back().part &&
                       next.batch.first_tx() == group.back().batch.last_tx() + 1;
            };
            if (!queue_.empty()) {
                do {
                    queued_bytes_ -= queue_.front().bytes;
                    group.push_back(std::move(queue_.front()));
                    queue_.pop_front();
                } while (!queue_.empty() && joins(queue_.front()));
                applying_ = true;
                stats_.oldest_pending_commit_ms = commit_ms_of(group.front());
            }
        }
        if (abandon) {
            abort_open();
        }
        if (group.empty()) {
            {
                std::lock_guard lock(mu_);
                tx_open_ = open_.has_value();
            }
            events_.finished();
            continue;
        }
        events_.took();
        uint64_t first = 0;
        uint64_t last = 0;
        size_t applied_txs = 0;  // committed by this step
        int64_t last_commit_ms = 0;
        const auto started = std::chrono::steady_clock::now();
        Status st;
        if (group.front().part) {
            const protocol::TxPart& part = *group.front().part;
            first = last = part.header.tx_id;
            if (part.first()) {
                runtime::trace_step(trace_, "apply_start", database_, first, last);
            }
            st = apply_part(part);
            if (st.code() == CCDR_STOPPED) {
                st = {};  // a part behind a failure, dropped (apply_part says why)
            } else if (st && part.last()) {
                applied_txs = 1;
                last_commit_ms = part.header.commit_time_ms;
            }
        } else {
            std::vector<ccdr_tx> merged;
            std::span<const ccdr_tx> txs = group.front().batch.txs;
            if (group.size() > 1) {
                for (const Queued& q : group) {
                    merged.insert(merged.end(), q.batch.txs.begin(), q.batch.txs.end());
                }
                txs = merged;
            }
            first = txs.front().tx_id;
            last = txs.back().tx_id;
            runtime::trace_step(trace_, "apply_start", database_, first, last);
            st = apply(txs);
            applied_txs = st ? txs.size() : 0;
            last_commit_ms = txs.back().commit_time_ms;
        }
        stats_.apply_ns.fetch_add(nanos_since(started), std::memory_order_relaxed);
        if (applied_txs != 0) {
            runtime::trace_step(trace_, "applied", database_, first, last);
            stats_.last_applied_commit_ms = last_commit_ms;
            stats_.last_applied_tx.store(last, std::memory_order_release);
            stats_.transactions_applied.fetch_add(applied_txs, std::memory_order_relaxed);
        }
        {
            std::lock_guard lock(mu_);
            applying_ = false;
            tx_open_ = open_.has_value();
            if (!st) {
                queue_.clear();  // they follow the batches that failed
                queued_bytes_ = 0;
            }
            stats_.oldest_pending_commit_ms =
                open_ ? open_->commit_time_ms : queue_.empty() ? 0 : commit_ms_of(queue_.front());
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
    abort_open();  // stopped between the parts of a transaction
    std::lock_guard lock(mu_);
    tx_open_ = false;
}

}  // namespace ccdr::plugin

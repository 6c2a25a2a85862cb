#include "upstream/shared_log.hpp"

#include "protocol/batch.hpp"

#include <algorithm>
#include <utility>

namespace ccdr::plugin {

SharedLog::SharedLog(HostHandle host, std::string database, uint64_t batch_max_bytes, uint64_t max_cached_bytes)
    : host_(host), database_(std::move(database)), batch_max_(batch_max_bytes), max_cached_bytes_(max_cached_bytes) {}

std::shared_ptr<const LogSlice> SharedLog::find(uint64_t next_tx) {
    std::lock_guard lock(mu_);
    auto it = slices_.find(next_tx);
    if (it == slices_.end()) {
        return nullptr;
    }
    ++counts_.hits;
    hand_out(it->second);
    return it->second;
}

void SharedLog::hand_out(const std::shared_ptr<const LogSlice>& slice) {
    // A stream frames it from now on, outside the lock: no offer may append
    // to it any more.
    if (open_ && open_.get() == slice.get()) {
        open_.reset();
    }
}

void SharedLog::offer(std::span<const ccdr_tx> txs) {
    std::lock_guard lock(mu_);
    if (retired_ || txs.empty()) {
        return;
    }
    if (reading_) {
        // A stream reads at the tip now; the log gives it these.
        ++counts_.dropped_offers;
        return;
    }
    size_t at = 0;
    if (!slices_.empty()) {
        // A stream woken by an earlier commit may have read some of these
        // from the log already (the host publishes a commit before it calls
        // after_commit_txs): skip them.
        while (at < txs.size() && txs[at].tx_id < tip_) {
            ++at;
        }
        if (at == txs.size()) {
            return;
        }
        if (txs[at].tx_id != tip_) {
            ++counts_.dropped_offers;  // a gap: the streams read it, and what follows, from the log
            return;
        }
    }
    for (; at < txs.size(); ++at) {
        const ccdr_tx& tx = txs[at];
        const size_t record = protocol::kTxRecordOverhead + tx.payload.len;
        const bool follows = open_ == nullptr ? (slices_.empty() || tx.tx_id == tip_) : tx.tx_id == open_->last_tx + 1;
        if (record > batch_max_ || (tx.payload.data == nullptr && tx.payload.len > 0) || !follows) {
            // Larger than a batch (read in pieces from the log by the
            // stream that sends it), or not consecutive: from the log.
            ++counts_.dropped_offers;
            return;
        }
        if (!open_ || open_->records.size() + record > batch_max_) {
            auto slice = std::make_shared<LogSlice>();
            slice->first_tx = tx.tx_id;
            slice->first_commit_ms = tx.commit_time_ms;
            slice->records.reserve(std::min<size_t>(batch_max_, 4096));
            open_ = slice;
            slices_.emplace(slice->first_tx, std::move(slice));
        }
        protocol::append_unchained_record(open_->records, tx);
        open_->last_tx = tx.tx_id;
        open_->count += 1;
        open_->payload_bytes += tx.payload.len;
        tip_ = tx.tx_id + 1;
        cached_bytes_ += record;
        ++counts_.offered_txs;
    }
    evict();
}

void SharedLog::retire() {
    std::lock_guard lock(mu_);
    retired_ = true;
    open_.reset();
    slices_.clear();
    cached_bytes_ = 0;
    tip_ = 0;
}

bool SharedLog::retired() const {
    std::lock_guard lock(mu_);
    return retired_;
}

bool SharedLog::wait_for_read(uint64_t next_tx, const std::shared_ptr<runtime::AsyncSignal>& waiter) {
    std::lock_guard lock(mu_);
    if (!reading_ || reading_at_ != next_tx) {
        return false;
    }
    waiters_.push_back(waiter);
    return true;
}

uint64_t SharedLog::tip() const {
    std::lock_guard lock(mu_);
    return tip_;
}

SharedLog::Counts SharedLog::counts() const {
    std::lock_guard lock(mu_);
    Counts out = counts_;
    out.cached_slices = slices_.size();
    out.cached_bytes = cached_bytes_;
    return out;
}

SliceRead SharedLog::obtain(uint64_t next_tx) {
    std::unique_lock lock(mu_);
    for (;;) {
        if (auto it = slices_.find(next_tx); it != slices_.end()) {
            ++counts_.hits;
            hand_out(it->second);
            return {Status(), it->second};
        }
        if (reading_) {
            if (reading_at_ == next_tx || next_tx >= tip_) {
                // The slice this stream wants is being read, or the cache may
                // reach it once that read is published: wait for it. The
                // reader never needs this thread, so the wait ends.
                read_done_.wait(lock);
                continue;
            }
        }
        if (slices_.empty() || next_tx >= tip_) {
            // At (or past) the tip: read the next slice for every stream.
            reading_ = true;
            reading_at_ = next_tx;
            lock.unlock();
            SliceRead got = read(next_tx, UINT64_MAX);
            lock.lock();
            reading_ = false;
            if (got.status && got.slice) {
                ++counts_.reads;
                publish(got.slice);
            }
            auto waiters = std::move(waiters_);
            waiters_.clear();
            lock.unlock();
            read_done_.notify_all();
            for (auto& waiter : waiters) {
                waiter->notify();
            }
            return got;
        }
        // Behind the cache, or in the middle of a slice: read alone, up to
        // the next cached slice, where this stream can share again.
        auto next = slices_.upper_bound(next_tx);
        const uint64_t stop_before = next == slices_.end() ? tip_ : next->first;
        ++counts_.solo_reads;
        lock.unlock();
        return read(next_tx, stop_before);
    }
}

void SharedLog::publish(std::shared_ptr<const LogSlice> slice) {
    if (!slices_.empty() && slice->first_tx != tip_) {
        // A stream ahead of the cache (it subscribed past the tip): the cache
        // starts again there; streams still behind read alone until they reach it.
        slices_.clear();
        cached_bytes_ = 0;
    }
    if (retired_) {
        return;  // the lineage ended while the read ran: keep nothing
    }
    open_.reset();  // the newest slice is now this one, which streams take as it is
    tip_ = slice->last_tx + 1;
    cached_bytes_ += slice->records.size();
    slices_.emplace(slice->first_tx, std::move(slice));
    evict();
}

void SharedLog::evict() {
    // The newest slice always stays (it is the tip the others continue).
    while (cached_bytes_ > max_cached_bytes_ && slices_.size() > 1) {
        cached_bytes_ -= slices_.begin()->second->records.size();
        slices_.erase(slices_.begin());
    }
}

SliceRead SharedLog::read(uint64_t from, uint64_t stop_before) const {
    // The records are encoded without their chain values: each stream
    // computes its own (Batcher::chain_slice).
    // Sized as it grows: a slice at the tip is mostly a transaction or two,
    // and a fresh batch-sized buffer per read costs an mmap and page faults.
    auto slice = std::make_shared<LogSlice>();
    slice->first_tx = from;
    uint64_t next = from;
    Status add_failed;
    const auto visit = [&](const ccdr_tx& tx) {
        if (tx.tx_id >= stop_before) {
            return CCDR_STOPPED;
        }
        if (tx.payload.data == nullptr && tx.payload.len > 0) {
            // Larger than a batch, its payload left in the host's log: a
            // slice of its own, after the transactions before it.
            if (slice->count == 0) {
                slice->unread = true;
                slice->first_commit_ms = tx.commit_time_ms;
                slice->last_tx = tx.tx_id;
                slice->count = 1;
                slice->payload_bytes = tx.payload.len;
            }
            return CCDR_STOPPED;
        }
        if (tx.tx_id != next) {
            add_failed = Status(CCDR_OUT_OF_ORDER, "batch: expected tx " + std::to_string(next) + ", the log gave tx " +
                                                       std::to_string(tx.tx_id));
            return CCDR_STOPPED;
        }
        if (tx.payload.len > UINT32_MAX) {
            add_failed = Status(CCDR_INVALID_ARGUMENT, "tx " + std::to_string(tx.tx_id) + " of " +
                                                           std::to_string(tx.payload.len) +
                                                           " bytes is too large to replicate");
            return CCDR_STOPPED;
        }
        if (slice->count == 0) {
            slice->first_commit_ms = tx.commit_time_ms;
        }
        protocol::append_unchained_record(slice->records, tx);
        slice->last_tx = tx.tx_id;
        slice->count += 1;
        slice->payload_bytes += tx.payload.len;
        ++next;
        return slice->records.size() >= batch_max_ ? CCDR_STOPPED : CCDR_OK;
    };
    Status status;
    if (host_.has_log_tx_reads() && !bounded_unsupported_.load(std::memory_order_relaxed)) {
        status = host_.read_log_bounded(database_, from, batch_max_, batch_max_, visit);
        if (status.code() == CCDR_UNSUPPORTED) {
            // A host keeping HostServer's default: whole transactions from
            // now on (nothing was visited).
            bounded_unsupported_.store(true, std::memory_order_relaxed);
            status = host_.read_log(database_, from, batch_max_, visit);
        }
    } else {
        status = host_.read_log(database_, from, batch_max_, visit);
    }
    if (status && !add_failed) {
        status = add_failed;
    }
    if (!status) {
        return {status, nullptr};
    }
    if (slice->unread) {
        if (slice->last_tx != from) {
            return {Status(CCDR_CORRUPT, "the log of '" + database_ + "' gave tx " + std::to_string(slice->last_tx) +
                                             " when asked for tx " + std::to_string(from)),
                    nullptr};
        }
        return {Status(), std::move(slice)};
    }
    if (slice->count == 0) {
        return {};
    }
    return {Status(), std::move(slice)};
}

std::shared_ptr<SharedLog> SharedLogs::get(const std::string& database, const std::string& store_id,
                                           uint64_t epoch) {
    // The key holds the lineage: a database dropped and created again under
    // the same name (another store id), or promoted elsewhere and back
    // (another epoch), never shares a cache with its former self.
    const std::string lineage = store_id + '\0' + std::to_string(epoch);
    std::lock_guard lock(mu_);
    for (auto db = logs_.begin(); db != logs_.end();) {
        for (auto it = db->second.begin(); it != db->second.end();) {
            it = it->second.expired() ? db->second.erase(it) : std::next(it);
        }
        db = db->second.empty() ? logs_.erase(db) : std::next(db);
    }
    auto& slot = logs_[database][lineage];
    if (auto found = slot.lock(); found && !found->retired()) {
        return found;
    }
    // A retired log may still be held by a stream that is ending: the new
    // streams start a fresh one.
    auto made = std::make_shared<SharedLog>(host_, database, batch_max_, SharedLog::kCachedBatches * batch_max_);
    slot = made;
    return made;
}

void SharedLogs::offer(std::string_view database, std::span<const ccdr_tx> txs) {
    std::lock_guard lock(mu_);
    auto db = logs_.find(database);
    if (db == logs_.end()) {
        return;  // no stream serves it: nothing to keep
    }
    for (auto& [lineage, weak] : db->second) {
        if (auto log = weak.lock()) {
            log->offer(txs);
        }
    }
}

void SharedLogs::retire(std::string_view database) {
    std::lock_guard lock(mu_);
    auto db = logs_.find(database);
    if (db == logs_.end()) {
        return;
    }
    for (auto& [lineage, weak] : db->second) {
        if (auto log = weak.lock()) {
            log->retire();
        }
    }
}

}  // namespace ccdr::plugin

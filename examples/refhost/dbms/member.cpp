#include "dbms/member.hpp"

namespace refhost {

void Member::set_store(std::shared_ptr<MemberStore> store) {
    store->set_on_durable([this](uint64_t tx, int64_t time) {
        advanced(tx, time);
        if (on_durable) {
            on_durable(tx, time);
        }
    });
    if (on_durable_txs) {
        store->set_on_durable_txs([this](std::span<const ccdr_tx> txs) {
            advanced(txs.back().tx_id, txs.back().commit_time_ms);
            on_durable_txs(txs);
        });
    }
    uint64_t tx = store->last_committed();
    int64_t time = store->state().last_time_ms;
    {
        std::lock_guard lock(store_mu_);
        store_ = std::move(store);
    }
    // A fresh store may be behind the old one (never in practice: imports
    // only move forward); the store's own position is the truth.
    last_tx_.store(tx, std::memory_order_release);
    last_time_.store(time, std::memory_order_release);
    {
        std::lock_guard lock(wait_mu_);
    }
    wait_cv_.notify_all();
}

void Member::advanced(uint64_t tx, int64_t time_ms) {
    last_time_.store(time_ms, std::memory_order_release);
    last_tx_.store(tx, std::memory_order_release);
    {
        std::lock_guard lock(wait_mu_);
    }
    wait_cv_.notify_all();
}

bool Member::wait_for(uint64_t tx, std::chrono::milliseconds timeout) {
    if (last_tx() >= tx) {
        return true;
    }
    std::unique_lock lock(wait_mu_);
    return wait_cv_.wait_for(lock, timeout, [&] { return last_tx() >= tx; });
}

void Member::tx_opened(bool write) {
    metrics_.started.fetch_add(1, std::memory_order_relaxed);
    auto& active = write ? metrics_.active_write : metrics_.active_read;
    active.fetch_add(1, std::memory_order_relaxed);
    int64_t now = metrics_.active_read.load(std::memory_order_relaxed) + metrics_.active_write.load(std::memory_order_relaxed);
    int64_t peak = metrics_.peak_concurrent.load(std::memory_order_relaxed);
    while (now > peak && !metrics_.peak_concurrent.compare_exchange_weak(peak, now)) {
    }
}

void Member::tx_closed(bool write, bool committed) {
    (write ? metrics_.active_write : metrics_.active_read).fetch_sub(1, std::memory_order_relaxed);
    if (committed) {
        metrics_.committed.fetch_add(1, std::memory_order_relaxed);
        (write ? metrics_.committed_write : metrics_.committed_read).fetch_add(1, std::memory_order_relaxed);
    } else {
        metrics_.rollbacks.fetch_add(1, std::memory_order_relaxed);
        (write ? metrics_.rollbacks_write : metrics_.rollbacks_read).fetch_add(1, std::memory_order_relaxed);
    }
}

}  // namespace refhost

// examples/refhost/dbms/member.hpp: one member (copy) of a database on one
// logical server, at run time: its store (swapped whole by a snapshot
// import), its state, its last committed tx (bookmark waits), and its
// transaction counters (metrics).
#pragma once

#include "store/member_store.hpp"

#include <ccdr/abi.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

namespace refhost {

struct MemberMetrics {
    std::atomic<int64_t> started{0}, committed{0}, committed_read{0}, committed_write{0}, rollbacks{0},
        rollbacks_read{0}, rollbacks_write{0}, active_read{0}, active_write{0}, peak_concurrent{0}, applied{0};
};

class Member {
public:
    Member(std::string database, size_t server, std::string server_id, ccdr_member_role role)
        : database_(std::move(database)), server_(server), server_id_(std::move(server_id)), role_(role) {}

    const std::string& database() const { return database_; }
    size_t server() const { return server_; }
    const std::string& server_id() const { return server_id_; }
    ccdr_member_role role() const { return role_.load(); }
    void set_role(ccdr_member_role r) { role_.store(r); }
    bool writer() const { return writer_.load(); }
    void set_writer(bool w) { writer_.store(w); }
    ccdr_database_state state() const { return state_.load(); }
    void set_state(ccdr_database_state s) { state_.store(s); }
    bool online() const { return state_.load() == CCDR_DB_ONLINE; }
    // Online, or stopping: a stopping member refuses new transactions but
    // lets the open ones write and commit until the stop terminates them.
    bool accepts_commits() const {
        auto s = state_.load();
        return s == CCDR_DB_ONLINE || s == CCDR_DB_STOPPING;
    }

    std::shared_ptr<MemberStore> store() const {
        std::lock_guard lock(store_mu_);
        return store_;
    }
    // Installs a store (at open, or after a snapshot import) and routes its
    // durability notifications to `on_durable`.
    void set_store(std::shared_ptr<MemberStore> store);
    std::function<void(uint64_t, int64_t)> on_durable;
    // When set before set_store: durability notifications that carry the
    // transactions themselves go here instead (MemberStore::set_on_durable_txs).
    std::function<void(std::span<const ccdr_tx>)> on_durable_txs;

    uint64_t last_tx() const { return last_tx_.load(std::memory_order_acquire); }
    int64_t last_time_ms() const { return last_time_.load(std::memory_order_acquire); }
    // Called whenever transactions up to tx became durable here.
    void advanced(uint64_t tx, int64_t time_ms);
    // Waits until last_tx() >= tx; false on timeout.
    bool wait_for(uint64_t tx, std::chrono::milliseconds timeout);

    MemberMetrics& metrics() { return metrics_; }
    // Counts a transaction opening/closing, for active/peak gauges.
    void tx_opened(bool write);
    void tx_closed(bool write, bool committed);

private:
    std::string database_;
    size_t server_;
    std::string server_id_;
    std::atomic<ccdr_member_role> role_;
    std::atomic<bool> writer_{false};
    std::atomic<ccdr_database_state> state_{CCDR_DB_OFFLINE};

    mutable std::mutex store_mu_;
    std::shared_ptr<MemberStore> store_;

    std::atomic<uint64_t> last_tx_{0};
    std::atomic<int64_t> last_time_{0};
    std::mutex wait_mu_;
    std::condition_variable wait_cv_;

    MemberMetrics metrics_;
};

}  // namespace refhost

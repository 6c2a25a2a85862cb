#include "store/member_store.hpp"

#include "common/clock.hpp"
#include "store/file_util.hpp"
#include "store/member_generations.hpp"

#include <cstdio>
#include <optional>

namespace refhost {

namespace fs = std::filesystem;
using namespace generations;

MemberStore::MemberStore(fs::path dir, fs::path file, Options options)
    : dir_(std::move(dir)), file_(std::move(file)), options_(options) {
    if (!options_.background_checkpoints) {
        return;
    }
    // The checkpointer's second step holds the write lock (wal_checkpointer.hpp).
    auto lock_writes = [this](std::chrono::milliseconds wait) -> std::function<void()> {
        auto lock = lock_for_write(wait);
        if (!lock) {
            return {};
        }
        auto held = std::make_shared<WriteLock>(std::move(lock.value()));
        return [held] { held->release(); };
    };
    checkpointer_ = std::make_unique<WalCheckpointer>(file_.string(), options_.checkpoint_trigger_pages,
                                                      8 * options_.checkpoint_trigger_pages, lock_writes);
}

MemberStore::~MemberStore() {
    // The thread stops first (it may hold a connection and the write lock).
    checkpointer_.reset();
    {
        std::lock_guard lock(pool_mu_);
        pool_.clear();
    }
    if (delete_files_.load()) {
        remove_db_files(file_);
        std::error_code ec;
        if (fs::is_empty(dir_, ec)) {
            fs::remove(dir_, ec);
        }
    }
}

ccdr::Result<std::shared_ptr<MemberStore>> MemberStore::open(const fs::path& dir, const std::string& store_id,
                                                             Options options) {
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) {
        return ccdr::Status(CCDR_IO_ERROR, "cannot create store directory " + dir.string() + ": " + ec.message());
    }
    fs::path file;
    auto current = read_small_file(dir / kCurrent);
    if (current) {
        std::string name = *current;
        while (!name.empty() && (name.back() == '\n' || name.back() == '\r')) {
            name.pop_back();
        }
        file = dir / name;
        if (name.empty() || !fs::exists(file)) {
            return ccdr::Status(CCDR_CORRUPT, "store directory " + dir.string() + ": CURRENT names '" + name +
                                                  "', which does not exist");
        }
    } else {
        if (store_id.empty()) {
            return ccdr::Status(CCDR_INVALID_ARGUMENT, "creating a store in " + dir.string() + " needs a store id");
        }
        file = dir / graph_file_name(next_generation(dir));
        remove_db_files(file);
        ccdr::Status st = create_store_file(file, store_id, true);
        if (st) {
            st = write_file_atomically(dir / kCurrent, file.filename().string() + "\n");
        }
        if (!st) {
            return st.with_context("creating store " + file.string());
        }
    }
    std::shared_ptr<MemberStore> store(new MemberStore(dir, file, options));
    ccdr::Status st = store->load_state();
    if (!st) {
        return st;
    }
    if (!store_id.empty() && store->store_id_ != store_id) {
        return ccdr::Status(CCDR_CORRUPT, "store " + file.string() + " belongs to store id " + store->store_id_ +
                                              ", expected " + store_id);
    }
    return store;
}

ccdr::Status MemberStore::load_state() {
    StoreState s;
    {
        auto lease = connection();
        if (!lease) {
            return lease.status();
        }
        ccdr::Status st = (*lease)->read_state(s);
        if (!st) {
            return st;
        }
    }
    store_id_ = s.store_id;
    ccdr::Status st = open_log(s);
    if (!st) {
        return st;
    }
    record_commit(s);
    publish(s);
    return {};
}

void MemberStore::publish(const StoreState& s) {
    uint64_t last = 0;
    {
        std::lock_guard lock(state_mu_);
        // A sync publishes what was written when it started; a pruning pass
        // that committed meanwhile may already have moved oldest_retained.
        uint64_t oldest = std::max(state_.oldest_retained, s.oldest_retained);
        if (s.last_tx >= state_.last_tx) {
            state_ = s;
        }
        state_.oldest_retained = oldest;
        last = state_.last_tx;
    }
    last_tx_.store(last, std::memory_order_release);
}

StoreState MemberStore::written_state() const {
    std::lock_guard lock(state_mu_);
    return written_;
}

void MemberStore::record_commit(const StoreState& s) {
    std::lock_guard lock(state_mu_);
    written_ = s;
}

StoreState MemberStore::state() const {
    std::lock_guard lock(state_mu_);
    return state_;
}

ccdr_log_info MemberStore::log_info() const {
    StoreState s = state();
    ccdr_log_info info{};
    info.hdr = ccdr_header CCDR_HEADER_INIT(ccdr_log_info);
    info.last_committed_tx = s.last_tx;
    info.last_commit_time_ms = s.last_time_ms;
    info.oldest_retained_tx = s.oldest_retained;
    return info;
}

// --- connections -------------------------------------------------------------

MemberStore::Lease::~Lease() {
    if (conn_ && store_) {
        conn_->rollback();
        store_->give_back(std::move(conn_));
    }
}

ccdr::Result<MemberStore::Lease> MemberStore::connection() {
    std::unique_ptr<StoreConnection> conn;
    {
        std::lock_guard lock(pool_mu_);
        if (!pool_.empty()) {
            conn = std::move(pool_.back());
            pool_.pop_back();
        }
    }
    if (!conn) {
        // synchronous=NORMAL: commits do not sync; make_durable does, for
        // a group of them (the file comment of member_store.hpp).
        auto opened = StoreConnection::open(file_.string(), false, options_.running_fingerprint);
        if (!opened) {
            return opened.status();
        }
        conn = std::move(opened.value());
        if (checkpointer_) {
            checkpointer_->attach(conn->db().get());
        }
    }
    return Lease(shared_from_this(), std::move(conn));
}

void MemberStore::give_back(std::unique_ptr<StoreConnection> conn) {
    std::lock_guard lock(pool_mu_);
    pool_.push_back(std::move(conn));
}

// --- the writer ----------------------------------------------------------------

void MemberStore::WriteLock::release() {
    if (s_ != nullptr) {
        s_->unlock();
        s_ = nullptr;
    }
}

void MemberStore::unlock() { write_queue_.release(); }

ccdr::Result<MemberStore::WriteLock> MemberStore::lock_for_write() { return lock_for_write(options_.lock_timeout); }

ccdr::Result<MemberStore::WriteLock> MemberStore::lock_for_write(std::chrono::milliseconds timeout) {
    switch (write_queue_.acquire_blocking(timeout)) {
        case WriteLockQueue::Grant::Granted: return WriteLock(this);
        case WriteLockQueue::Grant::Retired:
            return ccdr::Status(CCDR_STOPPED, "the store " + file_.string() + " was replaced or dropped");
        case WriteLockQueue::Grant::TimedOut:
        case WriteLockQueue::Grant::Cancelled: break;
    }
    return ccdr::Status(CCDR_TIMEOUT, "could not acquire the write lock of " + dir_.string() + " within " +
                                          std::to_string(timeout.count()) + " ms");
}

void MemberStore::retire(bool delete_files) {
    if (delete_files) {
        delete_files_.store(true);
        // A dropped store stops being the directory's live store at once;
        // after an import CURRENT already names the new file and stays.
        auto current = read_small_file(dir_ / kCurrent);
        if (current && *current == file_.filename().string() + "\n") {
            std::error_code ec;
            fs::remove(dir_ / kCurrent, ec);
        }
    }
    retired_.store(true);
    write_queue_.retire();
}

ccdr::Result<CommitStamp> MemberStore::commit_write(WriteLock& lock, StoreConnection& conn,
                                                    std::span<const uint8_t> payload, const IdHighWater& ids) {
    if (!lock.held()) {
        return ccdr::Status(CCDR_INTERNAL, "commit without the write lock");
    }
    StoreState s = written_state();
    s.last_tx += 1;
    s.last_time_ms = std::max(now_ms(), s.last_time_ms);
    s.next_node_id = std::max(s.next_node_id, ids.next_node_id);
    s.next_rel_id = std::max(s.next_rel_id, ids.next_rel_id);
    // The record goes to the log before the graph commits: a crash can leave
    // the log ahead of the graph (replayed at open), never behind.
    auto fp = conn.advance_fingerprint(s.last_tx);
    ccdr::Status indexed = fp ? conn.flush_label_index() : fp.status();
    if (!indexed) {
        conn.rollback();
        return indexed;
    }
    const SegmentLog::Mark mark = log_->mark();
    const SegmentLog::Entry entry{s.last_tx, s.last_time_ms, *fp, payload};
    ccdr::Status st = log_->append({&entry, 1});
    const bool appended = static_cast<bool>(st);
    if (st) {
        st = conn.write_state(s);
    }
    if (st) {
        st = conn.commit();
    }
    if (!st) {
        conn.rollback();
        if (appended) {
            ccdr::Status undone = log_->rollback(mark);
            if (!undone) {
                st = st.with_context(undone.message());
            }
        }
        return st;
    }
    // Kept before the commit is visible to a sync (record_commit), so the
    // sync that covers it finds its copy.
    if (tail_) {
        tail_->add(s.last_tx, s.last_time_ms, payload);
    }
    record_commit(s);
    return CommitStamp{s.last_tx, s.last_time_ms};
}

void MemberStore::set_on_durable_txs(DurableTail::Handover fn) {
    on_durable_txs_ = std::move(fn);
    tail_ = on_durable_txs_ ? std::make_unique<DurableTail>() : nullptr;
}

ccdr::Status MemberStore::make_durable(uint64_t tx_id) {
    std::unique_lock lock(sync_mu_);
    for (;;) {
        if (!sync_failure_) {
            return sync_failure_;
        }
        if (last_committed() >= tx_id) {
            return {};
        }
        if (syncing_) {
            sync_cv_.wait(lock);
            continue;
        }
        // This thread syncs for everyone: what was written before the sync
        // starts is durable when it ends.
        syncing_ = true;
        lock.unlock();
        StoreState target = written_state();
        ccdr::Status st = log_->sync();
        if (st) {
            publish(target);
            const bool handed = tail_ && tail_->deliver(target.last_tx, on_durable_txs_);
            if (!handed && on_durable_) {
                on_durable_(target.last_tx, target.last_time_ms);
            }
        }
        lock.lock();
        syncing_ = false;
        if (!st) {
            sync_failure_ = st.with_context("making transactions up to " + std::to_string(target.last_tx) +
                                            " of " + file_.string() + " durable");
        }
        sync_cv_.notify_all();
        if (target.last_tx < tx_id && st) {
            return ccdr::Status(CCDR_INTERNAL, "tx " + std::to_string(tx_id) + " was never committed in " +
                                                   file_.string() + " (written up to " +
                                                   std::to_string(target.last_tx) + ")");
        }
    }
}

ccdr::Status MemberStore::apply(WriteLock& lock, std::span<const ccdr_tx> txs, ApplyTiming* timing) {
    if (!lock.held()) {
        return {CCDR_INTERNAL, "apply without the write lock"};
    }
    if (txs.empty()) {
        return {};
    }
    StoreState s = written_state();
    for (size_t i = 0; i < txs.size(); ++i) {
        if (txs[i].tx_id != s.last_tx + 1 + i) {
            return {CCDR_OUT_OF_ORDER, "expected tx " + std::to_string(s.last_tx + 1 + i) + " at position " +
                                           std::to_string(i) + " of the batch, got tx " +
                                           std::to_string(txs[i].tx_id) + " (last committed is " +
                                           std::to_string(s.last_tx) + ")"};
        }
    }
    ApplyTiming unused;
    ApplyTiming& times = timing != nullptr ? *timing : unused;
    auto phase_start = std::chrono::steady_clock::now();
    auto lease = connection();
    if (!lease) {
        return lease.status();
    }
    StoreConnection& c = **lease;
    ccdr::Status st = c.begin_write();
    if (!st) {
        return st;
    }
    IdHighWater ids{s.next_node_id, s.next_rel_id};
    int64_t fail_at = fail_apply_at_.exchange(-1);
    std::vector<SegmentLog::Entry> entries;
    entries.reserve(txs.size());
    for (size_t i = 0; i < txs.size(); ++i) {
        if (fail_at >= 0 && static_cast<size_t>(fail_at) == i) {
            st = ccdr::Status(CCDR_IO_ERROR, "injected failure at position " + std::to_string(i) + " of the batch");
            break;
        }
        std::span<const uint8_t> payload(txs[i].payload.data, txs[i].payload.len);
        st = c.apply_record(payload, ids);
        std::optional<std::array<uint8_t, 16>> fp;
        if (st) {
            auto moved = c.advance_fingerprint(txs[i].tx_id);
            if (moved) {
                fp = *moved;
            } else {
                st = moved.status();
            }
        }
        if (!st) {
            st = st.with_context("tx " + std::to_string(txs[i].tx_id));
            break;
        }
        entries.push_back({txs[i].tx_id, txs[i].commit_time_ms, fp, payload});
    }
    if (st) {
        st = c.flush_label_index();
    }
    if (st) {
        s.last_tx = txs.back().tx_id;
        s.last_time_ms = txs.back().commit_time_ms;
        s.next_node_id = ids.next_node_id;
        s.next_rel_id = ids.next_rel_id;
        st = c.write_state(s);
    }
    // As a user commit: the batch is appended to the log, the graph
    // commits (readers of this member see it from here), and make_durable
    // syncs the log before apply_batch returns, so after_commit, the
    // member's last committed id and the plugin's ACK still follow the
    // fsync. Syncing before the graph's commit kept the fsync (p99 1.3 ms
    // at 1 000 tx/s) inside the commit-to-visible lag (docs/benchmarks.md,
    // "where the milliseconds go"). A process crash loses neither (both are
    // written); an OS crash can leave the graph ahead of its log, which
    // opening handles as for a user commit (member_recovery.cpp).
    times.statements = elapsed_since(phase_start);
    const SegmentLog::Mark mark = log_->mark();
    bool appended = false;
    if (st) {
        phase_start = std::chrono::steady_clock::now();
        st = log_->append(entries);
        appended = static_cast<bool>(st);
        times.log_append = elapsed_since(phase_start);
    }
    if (st) {
        phase_start = std::chrono::steady_clock::now();
        st = c.commit();
        times.graph_commit = elapsed_since(phase_start);
    }
    if (!st) {
        c.rollback();
        if (appended) {
            ccdr::Status undone = log_->rollback(mark);
            if (!undone) {
                st = st.with_context(undone.message());
            }
        }
        return st;
    }
    if (tail_) {
        size_t bytes = 0;
        for (const auto& e : entries) {
            bytes += e.payload.size();
        }
        if (bytes > DurableTail::kMaxBytes) {
            tail_->skip();  // a catch-up's batch: read in one slice anyway, not worth a copy
        } else {
            for (const auto& e : entries) {
                tail_->add(e.tx_id, e.time_ms, e.payload);
            }
        }
    }
    record_commit(s);
    phase_start = std::chrono::steady_clock::now();
    st = make_durable(s.last_tx);
    times.durable = elapsed_since(phase_start);
    return st;
}

}  // namespace refhost

#include "store/member_store.hpp"

#include "common/clock.hpp"
#include "store/file_util.hpp"

#include <openssl/evp.h>

#include <cstdio>
#include <cstring>

namespace refhost {

namespace fs = std::filesystem;

namespace {

constexpr const char* kCurrent = "CURRENT";

// Generation of "graph-<n>.db" / "import-<n>.tmp", or 0.
uint64_t generation_of(const std::string& name) {
    for (const char* prefix : {"graph-", "import-"}) {
        size_t plen = std::strlen(prefix);
        if (name.compare(0, plen, prefix) == 0) {
            uint64_t g = 0;
            size_t i = plen;
            while (i < name.size() && name[i] >= '0' && name[i] <= '9') {
                g = g * 10 + static_cast<uint64_t>(name[i] - '0');
                ++i;
            }
            return i > plen ? g : 0;
        }
    }
    return 0;
}

uint64_t next_generation(const fs::path& dir) {
    uint64_t max = 0;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir, ec)) {
        max = std::max(max, generation_of(e.path().filename().string()));
    }
    return max + 1;
}

std::string graph_file_name(uint64_t gen) { return "graph-" + std::to_string(gen) + ".db"; }

void remove_db_files(const fs::path& file) {
    std::error_code ec;
    for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
        fs::remove(file.string() + suffix, ec);
    }
}

ccdr::Status create_store_file(const fs::path& file, const std::string& store_id, bool wal) {
    auto db = sql::Connection::open(file.string(), true);
    if (!db) {
        return db.status();
    }
    ccdr::Status st = db->exec(wal ? "PRAGMA journal_mode=WAL" : "PRAGMA journal_mode=DELETE");
    if (st) {
        st = db->exec("PRAGMA synchronous=FULL");
    }
    if (st) {
        st = StoreConnection::create_schema(*db, store_id);
    }
    db->close();
    if (st) {
        st = fsync_path(file);
    }
    return st;
}

}  // namespace

MemberStore::MemberStore(fs::path dir, fs::path file, Options options)
    : dir_(std::move(dir)), file_(std::move(file)), options_(options) {}

MemberStore::~MemberStore() {
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

void MemberStore::remove_unreferenced_files(const fs::path& dir) {
    auto current = read_small_file(dir / kCurrent);
    std::string live = current ? *current : std::string();
    while (!live.empty() && (live.back() == '\n' || live.back() == '\r')) {
        live.pop_back();
    }
    std::error_code ec;
    std::vector<fs::path> doomed;
    for (const auto& e : fs::directory_iterator(dir, ec)) {
        std::string name = e.path().filename().string();
        if (name == kCurrent || (!live.empty() && name.compare(0, live.size(), live) == 0)) {
            continue;
        }
        if (generation_of(name) != 0 || name.find(".tmp") != std::string::npos) {
            doomed.push_back(e.path());
        }
    }
    for (const auto& p : doomed) {
        fs::remove(p, ec);
    }
}

fs::path MemberStore::next_generation_file(const fs::path& dir) { return dir / graph_file_name(next_generation(dir)); }

ccdr::Status MemberStore::create_empty_file(const fs::path& file, const std::string& store_id) {
    remove_db_files(file);
    return create_store_file(file, store_id, true);
}

ccdr::Status MemberStore::make_live(const fs::path& dir, const fs::path& file) {
    ccdr::Status st = fsync_path(dir);
    if (st) {
        st = write_file_atomically(dir / kCurrent, file.filename().string() + "\n");
    }
    return st;
}

void MemberStore::remove_file(const fs::path& file) { remove_db_files(file); }

ccdr::Status MemberStore::load_state() {
    auto lease = connection();
    if (!lease) {
        return lease.status();
    }
    StoreState s;
    ccdr::Status st = (*lease)->read_state(s);
    if (!st) {
        return st;
    }
    store_id_ = s.store_id;
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
    ccdr::Status st = conn.append_log(s.last_tx, s.last_time_ms, payload);
    if (st) {
        st = conn.write_state(s);
    }
    if (st) {
        st = conn.commit();
    }
    if (!st) {
        conn.rollback();
        return st;
    }
    record_commit(s);
    return CommitStamp{s.last_tx, s.last_time_ms};
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
        bool first = !wal_dir_synced_;
        lock.unlock();
        StoreState target = written_state();
        ccdr::Status st;
        if (options_.sync_commits) {
            st = fsync_path(file_.string() + "-wal");
            if (st && first) {
                st = fsync_path(dir_);  // a new WAL file's directory entry
            }
        }
        if (st) {
            publish(target);
            if (on_durable_) {
                on_durable_(target.last_tx, target.last_time_ms);
            }
        }
        lock.lock();
        syncing_ = false;
        if (st) {
            wal_dir_synced_ = true;
        } else {
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

ccdr::Status MemberStore::apply(WriteLock& lock, std::span<const ccdr_tx> txs) {
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
    for (size_t i = 0; i < txs.size(); ++i) {
        if (fail_at >= 0 && static_cast<size_t>(fail_at) == i) {
            st = ccdr::Status(CCDR_IO_ERROR, "injected failure at position " + std::to_string(i) + " of the batch");
            break;
        }
        std::span<const uint8_t> payload(txs[i].payload.data, txs[i].payload.len);
        st = c.apply_record(payload, ids);
        if (st) {
            st = c.append_log(txs[i].tx_id, txs[i].commit_time_ms, payload);
        }
        if (!st) {
            st = st.with_context("tx " + std::to_string(txs[i].tx_id));
            break;
        }
    }
    if (st) {
        s.last_tx = txs.back().tx_id;
        s.last_time_ms = txs.back().commit_time_ms;
        s.next_node_id = ids.next_node_id;
        s.next_rel_id = ids.next_rel_id;
        st = c.write_state(s);
    }
    if (st) {
        st = c.commit();
    }
    if (!st) {
        c.rollback();
        return st;
    }
    record_commit(s);
    return make_durable(s.last_tx);
}

// --- the log -------------------------------------------------------------------

ccdr::Status MemberStore::read_log(uint64_t from_tx, uint64_t max_bytes, const TxVisitor& visit) {
    auto lease = connection();
    if (!lease) {
        return lease.status();
    }
    StoreConnection& c = **lease;
    // Read before the snapshot opens, so the snapshot holds at least this
    // much; anything after it may not be durable yet and is not shipped.
    uint64_t durable = last_committed();
    ccdr::Status st = c.begin_read();
    if (!st) {
        return st;
    }
    StoreState s;
    st = c.read_state(s);
    if (!st) {
        return st;
    }
    if (from_tx < s.oldest_retained) {
        return {CCDR_LOG_PRUNED, "transactions before " + std::to_string(s.oldest_retained) +
                                     " were pruned from the log (asked from " + std::to_string(from_tx) +
                                     ", last committed " + std::to_string(s.last_tx) + ")"};
    }
    uint64_t bytes = 0;
    uint64_t expected = from_tx;
    ccdr_status stop = CCDR_OK;
    ccdr::Status gap;
    st = c.scan_log(from_tx, [&](uint64_t id, int64_t time, std::span<const uint8_t> payload) {
        if (expected > durable) {
            return false;
        }
        if (id != expected) {
            gap = ccdr::Status(CCDR_CORRUPT, "the transaction log has a gap: expected tx " +
                                                 std::to_string(expected) + ", found " + std::to_string(id));
            return false;
        }
        if (expected > from_tx && bytes + payload.size() > max_bytes) {
            return false;
        }
        ccdr_tx tx{id, time, ccdr_bytes{payload.data(), payload.size()}};
        stop = visit(tx);
        bytes += payload.size();
        ++expected;
        return stop == CCDR_OK && bytes < max_bytes;
    });
    if (!st) {
        return st;
    }
    if (!gap) {
        return gap;
    }
    if (stop != CCDR_OK && stop != CCDR_STOPPED) {
        return {stop, "the visitor stopped reading the log with status " + std::to_string(stop)};
    }
    return {};
}

ccdr::Result<uint64_t> MemberStore::prune(const RetentionPolicy& policy, int64_t now, const LogHold& hold) {
    if (policy.kind == RetentionPolicy::Kind::KeepAll) {
        return uint64_t{0};
    }
    StoreState before = state();
    // Nothing to prune; a hold is still asked (it records the positions of
    // the replicas it serves even while the log is this short).
    if (before.last_tx == 0 || (!hold && before.oldest_retained >= before.last_tx)) {
        return uint64_t{0};
    }
    // Only age changes without new transactions; the other policies have
    // nothing new to prune until the log grows. A hold is asked every pass:
    // its cap is an age too, and it sees the log's growth stop.
    if (!hold && policy.kind != RetentionPolicy::Kind::Age && before.last_tx == pruned_at_tx_.load()) {
        return uint64_t{0};
    }
    auto lock = lock_for_write(std::chrono::milliseconds(200));
    if (!lock) {
        return lock.status().code() == CCDR_TIMEOUT ? ccdr::Result<uint64_t>(uint64_t{0})
                                                    : ccdr::Result<uint64_t>(lock.status());
    }
    auto lease = connection();
    if (!lease) {
        return lease.status();
    }
    StoreConnection& c = **lease;
    ccdr::Status st = c.begin_write();
    if (!st) {
        return st;
    }
    StoreState s;
    st = c.read_state(s);
    if (!st) {
        return st;
    }
    uint64_t keep_from = s.last_tx;
    switch (policy.kind) {
        case RetentionPolicy::Kind::KeepAll:
        case RetentionPolicy::Kind::KeepNone: break;
        case RetentionPolicy::Kind::Transactions:
            keep_from = s.last_tx >= policy.amount ? s.last_tx - policy.amount + 1 : 1;
            break;
        case RetentionPolicy::Kind::Bytes: {
            auto q = c.db().prepare("SELECT id, length(payload) FROM txlog ORDER BY id DESC");
            if (!q) {
                return q.status();
            }
            uint64_t total = 0;
            int rc = 0;
            while ((rc = q->step()) == SQLITE_ROW) {
                total += static_cast<uint64_t>(q->int64(1));
                if (total > policy.amount) {
                    break;
                }
                keep_from = static_cast<uint64_t>(q->int64(0));
            }
            if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
                return c.error("measuring the log", rc);
            }
            break;
        }
        case RetentionPolicy::Kind::Age: {
            // Commit times grow with ids: walk from the oldest entry and stop
            // at the first young enough (few rows, as pruning runs often).
            auto q = c.db().prepare("SELECT id FROM txlog WHERE time >= ? ORDER BY id LIMIT 1");
            if (!q) {
                return q.status();
            }
            q->bind(1, now - policy.age_ms);
            int rc = q->step();
            if (rc == SQLITE_ROW) {
                keep_from = static_cast<uint64_t>(q->int64(0));
            } else if (rc != SQLITE_DONE) {
                return c.error("reading the log's age", rc);
            }
            break;
        }
    }
    keep_from = std::min(keep_from, s.last_tx);
    if (hold) {
        keep_from = std::min(keep_from, ask_hold(c, s, keep_from, now, hold));
    }
    pruned_at_tx_.store(s.last_tx);
    if (keep_from <= s.oldest_retained) {
        return uint64_t{0};
    }
    {
        auto del = c.db().prepare("DELETE FROM txlog WHERE id < ?");
        if (!del) {
            return del.status();
        }
        del->bind(1, keep_from);
        st = sql::step_done(c.db(), *del, "pruning the log");
    }
    uint64_t removed = keep_from - s.oldest_retained;
    s.oldest_retained = keep_from;
    if (st) {
        st = c.write_state(s);
    }
    if (st) {
        st = c.commit();
    }
    if (!st) {
        c.rollback();
        return st;
    }
    // Only oldest_retained is news here: last_tx may not be durable yet, and
    // a pruning pass lost in a crash merely leaves more log than needed.
    record_commit(s);
    StoreState durable = state();
    durable.oldest_retained = s.oldest_retained;
    publish(durable);
    return removed;
}

uint64_t MemberStore::ask_hold(StoreConnection& c, const StoreState& s, uint64_t keep_from, int64_t now,
                               const LogHold& hold) {
    // measure_log reads through the pruning transaction's connection: the
    // plugin sees exactly the log this pass prunes.
    struct Measure {
        StoreConnection* c;
        const StoreState* s;
    } measure{&c, &s};
    ccdr_log_prune_info info{};
    info.hdr = ccdr_header CCDR_HEADER_INIT(ccdr_log_prune_info);
    // info.database is the caller's to fill: a store does not know its name.
    info.oldest_retained_tx = s.oldest_retained;
    info.last_committed_tx = s.last_tx;
    info.last_commit_time_ms = s.last_time_ms;
    info.retention_keep_from_tx = keep_from;
    info.now_ms = now;
    info.log_ctx = &measure;
    info.measure_log = [](void* ctx, uint64_t from_tx, uint64_t* bytes, int64_t* time) -> ccdr_status {
        auto* m = static_cast<Measure*>(ctx);
        if (bytes == nullptr || time == nullptr) {
            return CCDR_INVALID_ARGUMENT;
        }
        *bytes = 0;
        *time = 0;
        if (from_tx < m->s->oldest_retained) {
            return CCDR_LOG_PRUNED;
        }
        if (from_tx > m->s->last_tx) {
            return CCDR_OK;
        }
        auto q = m->c->db().prepare(
            "SELECT coalesce(sum(length(payload)), 0), (SELECT time FROM txlog WHERE id = ?1) FROM txlog "
            "WHERE id >= ?1");
        if (!q) {
            return CCDR_IO_ERROR;
        }
        q->bind(1, static_cast<int64_t>(from_tx));
        if (q->step() != SQLITE_ROW) {
            return CCDR_IO_ERROR;
        }
        *bytes = static_cast<uint64_t>(q->int64(0));
        *time = q->int64(1);
        return CCDR_OK;
    };
    const uint64_t answer = hold(info);
    return std::max(answer, s.oldest_retained);
}

// --- snapshots -------------------------------------------------------------------

ccdr::Status MemberStore::export_snapshot(const std::function<ccdr_status(const ccdr_snapshot_info&)>& begin,
                                          const std::function<ccdr_status(std::span<const uint8_t>)>& chunk,
                                          size_t chunk_bytes) {
    fs::path temp = dir_ / ("export-" + random_hex(8) + ".tmp");
    struct Cleanup {
        fs::path p;
        ~Cleanup() { remove_db_files(p); }
    } cleanup{temp};
    StoreState s;
    {
        auto lease = connection();
        if (!lease) {
            return lease.status();
        }
        StoreConnection& c = **lease;
        ccdr::Status st = c.begin_read();
        if (!st) {
            return st;
        }
        st = c.read_state(s);
        if (!st) {
            return st;
        }
        // A snapshot never carries a transaction that is not durable here.
        st = make_durable(s.last_tx);
        if (!st) {
            return st;
        }
        auto dest = sql::Connection::open(temp.string(), true);
        if (!dest) {
            return dest.status();
        }
        sqlite3_backup* b = sqlite3_backup_init(dest->get(), "main", c.db().get(), "main");
        if (b == nullptr) {
            return dest->error("starting the snapshot backup", sqlite3_errcode(dest->get()));
        }
        // One step copies every page inside the read transaction opened
        // above: the copy is exactly the state read there.
        int rc = sqlite3_backup_step(b, -1);
        int fin = sqlite3_backup_finish(b);
        if (rc != SQLITE_DONE || fin != SQLITE_OK) {
            return dest->error("copying the store for a snapshot", rc != SQLITE_DONE ? rc : fin);
        }
        c.rollback();
        // The copy leaves without its log, as one self-contained file (its
        // running value settled into its table first).
        st = dest->exec("PRAGMA journal_mode=DELETE; " + std::string(kSettleRunningValueSql) +
                        "; DELETE FROM txlog; UPDATE state SET oldest_retained = last_tx + 1; VACUUM");
        if (!st) {
            return st.with_context("preparing the snapshot copy");
        }
        auto check = dest->scalar("SELECT last_tx FROM state WHERE id = 1");
        if (!check) {
            return check.status();
        }
        if (static_cast<uint64_t>(*check) != s.last_tx) {
            return {CCDR_INTERNAL, "snapshot copy is at tx " + std::to_string(*check) + ", expected " +
                                       std::to_string(s.last_tx)};
        }
        dest->close();
    }
    std::error_code ec;
    uint64_t size = fs::file_size(temp, ec);
    if (ec) {
        return {CCDR_IO_ERROR, "snapshot copy " + temp.string() + ": " + ec.message()};
    }
    ccdr_snapshot_info info{};
    info.hdr = ccdr_header CCDR_HEADER_INIT(ccdr_snapshot_info);
    info.tx_id = s.last_tx;
    info.commit_time_ms = s.last_time_ms;
    info.total_bytes = size;
    ccdr_status rc = begin(info);
    if (rc != CCDR_OK) {
        return {rc, "the snapshot sink refused the snapshot"};
    }
    std::FILE* f = std::fopen(temp.c_str(), "rb");
    if (f == nullptr) {
        return {CCDR_IO_ERROR, "cannot read snapshot copy " + temp.string()};
    }
    std::vector<uint8_t> buf(std::max<size_t>(chunk_bytes, 4096));
    uint64_t sent = 0;
    ccdr::Status result;
    while (sent < size) {
        size_t n = std::fread(buf.data(), 1, buf.size(), f);
        if (n == 0) {
            result = ccdr::Status(CCDR_IO_ERROR, "snapshot copy ended early at byte " + std::to_string(sent));
            break;
        }
        rc = chunk(std::span<const uint8_t>(buf.data(), n));
        if (rc != CCDR_OK) {
            result = ccdr::Status(rc, "the snapshot sink stopped at byte " + std::to_string(sent));
            break;
        }
        sent += n;
    }
    std::fclose(f);
    return result;
}

ccdr::Result<std::shared_ptr<MemberStore>> MemberStore::import_snapshot(WriteLock& lock,
                                                                        const ccdr_snapshot_info& info,
                                                                        const SnapshotReader& read,
                                                                        bool adopt_store_id) {
    if (!lock.held()) {
        return ccdr::Status(CCDR_INTERNAL, "snapshot import without the write lock");
    }
    uint64_t gen = next_generation(dir_);
    fs::path temp = dir_ / ("import-" + std::to_string(gen) + ".tmp");
    fs::path final_file = dir_ / graph_file_name(gen);
    bool installed = false;
    struct Cleanup {
        fs::path temp, final_file;
        bool& installed;
        ~Cleanup() {
            remove_db_files(temp);
            if (!installed) {
                remove_db_files(final_file);
            }
        }
    } cleanup{temp, final_file, installed};

    // 1. Receive the bytes.
    {
        std::FILE* f = std::fopen(temp.c_str(), "wb");
        if (f == nullptr) {
            return ccdr::Status(CCDR_IO_ERROR, "cannot create " + temp.string());
        }
        std::vector<uint8_t> buf(1 << 20);
        uint64_t total = 0;
        ccdr::Status st;
        for (;;) {
            size_t n = 0;
            ccdr_status rc = read(buf.data(), buf.size(), &n);
            if (rc != CCDR_OK) {
                st = ccdr::Status(rc, "the snapshot source failed after " + std::to_string(total) + " bytes");
                break;
            }
            if (n == 0) {
                break;
            }
            if (n > buf.size() || total + n > info.total_bytes) {
                st = ccdr::Status(CCDR_CORRUPT, "snapshot is larger than the announced " +
                                                    std::to_string(info.total_bytes) + " bytes");
                break;
            }
            if (std::fwrite(buf.data(), 1, n, f) != n) {
                st = ccdr::Status(CCDR_IO_ERROR, "cannot write " + temp.string());
                break;
            }
            total += n;
        }
        if (std::fclose(f) != 0 && st) {
            st = ccdr::Status(CCDR_IO_ERROR, "cannot write " + temp.string());
        }
        if (st && total != info.total_bytes) {
            st = ccdr::Status(CCDR_CORRUPT, "snapshot has " + std::to_string(total) + " bytes, expected " +
                                                std::to_string(info.total_bytes));
        }
        if (!st) {
            return st;
        }
    }
    // 2. Check it is one of ours, complete and at the announced tx.
    {
        auto head = read_small_file(temp, 16);
        if (!head || head->size() < 16 || std::memcmp(head->data(), "SQLite format 3\0", 16) != 0) {
            return ccdr::Status(CCDR_CORRUPT, "snapshot is not a refhost store (no SQLite header)");
        }
        auto db = sql::Connection::open(temp.string(), false);
        if (!db) {
            return ccdr::Status(CCDR_CORRUPT, "snapshot does not open: " + db.status().message());
        }
        auto q = db->prepare("PRAGMA quick_check");
        if (!q) {
            return ccdr::Status(CCDR_CORRUPT, "snapshot fails its integrity check: " + q.status().message());
        }
        int rc = q->step();
        if (rc != SQLITE_ROW || q->text(0) != "ok") {
            return ccdr::Status(CCDR_CORRUPT, "snapshot fails its integrity check: " +
                                                  std::string(rc == SQLITE_ROW ? q->text(0) : "no result"));
        }
        q = sql::Statement();
        auto state = db->prepare(
            "SELECT format, store_id, last_tx, last_time, (SELECT count(*) FROM nodes) + (SELECT count(*) FROM "
            "labels) + (SELECT count(*) FROM rels) FROM state WHERE id = 1");
        if (!state || state->step() != SQLITE_ROW) {
            return ccdr::Status(CCDR_CORRUPT, "snapshot is not a refhost store (no state row)");
        }
        int64_t format = state->int64(0);
        std::string sid(state->text(1));
        uint64_t last = static_cast<uint64_t>(state->int64(2));
        int64_t time = state->int64(3);
        state = sql::Statement();
        if (format != StoreConnection::kFormat) {
            return ccdr::Status(CCDR_CORRUPT, "snapshot has store format " + std::to_string(format) +
                                                  ", this host reads format " +
                                                  std::to_string(StoreConnection::kFormat));
        }
        if (sid != store_id_ && !adopt_store_id) {
            return ccdr::Status(CCDR_INVALID_ARGUMENT, "snapshot belongs to store id " + sid +
                                                           ", this database has store id " + store_id_);
        }
        if (last != info.tx_id || time != info.commit_time_ms) {
            return ccdr::Status(CCDR_CORRUPT, "snapshot is at tx " + std::to_string(last) + " (time " +
                                                  std::to_string(time) + "), announced tx " +
                                                  std::to_string(info.tx_id) + " (time " +
                                                  std::to_string(info.commit_time_ms) + ")");
        }
        ccdr::Status st = db->exec(
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; BEGIN IMMEDIATE; DELETE FROM txlog; "
            "UPDATE state SET oldest_retained = last_tx + 1");
        if (st && sid != store_id_) {
            auto adopt = db->prepare("UPDATE state SET store_id = ?1");
            if (adopt) {
                adopt->bind_text(1, store_id_);
                st = sql::step_done(*db, *adopt, "adopting the store id");
            } else {
                st = adopt.status();
            }
        }
        if (st) {
            st = db->exec("COMMIT");
        }
        db->close();
        if (st) {
            st = fsync_path(temp);
        }
        if (!st) {
            return st.with_context("installing the snapshot");
        }
    }
    // 3. Make it live: rename into place, then switch CURRENT atomically.
    std::error_code ec;
    fs::rename(temp, final_file, ec);
    if (ec) {
        return ccdr::Status(CCDR_IO_ERROR, "cannot rename " + temp.string() + ": " + ec.message());
    }
    ccdr::Status st = fsync_path(dir_);
    if (st) {
        st = write_file_atomically(dir_ / kCurrent, final_file.filename().string() + "\n");
    }
    if (!st) {
        return st;
    }
    installed = true;
    auto fresh = MemberStore::open(dir_, store_id_, options_);
    if (!fresh) {
        return fresh.status();
    }
    fresh.value()->set_on_durable(on_durable_);
    retire(true);
    if (on_durable_) {
        on_durable_(info.tx_id, info.commit_time_ms);
    }
    return fresh;
}

ccdr::Result<std::string> MemberStore::content_hash() {
    auto f = content_fingerprint();
    if (!f) {
        return f.status();
    }
    return f->sha256_hex;
}

ccdr::Result<MemberStore::ContentFingerprint> MemberStore::content_fingerprint() {
    auto lease = connection();
    if (!lease) {
        return lease.status();
    }
    StoreConnection& c = **lease;
    ccdr::Status st = c.begin_read();
    if (!st) {
        return st;
    }
    // The state row first: in WAL mode the read snapshot is fixed by the
    // first read, so the digest below covers exactly state.last_tx.
    StoreState state;
    st = c.read_state(state);
    if (!st) {
        return st;
    }
    EVP_MD_CTX* md = EVP_MD_CTX_new();
    EVP_DigestInit_ex(md, EVP_sha256(), nullptr);
    auto put = [&](const void* p, size_t n) { EVP_DigestUpdate(md, p, n); };
    auto put_i = [&](int64_t v) { put(&v, sizeof v); };
    auto put_s = [&](std::string_view s) {
        put_i(static_cast<int64_t>(s.size()));
        put(s.data(), s.size());
    };
    std::vector<StoreConnection::NodeRow> nodes;
    std::vector<std::string> labels;
    int64_t after = -1;
    do {
        st = c.node_page("", after, 1000, nodes);
        for (size_t i = 0; st && i < nodes.size(); ++i) {
            put("N", 1);
            put_i(nodes[i].id);
            st = c.node_labels(nodes[i].id, labels);
            put_i(static_cast<int64_t>(labels.size()));
            for (const auto& l : labels) {
                put_s(l);
            }
            put_i(static_cast<int64_t>(nodes[i].props.size()));
            put(nodes[i].props.data(), nodes[i].props.size());
            after = nodes[i].id;
        }
    } while (st && !nodes.empty());
    std::vector<StoreConnection::RelRow> rels;
    after = -1;
    do {
        if (st) {
            st = c.relationship_page("", after, 1000, rels);
        }
        for (size_t i = 0; st && i < rels.size(); ++i) {
            put("R", 1);
            put_i(rels[i].id);
            put_s(rels[i].type);
            put_i(rels[i].src);
            put_i(rels[i].dst);
            put_i(static_cast<int64_t>(rels[i].props.size()));
            put(rels[i].props.data(), rels[i].props.size());
            after = rels[i].id;
        }
    } while (st && !rels.empty());
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_DigestFinal_ex(md, digest, &len);
    EVP_MD_CTX_free(md);
    if (!st) {
        return st;
    }
    static const char* kHex = "0123456789abcdef";
    std::string hex;
    for (unsigned int i = 0; i < len; ++i) {
        hex += kHex[digest[i] >> 4];
        hex += kHex[digest[i] & 15];
    }
    return ContentFingerprint{state.last_tx, hex};
}

}  // namespace refhost

// examples/refhost/store/member_store.hpp: one member's store: its
// transaction log as append-only segment files (segment_log.hpp), and a
// SQLite file in WAL mode holding the graph and the state row (store id,
// last applied tx and its time, oldest retained tx, id counters).
//
// The commit point is the log. A user commit appends the transaction's
// record to the log, then commits the graph's SQLite transaction (state row
// in it) without syncing, releases the write lock, and waits for the log to
// be durable (make_durable): one waiter at a time syncs the log, which
// makes every transaction appended before the sync started durable; the
// others waiting meanwhile are covered by it or by the next one (group
// commit: N writers share one fsync). A replicated batch (apply) goes the
// same way, holding the lock through its sync (apply_batch returns once
// durable); a transaction applied in parts is synced before its SQLite
// transaction commits. SQLite never
// syncs at a commit; its WAL reaches the disk at its checkpoints
// (wal_checkpointer.hpp). "Last committed" as the rest of the host sees it
// (last_committed(), log_info(), read_log(), on_durable) is the last
// *durable* transaction: nothing is announced, shipped or acknowledged
// before its sync.
//
// Opening brings the two together (member_recovery.cpp): a log cut by a
// crash mid-record is cut back to its last whole transaction; transactions
// in the log past the graph's state row (the graph's unsynced pages lost
// in an OS crash) are replayed into it. Only an OS crash between a
// commit's SQLite write and its log sync can leave the graph ahead of the
// log: those transactions were never acknowledged (nor ACKed upstream, for
// a replicated batch); they stay, and the log starts again after them
// (replicas behind them get a store copy). The
// log is pruned only below what the graph has synced.
//
// The member directory holds CURRENT (the name of the live file),
// graph-<generation>.db and its log graph-<generation>.db.log/. A snapshot
// import writes the next generation beside the live one and switches
// CURRENT with an atomic rename, so a failed or interrupted import leaves
// the old store untouched.
//
// Concurrency: any number of readers (each on its own pooled connection);
// one writer at a time, admitted by the write lock's FIFO queue
// (write_lock_queue.hpp): lock_for_write() blocks in it, a Bolt request
// waits in it without holding a thread.
//
// The class is defined across files with one job each: member_store.cpp
// (opening, state, connections, the write lock, commit, durability, apply),
// member_recovery.cpp (opening the log beside the graph: replay, the
// older format's log table), member_log.cpp (reading and pruning the log),
// member_snapshot.cpp (export and import), member_content_fingerprint.cpp
// and member_running_fingerprint.cpp, member_generations.cpp (the
// directory's files: CURRENT and the store file generations),
// member_apply_parts.cpp (one replicated transaction applied in parts).
#pragma once

#include "store/durable_tail.hpp"
#include "store/retention.hpp"
#include "store/segment_log.hpp"
#include "store/store_connection.hpp"
#include "store/wal_checkpointer.hpp"
#include "store/write_timing.hpp"
#include "store/write_lock_queue.hpp"

#include <ccdr/abi.h>
#include <ccdr/status.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <vector>

namespace refhost {

struct CommitStamp {
    uint64_t tx_id = 0;
    int64_t commit_time_ms = 0;
};

class MemberStore : public std::enable_shared_from_this<MemberStore> {
public:
    struct Options {
        // Sync the log before a commit counts as durable (tests of logic
        // that need no durability may turn it off to run faster).
        bool sync_commits = true;
        std::chrono::milliseconds lock_timeout{60'000};
        // WAL size (pages) from which the store's thread checkpoints; a
        // commit does so itself only past eight times this
        // (store/wal_checkpointer.hpp).
        int checkpoint_trigger_pages = 4096;
        // False: SQLite's own checkpoints inside the commit that passes
        // 8192 pages, as before the checkpointer (test/bench compares them).
        bool background_checkpoints = true;
        // A log segment is closed and the next one started once it holds
        // this many bytes (db.tx_log.rotation.size); retention removes
        // whole segments.
        uint64_t log_rotation_bytes = SegmentLog::kDefaultRotationBytes;
        // Keep the running fingerprint (store/running_fingerprint.hpp) on
        // every change. Off only to measure its cost (test/bench); a store
        // opened without it keeps none until it is opened with it again.
        bool running_fingerprint = true;
    };

    // Opens the member directory's live store, or creates a new one with
    // `store_id` when the directory has none. An existing store with another
    // store id is refused (CCDR_CORRUPT) rather than silently reused.
    static ccdr::Result<std::shared_ptr<MemberStore>> open(const std::filesystem::path& dir,
                                                           const std::string& store_id, Options options);
    // Deletes files of the directory that CURRENT does not name (left by an
    // interrupted import or a crash). Only while no store of it is open.
    static void remove_unreferenced_files(const std::filesystem::path& dir);

    ~MemberStore();
    MemberStore(const MemberStore&) = delete;
    MemberStore& operator=(const MemberStore&) = delete;

    const std::string& store_id() const { return store_id_; }
    const std::filesystem::path& dir() const { return dir_; }
    const std::filesystem::path& file() const { return file_; }
    // The log directory of a store file (graph-<n>.db.log).
    static std::filesystem::path log_dir_of(const std::filesystem::path& file);
    // What opening found and did to bring the graph and the log together.
    struct Recovery {
        uint64_t torn_bytes_cut = 0;    // a crash's partial record removed from the log
        uint64_t replayed = 0;          // log transactions applied to the graph
        uint64_t unlogged = 0;          // graph transactions the log lost (it starts after them)
        uint64_t migrated = 0;          // transactions moved from an older store's log table
    };
    const Recovery& recovery() const { return recovery_; }
    // The log's files (read-only use: tests, tools).
    const SegmentLog& log() const { return *log_; }
    // The last durable transaction (see the file comment).
    uint64_t last_committed() const { return last_tx_.load(std::memory_order_acquire); }
    // The state as of the last durable transaction.
    StoreState state() const;
    // The state written by the last commit, durable or not: what the next
    // writer continues from (id counters). Read it under the write lock.
    StoreState written_state() const;
    ccdr_log_info log_info() const;

    // Called after commits or applied batches became durable, with the last
    // durable id and its time: once per sync, in order, never concurrently
    // (by the thread that synced, outside the store's own mutexes).
    void set_on_durable(std::function<void(uint64_t, int64_t)> fn) { on_durable_ = std::move(fn); }
    // The same notification with the durable transactions themselves (ABI
    // 1.2 after_commit_txs), called instead of on_durable when every
    // transaction the sync made durable was kept (durable_tail.hpp says
    // which are); on_durable otherwise. Set before the store is shared, as
    // set_on_durable.
    void set_on_durable_txs(DurableTail::Handover fn);
    const DurableTail::Handover& on_durable_txs() const { return on_durable_txs_; }

    // --- connections ---
    class Lease {
    public:
        Lease(std::shared_ptr<MemberStore> store, std::unique_ptr<StoreConnection> conn)
            : store_(std::move(store)), conn_(std::move(conn)) {}
        Lease(Lease&&) = default;
        Lease& operator=(Lease&&) = default;
        ~Lease();
        StoreConnection& operator*() { return *conn_; }
        StoreConnection* operator->() { return conn_.get(); }
        MemberStore& store() { return *store_; }

    private:
        std::shared_ptr<MemberStore> store_;
        std::unique_ptr<StoreConnection> conn_;
    };
    ccdr::Result<Lease> connection();

    // --- the single writer ---
    class WriteLock {
    public:
        WriteLock() = default;
        explicit WriteLock(MemberStore* s) : s_(s) {}
        WriteLock(WriteLock&& o) noexcept : s_(std::exchange(o.s_, nullptr)) {}
        WriteLock& operator=(WriteLock&& o) noexcept {
            if (this != &o) {
                release();
                s_ = std::exchange(o.s_, nullptr);
            }
            return *this;
        }
        ~WriteLock() { release(); }
        bool held() const { return s_ != nullptr; }
        void release();

    private:
        MemberStore* s_ = nullptr;
    };
    // Blocks in the write lock's queue: CCDR_TIMEOUT after the lock timeout
    // (zero: only if free now); CCDR_STOPPED once retired. For threads that
    // may block; Bolt requests queue without blocking (write_queue()).
    ccdr::Result<WriteLock> lock_for_write();
    ccdr::Result<WriteLock> lock_for_write(std::chrono::milliseconds timeout);
    // The queue behind the write lock. A grant from it (acquire_or_enqueue,
    // try_acquire) becomes a WriteLock with adopt_write_lock().
    WriteLockQueue& write_queue() { return write_queue_; }
    WriteLock adopt_write_lock() { return WriteLock(this); }

    // Under the write lock, with `conn` in a write transaction holding a user
    // transaction's changes: logs `payload` as the next tx id, updates the
    // state, commits. The transaction is then visible to this store's
    // readers but not yet durable: release the lock, then make_durable(id)
    // before acknowledging it. On failure everything is rolled back.
    ccdr::Result<CommitStamp> commit_write(WriteLock& lock, StoreConnection& conn, std::span<const uint8_t> payload,
                                           const IdHighWater& ids);
    // Returns once transaction `tx_id` (committed here) is durable: syncs the
    // log itself unless another thread's sync already covers it. A failed
    // sync fails this and every later call: the store can no longer say
    // what is on disk, and the member must be reopened.
    ccdr::Status make_durable(uint64_t tx_id);
    // Applies transactions that continue the log (txs[0] = last + 1, ids
    // consecutive; else CCDR_OUT_OF_ORDER) in one SQLite transaction with
    // their ids and times; the state moves in the same transaction; durable
    // when it returns OK. Any failure changes nothing. `timing`, when given,
    // gets where the time went (the host's slow-write report).
    ccdr::Status apply(WriteLock& lock, std::span<const ccdr_tx> txs, ApplyTiming* timing = nullptr);

    // --- a replicated transaction applied in parts (ABI 1.2 apply_tx_*) ---
    // Defined in member_apply_parts.hpp / .cpp. begin_parts keeps `lock`
    // and one SQLite write transaction open until the PartsApply commits or
    // is destroyed (rolled back): tx_id must be last + 1 (else
    // CCDR_OUT_OF_ORDER, nothing changes).
    class PartsApply;
    ccdr::Result<std::unique_ptr<PartsApply>> begin_parts(WriteLock lock, uint64_t tx_id, int64_t commit_time_ms,
                                                          uint64_t total_bytes);
    // --- end of the parts block ---

    // --- the transaction log ---
    // Visits logged transactions with ids >= from_tx in order, until the
    // visitor returns non-OK, the last durable tx, or max_bytes of payload were
    // visited (at least one). CCDR_LOG_PRUNED, visiting nothing, when from_tx
    // is below the oldest retained id. Reads one consistent snapshot.
    // A transaction whose payload is longer than tx_max_bytes is visited
    // without it (payload.data null, payload.len its length: ABI 1.2
    // read_log_bounded); open_log_tx reads it.
    using TxVisitor = std::function<ccdr_status(const ccdr_tx&)>;
    ccdr::Status read_log(uint64_t from_tx, uint64_t max_bytes, const TxVisitor& visit,
                          uint64_t tx_max_bytes = UINT64_MAX);
    // Durable transaction tx_id's payload, read in order (ABI 1.2 log_tx_*).
    // CCDR_LOG_PRUNED below the oldest retained id, CCDR_INVALID_ARGUMENT
    // past the last durable one.
    ccdr::Result<std::unique_ptr<SegmentLog::RecordReader>> open_log_tx(uint64_t tx_id);
    // Removes log entries the policy no longer keeps; oldest_retained moves in
    // the same transaction. Returns how many entries went. `hold` (may be
    // empty) is asked first, inside the pruning transaction, with what the
    // policy would keep (info.retention_keep_from_tx; info.measure_log reads
    // this store) and answers the first tx to keep instead: the log held
    // for replicas (ABI 1.2 log_hold). Pruning never goes past the policy's
    // choice nor below the oldest retained entry.
    using LogHold = std::function<uint64_t(const ccdr_log_prune_info&)>;
    ccdr::Result<uint64_t> prune(const RetentionPolicy& policy, int64_t now_ms, const LogHold& hold = {});

    // --- snapshots ---
    // A consistent copy at the current last committed tx, without its log,
    // written into the new file `path` (ccdr_host_api.snapshot_export_file):
    // the store file copied in the kernel while a read transaction pins it
    // (copy_pinned), or, when a reader keeps the WAL from being checkpointed
    // whole, one online backup (sqlite3_backup_step(-1): one read
    // transaction, a page copy). No journal, no sync. The emptied log's
    // pages are left in as free pages unless free pages exceed an eighth of
    // the file (then a VACUUM). On failure no file is left at `path`.
    struct ExportedSnapshot {
        ccdr_snapshot_info info{};
        bool file_copy = false;  // the pinned file copy, not the backup
    };
    ccdr::Result<ExportedSnapshot> export_snapshot_file(const std::filesystem::path& path);
    // The same copy streamed in chunks of `chunk_bytes` (through a temporary
    // file of this directory).
    ccdr::Status export_snapshot(const std::function<ccdr_status(const ccdr_snapshot_info&)>& begin,
                                 const std::function<ccdr_status(std::span<const uint8_t>)>& chunk,
                                 size_t chunk_bytes = 1 << 20);
    // Writes a snapshot as the next generation, validates it (SQLite header,
    // integrity, state row at info.tx_id, this store's store id), and makes
    // it live. Returns the new store; this one is retired (its file deleted
    // when the last user lets go). On failure nothing changes.
    // With `adopt_store_id` a snapshot of another store id is accepted and
    // takes this store's (a copy that starts a lineage of its own).
    using SnapshotReader = std::function<ccdr_status(uint8_t*, size_t, size_t*)>;
    ccdr::Result<std::shared_ptr<MemberStore>> import_snapshot(WriteLock& lock, const ccdr_snapshot_info& info,
                                                               const SnapshotReader& read,
                                                               bool adopt_store_id = false);
    // The same from a verified file (ccdr_host_api.snapshot_import_file):
    // taken by rename into this directory (a copy across filesystems), then
    // checked and made live. A file refused for its size or header is left
    // where it was; one refused by the checks after the rename is renamed
    // back unchanged; on any failure the live store is untouched.
    struct ImportedSnapshot {
        std::shared_ptr<MemberStore> store;
        bool adopted = false;  // renamed, not copied
        int64_t check_ms = 0;  // PRAGMA quick_check and the state row
        int64_t total_ms = 0;
    };
    ccdr::Result<ImportedSnapshot> import_snapshot_file(WriteLock& lock, const ccdr_snapshot_info& info,
                                                        const std::filesystem::path& path,
                                                        bool adopt_store_id = false);

    // --- a generation built beside the live one (store/log_replay.hpp) ---
    // The file the next generation of `dir` would have (not created).
    static std::filesystem::path next_generation_file(const std::filesystem::path& dir);
    // Creates an empty store file (schema, state row with `store_id`) that
    // is not live; replaces any leftover of that name.
    static ccdr::Status create_empty_file(const std::filesystem::path& file, const std::string& store_id);
    // Makes `file` of `dir` the live store: CURRENT switched by an atomic
    // rename (the store objects open on other files keep working on them).
    static ccdr::Status make_live(const std::filesystem::path& dir, const std::filesystem::path& file);
    // Deletes a store file with its WAL, shared-memory files and log.
    static void remove_file(const std::filesystem::path& file);
    const Options& options() const { return options_; }

    // SHA-256 (hex) over nodes, labels, relationships and properties in id
    // order: equal contents, equal hash.
    ccdr::Result<std::string> content_hash();
    // The same digest with the last committed tx it covers, both read in one
    // read transaction (what ccdr_host_api.content_fingerprint reports).
    struct ContentFingerprint {
        uint64_t tx_id = 0;
        std::string sha256_hex;
    };
    ccdr::Result<ContentFingerprint> content_fingerprint();

    // The running fingerprint (store/running_fingerprint.hpp,
    // store/member_running_fingerprint.cpp): as of tx_id, or now when
    // tx_id is 0, with the tx it covers; errors as ccdr_host_api's
    // running_fingerprint describes (CCDR_LOG_PRUNED, CCDR_INVALID_ARGUMENT;
    // CCDR_UNSUPPORTED when the store keeps none).
    struct RunningFingerprintAt {
        uint64_t tx_id = 0;
        std::string hex;
    };
    ccdr::Result<RunningFingerprintAt> running_fingerprint(uint64_t tx_id);
    // Test hook (refhost.test.divergeMember): applies a change record to
    // this store without logging it and without moving its tx, updating the
    // content and the running fingerprint as a diverging apply would.
    ccdr::Status apply_unlogged_for_test(std::span<const uint8_t> record);

    // No more writes (lock_for_write fails); with `delete_files`, the store's
    // files go when the last user lets go.
    void retire(bool delete_files);
    bool retired() const { return retired_.load(); }
    // The checkpointer's counters (all zero without background_checkpoints).
    WalCheckpointer::Counters checkpoints() const {
        return checkpointer_ ? checkpointer_->counters() : WalCheckpointer::Counters{};
    }

    // Test hook: the next apply() fails after applying `tx_index` of its
    // transactions (inside the SQLite transaction), as an I/O error would.
    void inject_apply_failure(size_t tx_index) { fail_apply_at_.store(static_cast<int64_t>(tx_index)); }

private:
    MemberStore(std::filesystem::path dir, std::filesystem::path file, Options options);
    ccdr::Status load_state();
    // member_recovery.cpp: opens the log and brings it and the graph together.
    ccdr::Status open_log(StoreState& s);
    ccdr::Status migrate_table_log(StoreConnection& c, StoreState& s);
    ccdr::Status replay_into_graph(StoreState& s, uint64_t to_tx);
    // A store file of the older format (its log in a txlog table): the
    // table goes, its last running value settled first. In the caller's
    // write transaction; nothing to do for a file without it.
    static ccdr::Status drop_older_log_table(sql::Connection& db);
    // fsync of the graph's WAL (or file): everything committed is on disk.
    ccdr::Status sync_graph();
    // The durable state (state(), last_committed()); never moves back.
    void publish(const StoreState& s);
    void record_commit(const StoreState& s);
    void give_back(std::unique_ptr<StoreConnection> conn);
    // The store file as of now copied into the new file `path` while no
    // checkpoint can write it (see member_snapshot.cpp); false, with
    // nothing copied, when the WAL could not be checkpointed whole (a
    // reader of an older state held it back).
    ccdr::Result<bool> copy_pinned(sql::Connection& db, const std::filesystem::path& path);
    // A snapshot file of this directory read-only checked: SQLite header,
    // PRAGMA quick_check, the state row (format, store id unless
    // `adopt_store_id`, tx and time as `info` announces).
    ccdr::Status check_snapshot(const std::filesystem::path& file, const ccdr_snapshot_info& info,
                                bool adopt_store_id) const;
    // A checked snapshot file of this directory made the live generation
    // `gen` (WAL mode, log emptied, this store id, synced; CURRENT switched).
    ccdr::Result<std::shared_ptr<MemberStore>> install_snapshot(const std::filesystem::path& temp, uint64_t gen,
                                                                const ccdr_snapshot_info& info);
    void unlock();
    // prune's question to `hold`, answered at least s.oldest_retained.
    uint64_t ask_hold(StoreConnection& c, const StoreState& s, uint64_t keep_from, int64_t now, const LogHold& hold);

    std::filesystem::path dir_;
    std::filesystem::path file_;
    Options options_;
    std::string store_id_;
    std::unique_ptr<SegmentLog> log_;
    Recovery recovery_;

    mutable std::mutex state_mu_;
    StoreState state_;    // durable
    StoreState written_;  // committed, maybe not yet durable
    std::atomic<uint64_t> last_tx_{0};

    // Group commit: at most one sync runs; waiters sleep on sync_cv_.
    std::mutex sync_mu_;
    std::condition_variable sync_cv_;
    bool syncing_ = false;
    ccdr::Status sync_failure_;

    std::unique_ptr<WalCheckpointer> checkpointer_;  // outlives the pool's connections
    std::mutex pool_mu_;
    std::vector<std::unique_ptr<StoreConnection>> pool_;

    WriteLockQueue write_queue_;

    std::atomic<bool> retired_{false};
    std::atomic<bool> delete_files_{false};
    std::atomic<int64_t> fail_apply_at_{-1};
    std::atomic<uint64_t> pruned_at_tx_{0};  // last_tx at the last pruning pass
    std::function<void(uint64_t, int64_t)> on_durable_;
    DurableTail::Handover on_durable_txs_;
    std::unique_ptr<DurableTail> tail_;  // kept payloads while on_durable_txs_ is set
};

}  // namespace refhost

// The host side of the ABI's log, apply, snapshot and fingerprint calls.
#include "plugin_host/store_access.hpp"

#include "dbms/cluster.hpp"
#include "store/member_apply_parts.hpp"
#include "store/running_fingerprint.hpp"

#include <chrono>
#include <filesystem>

namespace refhost {

namespace {

// The member of a replica database that `operation` may change; standard
// databases are written by their own transactions only.
ccdr::Result<std::shared_ptr<Member>> replica_member(Cluster& cluster, size_t server, std::string_view database,
                                                     const char* operation, const char* what) {
    auto m = cluster.member(database, server);
    if (!m) {
        return m;
    }
    if (cluster.database(database)->record.kind != CCDR_KIND_REPLICA) {
        return ccdr::Status(CCDR_INVALID_ARGUMENT, std::string(operation) + " " + what + " only; '" +
                                                       std::string(database) + "' is a standard database");
    }
    return m;
}

}  // namespace

ccdr::Result<ccdr_log_info> StoreAccess::log_info(size_t server, std::string_view database) {
    auto m = cluster_.member(database, server);
    if (!m) {
        return m.status();
    }
    return m.value()->store()->log_info();
}

ccdr::Result<ccdr::Fingerprint> StoreAccess::content_fingerprint(size_t server, std::string_view database,
                                                                 std::string_view server_id) {
    auto m = online_member(server, database, server_id);
    if (!m) {
        return m.status();
    }
    auto f = m.value()->store()->content_fingerprint();
    if (!f) {
        return f.status();
    }
    return ccdr::Fingerprint{f->tx_id, "refhost-graph-sha256-v1", f->sha256_hex};
}

ccdr::Result<ccdr::Fingerprint> StoreAccess::running_fingerprint(size_t server, std::string_view database,
                                                                 std::string_view server_id, uint64_t tx_id) {
    auto m = online_member(server, database, server_id);
    if (!m) {
        return m.status();
    }
    auto f = m.value()->store()->running_fingerprint(tx_id);
    if (!f) {
        return f.status();
    }
    return ccdr::Fingerprint{f->tx_id, kRunningFingerprintAlgorithm, f->hex};
}

ccdr::Result<std::shared_ptr<Member>> StoreAccess::online_member(size_t server, std::string_view database,
                                                                 std::string_view server_id) {
    size_t target = server;
    if (!server_id.empty()) {
        auto idx = cluster_.server_index(std::string(server_id));
        if (!idx) {
            return ccdr::Status(CCDR_DATABASE_NOT_FOUND, "no server '" + std::string(server_id) + "' in this cluster");
        }
        target = *idx;
    }
    auto m = cluster_.member(database, target);
    if (!m) {
        return m.status();
    }
    if (!m.value()->online()) {
        return ccdr::Status(CCDR_DATABASE_UNAVAILABLE, "database '" + std::string(database) + "' is not online on " +
                                                           cluster_.servers()[target].name);
    }
    return m;
}

ccdr::Status StoreAccess::read_log(size_t server, std::string_view database, uint64_t from_tx, uint64_t max_bytes,
                                   const ccdr_tx_visitor& visitor, uint64_t tx_max_bytes) {
    auto m = cluster_.member(database, server);
    if (!m) {
        return m.status();
    }
    return m.value()->store()->read_log(
        from_tx, max_bytes, [&](const ccdr_tx& tx) { return visitor.visit(visitor.ctx, &tx); }, tx_max_bytes);
}

namespace {

// One logged transaction read in pieces; keeps the member (and through the
// reader its log segment) alive while the plugin reads.
class MemberLoggedTx final : public ccdr::HostServer::LoggedTx {
public:
    MemberLoggedTx(std::shared_ptr<Member> member, std::unique_ptr<SegmentLog::RecordReader> reader)
        : member_(std::move(member)), reader_(std::move(reader)) {}
    uint64_t length() const override { return reader_->header().payload_len; }
    ccdr::Result<size_t> read(std::span<uint8_t> into) override { return reader_->read(into); }

private:
    std::shared_ptr<Member> member_;
    std::unique_ptr<SegmentLog::RecordReader> reader_;
};

}  // namespace

ccdr::Result<std::unique_ptr<ccdr::HostServer::LoggedTx>> StoreAccess::log_tx_open(size_t server,
                                                                                  std::string_view database,
                                                                                  uint64_t tx_id) {
    auto m = cluster_.member(database, server);
    if (!m) {
        return m.status();
    }
    auto reader = m.value()->store()->open_log_tx(tx_id);
    if (!reader) {
        return reader.status();
    }
    return std::unique_ptr<ccdr::HostServer::LoggedTx>(
        std::make_unique<MemberLoggedTx>(m.value(), std::move(reader.value())));
}

ccdr::Result<std::shared_ptr<Member>> StoreAccess::admit_replicated_write(size_t server, std::string_view database,
                                                                         const char* call) {
    auto found = replica_member(cluster_, server, database, call, "applies to replica databases");
    if (!found) {
        return found.status();
    }
    ccdr_database_state state = found.value()->state();
    if (state != CCDR_DB_ONLINE && state != CCDR_DB_STOPPING) {
        return ccdr::Status(CCDR_DATABASE_UNAVAILABLE, "Database '" + std::string(database) + "' is unavailable.");
    }
    if (PluginBridge* bridge = cluster_.plugins()) {
        ccdr::Status veto = bridge->before_commit(server, database, CCDR_ORIGIN_REPLICATION, "");
        if (!veto) {
            return veto;
        }
    }
    return found;
}

namespace {
// A batch this small has no statements or commit that take 50 ms by their size.
constexpr size_t kSmallBatch = 100;
}  // namespace

ccdr::Status StoreAccess::apply_batch(size_t server, std::string_view database, std::span<const ccdr_tx> txs) {
    auto found = admit_replicated_write(server, database, "apply_batch");
    if (!found) {
        return found.status();
    }
    const std::shared_ptr<Member>& m = found.value();
    auto store = m->store();
    const auto start = std::chrono::steady_clock::now();
    const uint64_t checkpoint_held_before = store->checkpoints().locked_us_total;
    auto lock = store->lock_for_write();
    if (!lock) {
        return lock.status();
    }
    const std::chrono::microseconds lock_wait = refhost::elapsed_since(start);
    refhost::ApplyTiming times;
    ccdr::Status st = store->apply(*lock, txs, &times);
    if (st) {
        m->metrics().applied.fetch_add(static_cast<int64_t>(txs.size()), std::memory_order_relaxed);
    }
    const std::chrono::microseconds total = refhost::elapsed_since(start);
    // Slow is the time a batch's size does not explain: the write lock's wait
    // and the log's sync (a catch-up's batch of thousands of transactions
    // takes long in its statements, append and commit), or the whole of a
    // small batch.
    const bool slow = lock_wait + times.durable >= refhost::kSlowWrite ||
                      (txs.size() <= kSmallBatch && total >= refhost::kSlowWrite);
    if (slow && !txs.empty()) {
        // Whether the background checkpoint's step under the write lock ran
        // while this batch waited for it.
        const uint64_t checkpoint_held = store->checkpoints().locked_us_total - checkpoint_held_before;
        auto ms = [](std::chrono::microseconds us) { return static_cast<double>(us.count()) / 1000.0; };
        cluster_.log().warn(
            "slow apply_batch of '{}' on server {} (tx {}..{}): {:.1f} ms: write lock wait {:.1f} (the "
            "checkpointer held it {:.1f} meanwhile), statements {:.1f}, log append {:.1f}, graph commit {:.1f}, "
            "log sync {:.1f}",
            database, server, txs.front().tx_id, txs.back().tx_id, ms(total), ms(lock_wait),
            static_cast<double>(checkpoint_held) / 1000.0, ms(times.statements), ms(times.log_append),
            ms(times.graph_commit), ms(times.durable));
    }
    return st;
}

namespace {

// A replica member's transaction in parts; keeps the member alive and counts
// the transaction as applied once it commits.
class MemberTxInParts final : public ccdr::HostServer::TxInParts {
public:
    MemberTxInParts(std::shared_ptr<Member> member, std::unique_ptr<MemberStore::PartsApply> parts)
        : member_(std::move(member)), parts_(std::move(parts)) {}
    ccdr::Status part(std::span<const uint8_t> bytes) override { return parts_->part(bytes); }
    ccdr::Status commit() override {
        ccdr::Status st = parts_->commit();
        if (st) {
            member_->metrics().applied.fetch_add(1, std::memory_order_relaxed);
        }
        return st;
    }

private:
    std::shared_ptr<Member> member_;
    std::unique_ptr<MemberStore::PartsApply> parts_;
};

}  // namespace

ccdr::Result<std::unique_ptr<ccdr::HostServer::TxInParts>> StoreAccess::apply_tx_begin(size_t server,
                                                                                       std::string_view database,
                                                                                       uint64_t tx_id,
                                                                                       int64_t commit_time_ms,
                                                                                       uint64_t total_bytes) {
    auto found = admit_replicated_write(server, database, "apply_tx_begin");
    if (!found) {
        return found.status();
    }
    const std::shared_ptr<Member>& m = found.value();
    auto store = m->store();
    auto lock = store->lock_for_write();
    if (!lock) {
        return lock.status();
    }
    auto parts = store->begin_parts(std::move(*lock), tx_id, commit_time_ms, total_bytes);
    if (!parts) {
        return parts.status();
    }
    return std::unique_ptr<ccdr::HostServer::TxInParts>(
        std::make_unique<MemberTxInParts>(m, std::move(parts.value())));
}

ccdr::Status StoreAccess::snapshot_export(size_t server, std::string_view database, const ccdr_snapshot_sink& sink) {
    auto m = cluster_.member(database, server);
    if (!m) {
        return m.status();
    }
    return m.value()->store()->export_snapshot(
        [&](const ccdr_snapshot_info& info) { return sink.begin(sink.ctx, &info); },
        [&](std::span<const uint8_t> chunk) { return sink.chunk(sink.ctx, ccdr_bytes{chunk.data(), chunk.size()}); });
}

ccdr::Status StoreAccess::snapshot_import(size_t server, std::string_view database, const ccdr_snapshot_info& info,
                                          const ccdr_snapshot_source& source) {
    auto found = replica_member(cluster_, server, database, "snapshot_import", "replaces replica members");
    if (!found) {
        return found.status();
    }
    const std::shared_ptr<Member>& m = found.value();
    auto store = m->store();
    auto lock = store->lock_for_write();
    if (!lock) {
        return lock.status();
    }
    auto fresh = store->import_snapshot(
        *lock, info, [&](uint8_t* buf, size_t cap, size_t* n) { return source.read(source.ctx, buf, cap, n); });
    if (!fresh) {
        return fresh.status();
    }
    lock->release();
    m->set_store(fresh.value());
    cluster_.log().info("'{}' on {}: store replaced by a snapshot at tx {}", database, cluster_.servers()[server].name,
                        info.tx_id);
    return {};
}

ccdr::Result<ccdr_snapshot_info> StoreAccess::snapshot_export_file(size_t server, std::string_view database,
                                                                   std::string_view path) {
    auto m = cluster_.member(database, server);
    if (!m) {
        return m.status();
    }
    if (path.empty() || path.front() != '/') {
        return ccdr::Status(CCDR_INVALID_ARGUMENT, "snapshot_export_file needs an absolute path, got '" +
                                                       std::string(path) + "'");
    }
    const auto started = std::chrono::steady_clock::now();
    auto exported = m.value()->store()->export_snapshot_file(std::filesystem::path(std::string(path)));
    if (!exported) {
        return exported.status();
    }
    const auto ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count();
    cluster_.log().info("'{}' on {}: snapshot at tx {} written to {} ({} bytes in {}ms, {})", database,
                        cluster_.servers()[server].name, exported->info.tx_id, path, exported->info.total_bytes, ms,
                        exported->file_copy ? "the store file copied while pinned" : "an online backup");
    return exported->info;
}

ccdr::Status StoreAccess::snapshot_import_file(size_t server, std::string_view database,
                                               const ccdr_snapshot_info& info, std::string_view path) {
    auto found = replica_member(cluster_, server, database, "snapshot_import_file", "replaces replica members");
    if (!found) {
        return found.status();
    }
    if (path.empty() || path.front() != '/') {
        return ccdr::Status(CCDR_INVALID_ARGUMENT, "snapshot_import_file needs an absolute path, got '" +
                                                       std::string(path) + "'");
    }
    const std::shared_ptr<Member>& m = found.value();
    auto store = m->store();
    auto lock = store->lock_for_write();
    if (!lock) {
        return lock.status();
    }
    auto imported = store->import_snapshot_file(*lock, info, std::filesystem::path(std::string(path)));
    if (!imported) {
        return imported.status();
    }
    lock->release();
    m->set_store(imported->store);
    cluster_.log().info("'{}' on {}: store replaced by a snapshot at tx {} ({} the file, {} bytes; "
                        "quick_check and state row {}ms, import {}ms)",
                        database, cluster_.servers()[server].name, info.tx_id,
                        imported->adopted ? "renamed" : "copied", info.total_bytes, imported->check_ms,
                        imported->total_ms);
    return {};
}

}  // namespace refhost

// Intra-cluster replication (the refhost's stand-in for consensus) and the
// transaction-log side of the ABI: read_log, apply_batch, snapshots.
#include "dbms/cluster.hpp"

#include "store/file_util.hpp"

#include <ccdr/span.hpp>

#include <cstdio>
#include <thread>

namespace refhost {

namespace {

constexpr uint64_t kCopyBatchBytes = 4 << 20;
constexpr size_t kCopyBatchTxs = 2000;

// Owned copies of a run of log entries, viewable as ccdr_tx.
struct TxRun {
    std::vector<uint8_t> arena;
    std::vector<std::pair<size_t, size_t>> spans;  // offset, length in arena
    std::vector<ccdr_tx> txs;
    void clear() {
        arena.clear();
        spans.clear();
        txs.clear();
    }
    void add(const ccdr_tx& tx) {
        spans.emplace_back(arena.size(), tx.payload.len);
        arena.insert(arena.end(), tx.payload.data, tx.payload.data + tx.payload.len);
        txs.push_back(ccdr_tx{tx.tx_id, tx.commit_time_ms, ccdr_bytes{nullptr, 0}});
    }
    std::span<const ccdr_tx> views() {
        for (size_t i = 0; i < txs.size(); ++i) {
            txs[i].payload = ccdr_bytes{arena.data() + spans[i].first, spans[i].second};
        }
        return txs;
    }
};

}  // namespace

void Cluster::replicate_commit(const DatabaseState& db, const Member& writer, uint64_t tx_id, int64_t time_ms,
                               std::span<const uint8_t> payload) {
    bool secondaries = false;
    std::vector<Member*> primaries;
    for (const auto& m : db.members) {
        if (m.get() == &writer || !m->online()) {
            continue;
        }
        if (m->role() == CCDR_ROLE_PRIMARY) {
            primaries.push_back(m.get());
        } else {
            secondaries = true;
        }
    }
    // Primaries have the transaction before the commit is acknowledged. Each
    // is its own store: the copies run side by side (as followers append in
    // parallel), the last one on this thread.
    ccdr_tx tx{tx_id, time_ms, ccdr_bytes{payload.data(), payload.size()}};
    std::vector<ccdr::Status> results(primaries.size());
    auto copy = [&](size_t i) {
        Member& m = *primaries[i];
        auto store = m.store();
        ccdr::Status st;
        if (store->last_committed() + 1 == tx_id) {
            auto lock = store->lock_for_write();
            if (!lock) {
                st = lock.status();
            } else if (store->last_committed() + 1 == tx_id) {
                st = store->apply(*lock, std::span<const ccdr_tx>(&tx, 1));
            }
        }
        if (st && store->last_committed() < tx_id) {
            st = sync_member(m, writer);
        }
        results[i] = st;
    };
    std::vector<std::thread> helpers;
    for (size_t i = 0; i + 1 < primaries.size(); ++i) {
        helpers.emplace_back(copy, i);
    }
    if (!primaries.empty()) {
        copy(primaries.size() - 1);
    }
    for (auto& h : helpers) {
        h.join();
    }
    for (size_t i = 0; i < primaries.size(); ++i) {
        if (!results[i]) {
            log_->error("intra-cluster copy of tx {} of '{}' to {} failed (the replication thread retries): {}", tx_id,
                        db.record.name, servers_[primaries[i]->server()].name, results[i].message());
            secondaries = true;
        } else {
            primaries[i]->metrics().applied.fetch_add(1, std::memory_order_relaxed);
        }
    }
    if (secondaries) {
        wake_replication();
    }
}

ccdr::Status Cluster::sync_member(Member& target, const Member& source) {
    auto sstore = source.store();
    auto tstore = target.store();
    if (!sstore || !tstore) {
        return {};
    }
    auto lock = tstore->lock_for_write();
    if (!lock) {
        return lock.status();
    }
    TxRun run;
    for (;;) {
        uint64_t from = tstore->last_committed() + 1;
        if (from > sstore->last_committed()) {
            return {};
        }
        run.clear();
        ccdr::Status st = sstore->read_log(from, kCopyBatchBytes, [&](const ccdr_tx& tx) {
            run.add(tx);
            return run.txs.size() >= kCopyBatchTxs ? CCDR_STOPPED : CCDR_OK;
        });
        if (st.code() == CCDR_LOG_PRUNED) {
            lock->release();
            log_->info("'{}' on {} is at tx {}, but {} has pruned its log ({}): copying the store",
                       target.database(), servers_[target.server()].name, from - 1, servers_[source.server()].name,
                       st.message());
            return copy_snapshot(target, source);
        }
        if (!st) {
            return st;
        }
        if (run.txs.empty()) {
            return {};
        }
        size_t n = run.txs.size();
        st = tstore->apply(*lock, run.views());
        if (!st) {
            return st;
        }
        target.metrics().applied.fetch_add(static_cast<int64_t>(n), std::memory_order_relaxed);
    }
}

ccdr::Status Cluster::copy_snapshot(Member& target, const Member& source) {
    auto sstore = source.store();
    auto tstore = target.store();
    std::filesystem::path tmp = tstore->dir() / ("transfer-" + random_hex(8) + ".tmp");
    struct Cleanup {
        std::filesystem::path p;
        ~Cleanup() {
            std::error_code ec;
            std::filesystem::remove(p, ec);
        }
    } cleanup{tmp};
    std::FILE* out = std::fopen(tmp.c_str(), "wb");
    if (out == nullptr) {
        return {CCDR_IO_ERROR, "cannot create " + tmp.string()};
    }
    ccdr_snapshot_info info{};
    ccdr::Status st = sstore->export_snapshot(
        [&](const ccdr_snapshot_info& i) {
            info = i;
            return CCDR_OK;
        },
        [&](std::span<const uint8_t> chunk) {
            return std::fwrite(chunk.data(), 1, chunk.size(), out) == chunk.size() ? CCDR_OK : CCDR_IO_ERROR;
        });
    std::fclose(out);
    if (!st) {
        return st.with_context("exporting a snapshot");
    }
    std::FILE* in = std::fopen(tmp.c_str(), "rb");
    if (in == nullptr) {
        return {CCDR_IO_ERROR, "cannot read " + tmp.string()};
    }
    auto lock = tstore->lock_for_write();
    if (!lock) {
        std::fclose(in);
        return lock.status();
    }
    auto fresh = tstore->import_snapshot(*lock, info, [&](uint8_t* buf, size_t cap, size_t* n) {
        *n = std::fread(buf, 1, cap, in);
        return std::ferror(in) ? CCDR_IO_ERROR : CCDR_OK;
    });
    std::fclose(in);
    if (!fresh) {
        return fresh.status().with_context("importing a snapshot");
    }
    lock->release();
    target.set_store(fresh.value());
    log_->info("'{}' on {} now holds a copy of {}'s store at tx {}", target.database(), servers_[target.server()].name,
               servers_[source.server()].name, info.tx_id);
    return {};
}

void Cluster::sync_database(const DatabaseState& db) {
    if (db.record.kind != CCDR_KIND_STANDARD) {
        return;
    }
    std::shared_ptr<Member> source;
    for (const auto& m : db.members) {
        if (!source || m->last_tx() > source->last_tx()) {
            source = m;
        }
    }
    if (!source) {
        return;
    }
    for (const auto& m : db.members) {
        // An offline member catches up when its database starts again.
        if (m != source && m->online() && m->last_tx() < source->last_tx()) {
            ccdr::Status st = sync_member(*m, *source);
            if (!st) {
                log_->warn("'{}' on {} could not catch up with {} (retrying): {}", db.record.name,
                           servers_[m->server()].name, servers_[source->server()].name, st.message());
            }
        }
    }
}

void Cluster::sync_all() {
    for (const auto& db : databases()) {
        sync_database(*db);
    }
}

std::shared_ptr<Member> Cluster::member(std::string_view database, size_t server, ccdr::Status& why) const {
    auto db = this->database(database);
    if (!db) {
        why = ccdr::Status(CCDR_DATABASE_NOT_FOUND, "Database does not exist. Database name: '" +
                                                        std::string(database) + "'.");
        return nullptr;
    }
    auto m = db->member_on(server);
    if (!m || db->record.kind == CCDR_KIND_SYSTEM) {
        why = ccdr::Status(CCDR_DATABASE_NOT_FOUND, "Database '" + std::string(database) + "' has no member on " +
                                                        servers_[server].name);
        return nullptr;
    }
    return m;
}

ccdr::Result<ccdr_log_info> Cluster::log_info(size_t server, std::string_view database) {
    ccdr::Status why;
    auto m = member(database, server, why);
    if (!m) {
        return why;
    }
    return m->store()->log_info();
}

ccdr::Result<ccdr::Fingerprint> Cluster::content_fingerprint(size_t server, std::string_view database,
                                                             std::string_view server_id) {
    size_t target = server;
    if (!server_id.empty()) {
        auto idx = server_index(std::string(server_id));
        if (!idx) {
            return ccdr::Status(CCDR_DATABASE_NOT_FOUND, "no server '" + std::string(server_id) + "' in this cluster");
        }
        target = *idx;
    }
    ccdr::Status why;
    auto m = member(database, target, why);
    if (!m) {
        return why;
    }
    if (!m->online()) {
        return ccdr::Status(CCDR_DATABASE_UNAVAILABLE, "database '" + std::string(database) + "' is not online on " +
                                                           servers_[target].name);
    }
    auto f = m->store()->content_fingerprint();
    if (!f) {
        return f.status();
    }
    return ccdr::Fingerprint{f->tx_id, "refhost-graph-sha256-v1", f->sha256_hex};
}

ccdr::Status Cluster::read_log(size_t server, std::string_view database, uint64_t from_tx, uint64_t max_bytes,
                               const ccdr_tx_visitor& visitor) {
    ccdr::Status why;
    auto m = member(database, server, why);
    if (!m) {
        return why;
    }
    return m->store()->read_log(from_tx, max_bytes,
                                [&](const ccdr_tx& tx) { return visitor.visit(visitor.ctx, &tx); });
}

ccdr::Status Cluster::apply_batch(size_t server, std::string_view database, std::span<const ccdr_tx> txs) {
    ccdr::Status why;
    auto m = member(database, server, why);
    if (!m) {
        return why;
    }
    auto db = this->database(database);
    if (db->record.kind != CCDR_KIND_REPLICA) {
        return {CCDR_INVALID_ARGUMENT, "apply_batch applies to replica databases only; '" + std::string(database) +
                                           "' is a standard database"};
    }
    ccdr_database_state state = m->state();
    if (state != CCDR_DB_ONLINE && state != CCDR_DB_STOPPING) {
        return {CCDR_DATABASE_UNAVAILABLE, "Database '" + std::string(database) + "' is unavailable."};
    }
    if (PluginBridge* bridge = plugins()) {
        ccdr::Status veto = bridge->before_commit(server, database, CCDR_ORIGIN_REPLICATION, "");
        if (!veto) {
            return veto;
        }
    }
    auto store = m->store();
    auto lock = store->lock_for_write();
    if (!lock) {
        return lock.status();
    }
    ccdr::Status st = store->apply(*lock, txs);
    if (st) {
        m->metrics().applied.fetch_add(static_cast<int64_t>(txs.size()), std::memory_order_relaxed);
    }
    return st;
}

ccdr::Status Cluster::snapshot_export(size_t server, std::string_view database, const ccdr_snapshot_sink& sink) {
    ccdr::Status why;
    auto m = member(database, server, why);
    if (!m) {
        return why;
    }
    return m->store()->export_snapshot([&](const ccdr_snapshot_info& info) { return sink.begin(sink.ctx, &info); },
                                       [&](std::span<const uint8_t> chunk) {
                                           return sink.chunk(sink.ctx, ccdr_bytes{chunk.data(), chunk.size()});
                                       });
}

ccdr::Status Cluster::snapshot_import(size_t server, std::string_view database, const ccdr_snapshot_info& info,
                                      const ccdr_snapshot_source& source) {
    ccdr::Status why;
    auto m = member(database, server, why);
    if (!m) {
        return why;
    }
    auto db = this->database(database);
    if (db->record.kind != CCDR_KIND_REPLICA) {
        return {CCDR_INVALID_ARGUMENT, "snapshot_import replaces replica members only; '" + std::string(database) +
                                           "' is a standard database"};
    }
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
    log_->info("'{}' on {}: store replaced by a snapshot at tx {}", database, servers_[server].name, info.tx_id);
    return {};
}

}  // namespace refhost

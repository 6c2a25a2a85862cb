// Copying transactions between the members of one database inside the
// cluster (member_catch_up.hpp).
#include "dbms/member_catch_up.hpp"

#include "dbms/cluster.hpp"
#include "store/file_util.hpp"

#include <cstdio>

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

MemberCatchUp::MemberCatchUp(spdlog::logger& log, std::function<std::string(size_t)> server_name)
    : log_(log), server_name_(std::move(server_name)) {}

MemberCatchUp::~MemberCatchUp() { stop(); }

void MemberCatchUp::copy_commit(const DatabaseState& db, const Member& writer, uint64_t tx_id, int64_t time_ms,
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
            st = catch_up(m, writer);
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
            log_.error("intra-cluster copy of tx {} of '{}' to {} failed (the catch-up thread retries): {}", tx_id,
                       db.record.name, server_name_(primaries[i]->server()), results[i].message());
            secondaries = true;
        } else {
            primaries[i]->metrics().applied.fetch_add(1, std::memory_order_relaxed);
        }
    }
    if (secondaries) {
        wake();
    }
}

ccdr::Status MemberCatchUp::catch_up(Member& target, const Member& source) {
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
            log_.info("'{}' on {} is at tx {}, but {} has pruned its log ({}): copying the store", target.database(),
                      server_name_(target.server()), from - 1, server_name_(source.server()), st.message());
            return copy_store(target, source);
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

ccdr::Status MemberCatchUp::copy_store(Member& target, const Member& source) {
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
    log_.info("'{}' on {} now holds a copy of {}'s store at tx {}", target.database(), server_name_(target.server()),
              server_name_(source.server()), info.tx_id);
    return {};
}

void MemberCatchUp::catch_up_database(const DatabaseState& db) {
    if (db.record.kind != CCDR_KIND_STANDARD) {
        return;
    }
    std::shared_ptr<Member> source = db.most_advanced();
    if (!source) {
        return;
    }
    for (const auto& m : db.members) {
        // An offline member catches up when its database starts again.
        if (m != source && m->online() && m->last_tx() < source->last_tx()) {
            ccdr::Status st = catch_up(*m, *source);
            if (!st) {
                log_.warn("'{}' on {} could not catch up with {} (retrying): {}", db.record.name,
                          server_name_(m->server()), server_name_(source->server()), st.message());
            }
        }
    }
}

void MemberCatchUp::start(std::function<void()> round) {
    round_ = std::move(round);
    thread_ = std::thread([this] { loop(); });
}

void MemberCatchUp::wake() {
    {
        std::lock_guard lock(mu_);
        woken_ = true;
    }
    cv_.notify_one();
}

void MemberCatchUp::stop() {
    {
        std::lock_guard lock(mu_);
        stopping_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) {
        thread_.join();
    }
}

void MemberCatchUp::loop() {
    for (;;) {
        {
            std::unique_lock lock(mu_);
            cv_.wait_for(lock, std::chrono::seconds(1), [&] { return woken_ || stopping_; });
            if (stopping_) {
                return;
            }
            woken_ = false;
        }
        round_();
    }
}

}  // namespace refhost

// MemberStore's transaction log (member_store.hpp): reading it in order, and
// pruning it by the retention policy and the replicas' holds.
#include "store/member_store.hpp"

#include "store/file_util.hpp"

#include <algorithm>

namespace refhost {

ccdr::Status MemberStore::read_log(uint64_t from_tx, uint64_t max_bytes, const TxVisitor& visit,
                                   uint64_t tx_max_bytes) {
    // Only durable transactions are shipped; the log may hold more.
    const uint64_t durable = last_committed();
    const StoreState s = state();
    const uint64_t first = std::max(s.oldest_retained, log_->first_tx());
    if (from_tx < first) {
        return {CCDR_LOG_PRUNED, "transactions before " + std::to_string(first) +
                                     " were pruned from the log (asked from " + std::to_string(from_tx) +
                                     ", last committed " + std::to_string(s.last_tx) + ")"};
    }
    ccdr_status stop = CCDR_OK;
    uint64_t expected = from_tx;
    ccdr::Status st = log_->read(from_tx, durable, max_bytes,
                                 [&](const SegmentLog::Header& h, std::span<const uint8_t> payload) {
                                     ccdr_tx tx{h.tx_id, h.time_ms, ccdr_bytes{payload.data(), payload.size()}};
                                     if (h.payload_len > tx_max_bytes) {
                                         tx.payload = ccdr_bytes{nullptr, static_cast<size_t>(h.payload_len)};
                                     }
                                     stop = visit(tx);
                                     ++expected;
                                     return stop == CCDR_OK;
                                 },
                                 tx_max_bytes);
    if (!st) {
        return st;
    }
    if (stop != CCDR_OK && stop != CCDR_STOPPED) {
        return {stop, "the visitor stopped reading the log with status " + std::to_string(stop)};
    }
    if (expected == from_tx && from_tx <= durable && stop == CCDR_OK) {
        return {CCDR_CORRUPT, "the transaction log has no tx " + std::to_string(from_tx) + " (it holds " +
                                  std::to_string(log_->first_tx()) + ".." + std::to_string(log_->last_tx()) +
                                  ", last durable " + std::to_string(durable) + ")"};
    }
    return {};
}

ccdr::Result<std::unique_ptr<SegmentLog::RecordReader>> MemberStore::open_log_tx(uint64_t tx_id) {
    const uint64_t durable = last_committed();
    const uint64_t first = std::max(state().oldest_retained, log_->first_tx());
    if (tx_id < first) {
        return ccdr::Status(CCDR_LOG_PRUNED, "tx " + std::to_string(tx_id) + " was pruned from the log (it holds " +
                                                 std::to_string(first) + " on)");
    }
    if (tx_id == 0 || tx_id > durable) {
        return ccdr::Status(CCDR_INVALID_ARGUMENT, "tx " + std::to_string(tx_id) +
                                                       " is not committed (last durable " + std::to_string(durable) +
                                                       ")");
    }
    auto reader = log_->open_record(tx_id);
    if (!reader) {
        return reader.status();
    }
    if (!*reader) {
        return ccdr::Status(CCDR_LOG_PRUNED, "the transaction log no longer holds tx " + std::to_string(tx_id));
    }
    return std::move(*reader);
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
    s.oldest_retained = std::max(s.oldest_retained, log_->first_tx());
    uint64_t keep_from = s.last_tx;
    switch (policy.kind) {
        case RetentionPolicy::Kind::KeepAll:
        case RetentionPolicy::Kind::KeepNone: break;
        case RetentionPolicy::Kind::Transactions:
            keep_from = s.last_tx >= policy.amount ? s.last_tx - policy.amount + 1 : 1;
            break;
        case RetentionPolicy::Kind::Bytes: {
            auto keep = log_->keep_from_for_bytes(policy.amount);
            if (!keep) {
                return keep.status();
            }
            keep_from = std::max(*keep, s.oldest_retained);
            break;
        }
        case RetentionPolicy::Kind::Age: {
            // Commit times grow with ids: the first young enough.
            auto keep = log_->first_at_or_after(now - policy.age_ms);
            if (!keep) {
                return keep.status();
            }
            keep_from = std::max(*keep, s.oldest_retained);
            break;
        }
    }
    keep_from = std::min(keep_from, s.last_tx);
    if (hold) {
        keep_from = std::min(keep_from, ask_hold(c, s, keep_from, now, hold));
    }
    pruned_at_tx_.store(s.last_tx);
    // What read_log may return starts at keep_from at once (the state row's
    // oldest_retained); the files go a whole segment at a time, below.
    uint64_t removed = 0;
    if (keep_from > s.oldest_retained) {
        removed = keep_from - s.oldest_retained;
        s.oldest_retained = keep_from;
        st = c.write_state(s);
        if (st) {
            st = c.commit();
        }
        if (!st) {
            c.rollback();
            return st;
        }
        // Only oldest_retained is news here: last_tx may not be durable yet,
        // and a pruning pass lost in a crash merely leaves more log than needed.
        record_commit(s);
        StoreState durable = state();
        durable.oldest_retained = s.oldest_retained;
        publish(durable);
    } else {
        c.rollback();
    }
    // A segment goes only once the graph holds its transactions on disk: a
    // crash loses the graph's unsynced pages, and the log replays them.
    if (log_->segment_count() > 1 && log_->oldest_segment_end() <= s.oldest_retained) {
        const uint64_t graph_tx = written_state().last_tx;
        st = options_.sync_commits ? sync_graph() : ccdr::Status();
        if (!st) {
            return st.with_context("pruning the log");
        }
        auto left = log_->remove_before(std::min(s.oldest_retained, graph_tx + 1));
        if (!left) {
            return left.status();
        }
    }
    return removed;
}

ccdr::Status MemberStore::sync_graph() {
    // Every page the graph committed is in the WAL file or, once
    // checkpointed, in the store file (synced by the checkpoint itself).
    std::error_code ec;
    const std::string wal = file_.string() + "-wal";
    return std::filesystem::exists(wal, ec) ? fsync_path(wal) : fsync_path(file_);
}

uint64_t MemberStore::ask_hold(StoreConnection& c, const StoreState& s, uint64_t keep_from, int64_t now,
                               const LogHold& hold) {
    // measure_log reads the log under the pruning pass's write lock: the
    // plugin sees exactly the log this pass prunes.
    (void)c;
    struct Measure {
        const SegmentLog* log;
        const StoreState* s;
    } measure{log_.get(), &s};
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
        auto total = m->log->payload_bytes_from(from_tx);
        auto header = m->log->header(from_tx);
        if (!total || !header || !*header) {
            return CCDR_IO_ERROR;
        }
        *bytes = *total;
        *time = (*header)->time_ms;
        return CCDR_OK;
    };
    const uint64_t answer = hold(info);
    return std::max(answer, s.oldest_retained);
}

}  // namespace refhost

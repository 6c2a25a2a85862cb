// MemberStore's transaction log (member_store.hpp): reading it in order, and
// pruning it by the retention policy and the replicas' holds.
#include "store/member_store.hpp"

#include <algorithm>

namespace refhost {

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

}  // namespace refhost

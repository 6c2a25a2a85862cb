// MemberStore's opening of its log (member_store.hpp): the segment log
// beside the graph, a crash's torn record cut, the log's transactions past
// the graph replayed into it, and a store of the older format (its log in
// a SQLite table) moved into segments once.
#include "store/member_store.hpp"

#include "store/running_fingerprint.hpp"

#include <algorithm>
#include <optional>
#include <vector>

namespace refhost {

namespace fs = std::filesystem;

namespace {

constexpr uint64_t kReplayBatchBytes = 8 << 20;  // one SQLite transaction per this much payload

bool has_table(sql::Connection& db, const char* name) {
    auto q = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?");
    if (!q) {
        return false;
    }
    q->bind_text(1, name);
    return q->step() == SQLITE_ROW;
}

bool has_fp_column(sql::Connection& db) {
    auto q = db.prepare("SELECT 1 FROM pragma_table_info('txlog') WHERE name = 'fp'");
    return q && q->step() == SQLITE_ROW;
}

}  // namespace

ccdr::Status MemberStore::drop_older_log_table(sql::Connection& db) {
    if (!has_table(db, "txlog")) {
        return {};
    }
    // The running value kept with the last entry moves into its table
    // before the table holding it goes.
    ccdr::Status st;
    if (has_fp_column(db) && has_table(db, "running_fingerprint")) {
        st = db.exec(kSettleRunningValueSql);
    }
    return st ? db.exec("DROP TABLE txlog") : st;
}

fs::path MemberStore::log_dir_of(const fs::path& file) { return fs::path(file.string() + ".log"); }

ccdr::Status MemberStore::open_log(StoreState& s) {
    SegmentLog::OpenReport report;
    auto opened = SegmentLog::open(log_dir_of(file_), {options_.log_rotation_bytes, options_.sync_commits},
                                   s.last_tx + 1, &report);
    if (!opened) {
        return opened.status();
    }
    log_ = std::move(opened.value());
    recovery_.torn_bytes_cut = report.torn_bytes_cut;
    {
        auto lease = connection();
        if (!lease) {
            return lease.status();
        }
        if (has_table((*lease)->db(), "txlog")) {
            ccdr::Status st = migrate_table_log(**lease, s);
            if (!st) {
                return st.with_context("moving the log of " + file_.string() + " into segment files");
            }
        }
    }
    const uint64_t first = log_->first_tx();
    const uint64_t last = log_->last_tx();
    ccdr::Status st;
    if (first == log_->next_tx()) {
        // Empty: the next append continues the graph.
        if (log_->next_tx() != s.last_tx + 1) {
            st = log_->reset(s.last_tx + 1);
        }
    } else if (last > s.last_tx) {
        if (first > s.last_tx + 1) {
            return ccdr::Status(CCDR_CORRUPT, "store " + file_.string() + " is at tx " + std::to_string(s.last_tx) +
                                                  " and its log starts at tx " + std::to_string(first) +
                                                  ": the transactions between are in neither");
        }
        st = replay_into_graph(s, last);
    } else if (last < s.last_tx) {
        // The graph kept transactions whose log records an OS crash lost
        // (never acknowledged: the log is synced first). The log starts
        // again after them, as if pruned up to there.
        recovery_.unlogged = s.last_tx - last;
        st = log_->reset(s.last_tx + 1);
    }
    if (!st) {
        return st.with_context("opening the log of " + file_.string());
    }
    s.oldest_retained = std::max(s.oldest_retained, log_->first_tx());
    return {};
}

ccdr::Status MemberStore::migrate_table_log(StoreConnection& c, StoreState& s) {
    sql::Connection& db = c.db();
    // Any segments are a migration a crash interrupted: start it over.
    ccdr::Status st;
    uint64_t first_id = 0;
    {
        auto q = db.prepare("SELECT min(id) FROM txlog");
        if (!q) {
            return q.status();
        }
        if (q->step() == SQLITE_ROW && !q->is_null(0)) {
            first_id = static_cast<uint64_t>(q->int64(0));
        }
    }
    st = log_->reset(first_id != 0 ? first_id : s.last_tx + 1);
    if (!st) {
        return st;
    }
    const bool with_fp = has_fp_column(db);
    {
        auto q = db.prepare(with_fp ? "SELECT id, time, payload, fp FROM txlog ORDER BY id"
                                    : "SELECT id, time, payload FROM txlog ORDER BY id");
        if (!q) {
            return q.status();
        }
        std::vector<std::vector<uint8_t>> payloads;
        std::vector<SegmentLog::Entry> entries;
        uint64_t bytes = 0;
        auto flush = [&]() -> ccdr::Status {
            ccdr::Status a = log_->append(entries);
            entries.clear();
            payloads.clear();
            bytes = 0;
            return a;
        };
        int rc = 0;
        while ((rc = q->step()) == SQLITE_ROW) {
            auto blob = q->blob(2);
            payloads.emplace_back(blob.begin(), blob.end());
            SegmentLog::Entry e;
            e.tx_id = static_cast<uint64_t>(q->int64(0));
            e.time_ms = q->int64(1);
            if (with_fp && !q->is_null(3) && q->blob(3).size() == 16) {
                std::array<uint8_t, 16> fp{};
                std::copy_n(q->blob(3).begin(), 16, fp.begin());
                e.fp = fp;
            }
            entries.push_back(e);
            bytes += blob.size();
            ++recovery_.migrated;
            if (bytes >= kReplayBatchBytes) {
                for (size_t i = 0; i < entries.size(); ++i) {
                    entries[i].payload = payloads[i];
                }
                st = flush();
                if (!st) {
                    return st;
                }
            }
        }
        if (rc != SQLITE_DONE) {
            return c.error("reading the log table", rc);
        }
        for (size_t i = 0; i < entries.size(); ++i) {
            entries[i].payload = payloads[i];
        }
        st = flush();
    }
    if (st) {
        st = log_->sync();
    }
    if (!st) {
        return st;
    }
    st = db.exec("BEGIN IMMEDIATE");
    if (st) {
        st = drop_older_log_table(db);
    }
    if (st) {
        st = db.exec("COMMIT");
    }
    if (!st) {
        (void)db.exec("ROLLBACK");
    }
    return st;
}

ccdr::Status MemberStore::replay_into_graph(StoreState& s, uint64_t to_tx) {
    auto lease = connection();
    if (!lease) {
        return lease.status();
    }
    StoreConnection& c = **lease;
    IdHighWater ids{s.next_node_id, s.next_rel_id};
    while (s.last_tx < to_tx) {
        const uint64_t from = s.last_tx + 1;
        ccdr::Status st = c.begin_write();
        if (!st) {
            return st;
        }
        StoreState next = s;
        ccdr::Status failed;
        st = log_->read(from, to_tx, kReplayBatchBytes,
                        [&](const SegmentLog::Header& h, std::span<const uint8_t> payload) {
                            failed = c.apply_record(payload, ids);
                            if (failed) {
                                auto fp = c.advance_fingerprint(h.tx_id);
                                if (!fp) {
                                    failed = fp.status();
                                } else if (*fp && h.fp && **fp != *h.fp) {
                                    failed = ccdr::Status(CCDR_CORRUPT, "the graph's running fingerprint after "
                                                                        "the replay differs from the logged one");
                                }
                            }
                            if (!failed) {
                                failed = failed.with_context("replaying tx " + std::to_string(h.tx_id));
                                return false;
                            }
                            next.last_tx = h.tx_id;
                            next.last_time_ms = h.time_ms;
                            return true;
                        });
        if (st && !failed) {
            st = failed;
        }
        if (st && next.last_tx < from) {
            st = ccdr::Status(CCDR_CORRUPT, "the log has no tx " + std::to_string(from));
        }
        if (st) {
            next.next_node_id = std::max(next.next_node_id, ids.next_node_id);
            next.next_rel_id = std::max(next.next_rel_id, ids.next_rel_id);
            st = c.write_state(next);
        }
        if (st) {
            st = c.commit();
        }
        if (!st) {
            c.rollback();
            return st;
        }
        recovery_.replayed += next.last_tx - s.last_tx;
        s = next;
    }
    return {};
}

}  // namespace refhost

#include "store/log_replay.hpp"

#include "store/file_util.hpp"

namespace refhost {

namespace {

constexpr uint64_t kReplayBatchBytes = 8 << 20;  // one SQLite transaction of the new file per batch

}  // namespace

ccdr::Result<RebuiltGeneration> rebuild_generation(MemberStore& store, uint64_t to_tx) {
    const StoreState live = store.state();
    if (to_tx > live.last_tx) {
        return ccdr::Status(CCDR_INVALID_ARGUMENT, "cannot go back to tx " + std::to_string(to_tx) + ": the store is at tx " +
                                                       std::to_string(live.last_tx));
    }
    if (to_tx > 0 && live.oldest_retained > 1) {
        return ccdr::Status(CCDR_LOG_PRUNED, "its log starts at tx " + std::to_string(live.oldest_retained) +
                                                 " (earlier transactions were pruned or came with a store copy); "
                                                 "going back to tx " + std::to_string(to_tx) +
                                                 " replays the log from tx 1");
    }
    RebuiltGeneration out;
    out.file = MemberStore::next_generation_file(store.dir());
    bool keep = false;
    struct Cleanup {
        const std::filesystem::path& file;
        bool& keep;
        ~Cleanup() {
            if (!keep) {
                MemberStore::remove_file(file);
            }
        }
    } cleanup{out.file, keep};
    ccdr::Status st = MemberStore::create_empty_file(out.file, store.store_id());
    if (!st) {
        return st.with_context("creating " + out.file.string());
    }
    // The new generation's own log holds what is replayed into it.
    auto log = SegmentLog::open(MemberStore::log_dir_of(out.file),
                                {store.options().log_rotation_bytes, store.options().sync_commits}, 1);
    if (!log) {
        return log.status();
    }
    {
        auto opened = StoreConnection::open(out.file.string(), false);
        if (!opened) {
            return opened.status();
        }
        StoreConnection& c = **opened;
        StoreState s;
        st = c.read_state(s);
        if (!st) {
            return st;
        }
        IdHighWater ids{s.next_node_id, s.next_rel_id};
        uint64_t next = 1;
        while (st && next <= to_tx) {
            st = c.begin_write();
            if (!st) {
                break;
            }
            ccdr::Status failed;
            st = store.read_log(next, kReplayBatchBytes, [&](const ccdr_tx& tx) -> ccdr_status {
                if (tx.tx_id > to_tx) {
                    return CCDR_STOPPED;
                }
                std::span<const uint8_t> payload(tx.payload.data, tx.payload.len);
                failed = c.apply_record(payload, ids);
                if (failed) {
                    auto fp = c.advance_fingerprint(tx.tx_id);
                    if (fp) {
                        const SegmentLog::Entry entry{tx.tx_id, tx.commit_time_ms, *fp, payload};
                        failed = (*log)->append({&entry, 1});
                    } else {
                        failed = fp.status();
                    }
                }
                if (!failed) {
                    failed = failed.with_context("replaying tx " + std::to_string(tx.tx_id));
                    return failed.code();
                }
                s.last_tx = tx.tx_id;
                s.last_time_ms = tx.commit_time_ms;
                return CCDR_OK;
            });
            if (!failed) {
                st = failed;  // its own message, not read_log's
            }
            if (st && s.last_tx < next) {
                st = ccdr::Status(CCDR_CORRUPT, "the log ends at tx " + std::to_string(next - 1) + ", before tx " +
                                                    std::to_string(to_tx));
            }
            if (st) {
                s.next_node_id = ids.next_node_id;
                s.next_rel_id = ids.next_rel_id;
                s.oldest_retained = 1;
                st = c.write_state(s);
            }
            if (st) {
                st = c.commit();
            }
            if (!st) {
                c.rollback();
                break;
            }
            out.replayed += s.last_tx - (next - 1);
            next = s.last_tx + 1;
        }
        if (!st) {
            return st;
        }
        out.tx_id = s.last_tx;
        out.commit_time_ms = s.last_time_ms;
        // The last connection closing checkpoints the WAL into the file.
    }
    st = (*log)->sync();
    if (st) {
        st = fsync_path(out.file);
    }
    if (st) {
        st = fsync_path(store.dir());
    }
    if (!st) {
        return st.with_context("syncing " + out.file.string());
    }
    keep = true;
    return out;
}

}  // namespace refhost

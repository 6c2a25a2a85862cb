// MemberStore's snapshots (member_store.hpp): a consistent copy streamed
// out, and a copy written as the next generation and made live.
#include "store/member_store.hpp"

#include "store/file_util.hpp"
#include "store/member_generations.hpp"

namespace refhost {

namespace fs = std::filesystem;
using namespace generations;

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
        // VACUUM INTO copies one consistent state of the store (its own read
        // transaction) in one pass, writing only the pages in use: no free
        // pages, nothing left in the WAL. The copy is a temporary file whose
        // bytes are hashed as they leave and checked by the importer, so its
        // writes need no sync (synchronous applies to VACUUM INTO's output;
        // this connection's own setting is put back after).
        auto sync_mode = c.db().scalar("PRAGMA synchronous");
        if (!sync_mode) {
            return sync_mode.status();
        }
        ccdr::Status st = c.db().exec("PRAGMA synchronous=OFF");
        if (st) {
            const std::string temp_name = temp.string();  // bound without a copy: outlives the step
            auto into = c.db().prepare("VACUUM INTO ?1");
            if (into) {
                into->bind_text(1, temp_name);
                st = sql::step_done(c.db(), *into, "copying the store for a snapshot");
            } else {
                st = into.status();
            }
        }
        ccdr::Status restored = c.db().exec("PRAGMA synchronous=" + std::to_string(*sync_mode));
        if (!st) {
            return st;
        }
        if (!restored) {
            return restored;
        }
        auto dest = sql::Connection::open(temp.string(), false);
        if (!dest) {
            return dest.status();
        }
        // The copy leaves without its log, as one self-contained file (its
        // running value settled into its table first). journal_mode=OFF:
        // the file is thrown away if anything fails.
        st = dest->exec("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; BEGIN; " +
                        std::string(kSettleRunningValueSql) +
                        "; DELETE FROM txlog; UPDATE state SET oldest_retained = last_tx + 1; COMMIT");
        if (!st) {
            return st.with_context("preparing the snapshot copy");
        }
        // The log's pages are now free pages. They are sent as they are
        // (the log kept is bounded by the retention policy) unless they are
        // more than an eighth of the file: then VACUUM rewrites it without
        // them, which costs a second pass over the whole file.
        auto free_pages = dest->scalar("PRAGMA freelist_count");
        auto pages = dest->scalar("PRAGMA page_count");
        if (!free_pages || !pages) {
            return (!free_pages ? free_pages.status() : pages.status()).with_context("sizing the snapshot copy");
        }
        if (*free_pages * 8 > *pages) {
            st = dest->exec("VACUUM");
            if (!st) {
                return st.with_context("compacting the snapshot copy");
            }
        }
        auto state = dest->prepare("SELECT last_tx, last_time FROM state WHERE id = 1");
        if (!state || state->step() != SQLITE_ROW) {
            return ccdr::Status(CCDR_CORRUPT, "the snapshot copy has no state row");
        }
        s.last_tx = static_cast<uint64_t>(state->int64(0));
        s.last_time_ms = state->int64(1);
        state = sql::Statement();
        dest->close();
        // A snapshot never carries a transaction that is not durable here.
        st = make_durable(s.last_tx);
        if (!st) {
            return st;
        }
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

}  // namespace refhost

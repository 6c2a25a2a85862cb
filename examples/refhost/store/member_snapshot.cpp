// MemberStore's snapshots (member_store.hpp): a consistent copy written
// into a file (or streamed out from one), and a copy received or adopted as
// the next generation, checked and made live.
#include "store/member_store.hpp"

#include "store/file_util.hpp"
#include "store/member_generations.hpp"
#include "store/running_fingerprint.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>

#include <fcntl.h>
#include <unistd.h>

namespace refhost {

namespace fs = std::filesystem;
using namespace generations;

namespace {

// A one-step online backup of `source` into the new file `path`: a copy of
// every page (free pages and the log included) read in one read
// transaction, so one consistent state, with no b-tree rebuilt. The
// destination has no journal and no syncs: the file is thrown away if
// anything fails, hashed as it leaves and checked by the importer.
ccdr::Status backup_into(sql::Connection& source, const fs::path& path) {
    auto dest = sql::Connection::open(path.string(), true);
    if (!dest) {
        return dest.status();
    }
    ccdr::Status st = dest->exec("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF");
    if (!st) {
        return st.with_context("preparing the snapshot copy");
    }
    sqlite3_backup* backup = sqlite3_backup_init(dest->get(), "main", source.get(), "main");
    if (backup == nullptr) {
        return dest->error("copying the store for a snapshot", sqlite3_errcode(dest->get()));
    }
    const int rc = sqlite3_backup_step(backup, -1);
    sqlite3_backup_finish(backup);
    if (rc != SQLITE_DONE) {
        return dest->error("copying the store for a snapshot", rc);
    }
    return {};
}

// How long pinning the store for a file copy waits for readers of an older
// state, holding the write lock (as the checkpointer's second step does).
constexpr int kPinReaderWaitMs = 5;

// Copies the first `bytes` of `source` into the new file `dest` in the
// kernel (copy_file_range: no pass through user space).
ccdr::Status copy_file_prefix(const fs::path& source, const fs::path& dest, uint64_t bytes) {
    const int in = ::open(source.c_str(), O_RDONLY | O_CLOEXEC);
    if (in < 0) {
        return ccdr::Status(CCDR_IO_ERROR, "cannot open " + source.string() + ": " + std::strerror(errno));
    }
    const int out = ::open(dest.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (out < 0) {
        const int e = errno;
        ::close(in);
        return ccdr::Status(CCDR_IO_ERROR, "cannot create " + dest.string() + ": " + std::strerror(e));
    }
    ccdr::Status st;
    uint64_t done = 0;
    while (done < bytes) {
        const size_t want = static_cast<size_t>(std::min<uint64_t>(bytes - done, 1u << 30));
        const ssize_t n = ::copy_file_range(in, nullptr, out, nullptr, want, 0);
        if (n <= 0) {
            st = ccdr::Status(CCDR_IO_ERROR, "copying " + source.string() + " ended at byte " + std::to_string(done) +
                                                 " of " + std::to_string(bytes) +
                                                 (n < 0 ? std::string(": ") + std::strerror(errno) : ""));
            break;
        }
        done += static_cast<uint64_t>(n);
    }
    ::close(in);
    if (::close(out) != 0 && st) {
        st = ccdr::Status(CCDR_IO_ERROR, "writing " + dest.string() + " failed: " + std::strerror(errno));
    }
    return st;
}

}  // namespace

ccdr::Result<bool> MemberStore::copy_pinned(sql::Connection& db, const fs::path& path) {
    // Under the write lock no commit adds WAL frames: a FULL checkpoint
    // copies them all into the database file. A read transaction begun
    // then reads the database file alone (SQLite's read lock 0), and while
    // it is held no checkpoint may write that file (backfilling needs that
    // lock exclusively): the file stays exactly this state while commits
    // go on into the WAL, so a plain file copy of it is a consistent
    // snapshot. The checkpointer's passes meanwhile copy nothing.
    uint64_t bytes = 0;
    {
        auto lock = lock_for_write();
        if (!lock) {
            return lock.status();
        }
        // Readers are short; one that is not (an older snapshot still read)
        // must not hold the writers queued behind this lock: wait for
        // readers at most kPinReaderWaitMs, then take the backup instead.
        auto busy_ms = db.scalar("PRAGMA busy_timeout");
        if (!busy_ms) {
            return busy_ms.status();
        }
        sqlite3_busy_timeout(db.get(), kPinReaderWaitMs);
        int log_frames = -1;
        int copied = -1;
        const int rc = sqlite3_wal_checkpoint_v2(db.get(), "main", SQLITE_CHECKPOINT_FULL, &log_frames, &copied);
        sqlite3_busy_timeout(db.get(), static_cast<int>(*busy_ms));
        if (rc != SQLITE_OK || log_frames != copied) {
            return false;  // a reader held it back: not pinned
        }
        // The first read after BEGIN starts the read transaction.
        ccdr::Status st = db.exec("BEGIN");
        auto state = st ? db.scalar("SELECT last_tx FROM state WHERE id = 1") : ccdr::Result<int64_t>(st);
        auto pages = state ? db.scalar("PRAGMA page_count") : ccdr::Result<int64_t>(state.status());
        auto page_size = pages ? db.scalar("PRAGMA page_size") : ccdr::Result<int64_t>(pages.status());
        if (!page_size) {
            if (db.in_transaction()) {
                (void)db.exec("ROLLBACK");
            }
            return page_size.status().with_context("pinning the store for a snapshot");
        }
        bytes = static_cast<uint64_t>(*pages) * static_cast<uint64_t>(*page_size);
    }
    ccdr::Status st = copy_file_prefix(file_, path, bytes);
    (void)db.exec("COMMIT");  // ends the read transaction: checkpoints go on
    if (!st) {
        return st;
    }
    return true;
}

ccdr::Result<MemberStore::ExportedSnapshot> MemberStore::export_snapshot_file(const fs::path& path) {
    struct Cleanup {
        fs::path p;
        bool keep = false;
        ~Cleanup() {
            if (!keep) {
                remove_db_files(p);
            }
        }
    } cleanup{path};
    std::error_code ec;
    if (fs::exists(path, ec)) {
        cleanup.keep = true;  // not ours
        return ccdr::Status(CCDR_INVALID_ARGUMENT, "snapshot file " + path.string() + " already exists");
    }
    StoreState s;
    ExportedSnapshot exported;
    {
        auto lease = connection();
        if (!lease) {
            return lease.status();
        }
        auto pinned = copy_pinned((**lease).db(), path);
        if (!pinned) {
            return pinned.status();
        }
        exported.file_copy = *pinned;
        if (!*pinned) {
            remove_db_files(path);
            ccdr::Status st = backup_into((**lease).db(), path);
            if (!st) {
                return st;
            }
        }
    }
    auto dest = sql::Connection::open(path.string(), false);
    if (!dest) {
        return dest.status();
    }
    // The copy leaves without its log (the segment files beside the store
    // are not copied), as one self-contained file. journal_mode=OFF also
    // turns the source's WAL mode (copied with page 1) back into a rollback
    // journal file, so the copy is one file with nothing beside it.
    ccdr::Status st = dest->exec(
        "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; UPDATE state SET oldest_retained = last_tx + 1");
    if (!st) {
        return st.with_context("preparing the snapshot copy");
    }
    // The log's pages (and the store's free pages) are now free pages. They
    // are sent as they are (the log kept is bounded by the retention policy)
    // unless they are more than an eighth of the file: then VACUUM rewrites
    // it without them, which costs a second pass over the whole file.
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
    {
        auto state = dest->prepare("SELECT last_tx, last_time FROM state WHERE id = 1");
        if (!state || state->step() != SQLITE_ROW) {
            return ccdr::Status(CCDR_CORRUPT, "the snapshot copy has no state row");
        }
        s.last_tx = static_cast<uint64_t>(state->int64(0));
        s.last_time_ms = state->int64(1);
    }
    dest->close();
    // A snapshot never carries a transaction that is not durable here.
    st = make_durable(s.last_tx);
    if (!st) {
        return st;
    }
    uint64_t size = fs::file_size(path, ec);
    if (ec) {
        return ccdr::Status(CCDR_IO_ERROR, "snapshot copy " + path.string() + ": " + ec.message());
    }
    ccdr_snapshot_info& info = exported.info;
    info.hdr = ccdr_header CCDR_HEADER_INIT(ccdr_snapshot_info);
    info.tx_id = s.last_tx;
    info.commit_time_ms = s.last_time_ms;
    info.total_bytes = size;
    cleanup.keep = true;
    return exported;
}

ccdr::Status MemberStore::export_snapshot(const std::function<ccdr_status(const ccdr_snapshot_info&)>& begin,
                                          const std::function<ccdr_status(std::span<const uint8_t>)>& chunk,
                                          size_t chunk_bytes) {
    fs::path temp = dir_ / ("export-" + random_hex(8) + ".tmp");
    struct Cleanup {
        fs::path p;
        ~Cleanup() { remove_db_files(p); }
    } cleanup{temp};
    auto exported = export_snapshot_file(temp);
    if (!exported) {
        return exported.status();
    }
    const ccdr_snapshot_info& info = exported->info;
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
    while (sent < info.total_bytes) {
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
    struct Cleanup {
        fs::path temp;
        ~Cleanup() { remove_db_files(temp); }
    } cleanup{temp};
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
    ccdr::Status checked = check_snapshot(temp, info, adopt_store_id);
    if (!checked) {
        return checked;
    }
    // 3. Make it live.
    return install_snapshot(temp, gen, info);
}

ccdr::Result<MemberStore::ImportedSnapshot> MemberStore::import_snapshot_file(WriteLock& lock,
                                                                               const ccdr_snapshot_info& info,
                                                                               const fs::path& path,
                                                                               bool adopt_store_id) {
    if (!lock.held()) {
        return ccdr::Status(CCDR_INTERNAL, "snapshot import without the write lock");
    }
    const auto started = std::chrono::steady_clock::now();
    // 1. What can be seen without opening it, where it lies (left as it is
    //    when refused).
    std::error_code ec;
    const uint64_t size = fs::file_size(path, ec);
    if (ec) {
        return ccdr::Status(CCDR_IO_ERROR, "snapshot file " + path.string() + ": " + ec.message());
    }
    if (size != info.total_bytes) {
        return ccdr::Status(CCDR_CORRUPT, "snapshot file " + path.string() + " has " + std::to_string(size) +
                                              " bytes, expected " + std::to_string(info.total_bytes));
    }
    auto head = read_small_file(path, 16);
    if (!head || head->size() < 16 || std::memcmp(head->data(), "SQLite format 3\0", 16) != 0) {
        return ccdr::Status(CCDR_CORRUPT,
                            "snapshot file " + path.string() + " is not a refhost store (no SQLite header)");
    }
    // 2. Take it: a rename on the same filesystem, else a copy (the file at
    //    `path` is then left for its owner to remove).
    uint64_t gen = next_generation(dir_);
    fs::path temp = dir_ / ("import-" + std::to_string(gen) + ".tmp");
    remove_db_files(temp);
    ImportedSnapshot imported;
    fs::rename(path, temp, ec);
    if (!ec) {
        imported.adopted = true;
    } else if (ec == std::errc::cross_device_link) {
        ec.clear();
        fs::copy_file(path, temp, fs::copy_options::overwrite_existing, ec);
        if (ec) {
            remove_db_files(temp);
            return ccdr::Status(CCDR_IO_ERROR, "cannot copy " + path.string() + " to " + temp.string() + ": " +
                                                   ec.message());
        }
    } else {
        return ccdr::Status(CCDR_IO_ERROR, "cannot move " + path.string() + " to " + temp.string() + ": " +
                                               ec.message());
    }
    struct Cleanup {
        fs::path temp;
        ~Cleanup() { remove_db_files(temp); }
    } cleanup{temp};
    // 3. Check it; a refused file goes back where it was, unchanged.
    const auto check_started = std::chrono::steady_clock::now();
    ccdr::Status checked = check_snapshot(temp, info, adopt_store_id);
    imported.check_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - check_started)
            .count();
    if (!checked) {
        if (imported.adopted) {
            remove_db_files(path);  // what SQLite may have left beside it
            fs::rename(temp, path, ec);
        }
        return checked;
    }
    // 4. Make it live.
    auto fresh = install_snapshot(temp, gen, info);
    if (!fresh) {
        return fresh.status();
    }
    imported.store = std::move(fresh.value());
    imported.total_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count();
    return imported;
}

ccdr::Status MemberStore::check_snapshot(const fs::path& file, const ccdr_snapshot_info& info,
                                         bool adopt_store_id) const {
    auto head = read_small_file(file, 16);
    if (!head || head->size() < 16 || std::memcmp(head->data(), "SQLite format 3\0", 16) != 0) {
        return ccdr::Status(CCDR_CORRUPT, "snapshot is not a refhost store (no SQLite header)");
    }
    auto db = sql::Connection::open(file.string(), false);
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
    auto state = db->prepare("SELECT format, store_id, last_tx, last_time FROM state WHERE id = 1");
    if (!state || state->step() != SQLITE_ROW) {
        return ccdr::Status(CCDR_CORRUPT, "snapshot is not a refhost store (no state row)");
    }
    int64_t format = state->int64(0);
    std::string sid(state->text(1));
    uint64_t last = static_cast<uint64_t>(state->int64(2));
    int64_t time = state->int64(3);
    state = sql::Statement();
    // Format 1 (a copy from an earlier refhost, its labels in a table of
    // their own) is taken: opening it moves it to this format
    // (label_migration.hpp).
    if (format != StoreConnection::kFormat && format != 1) {
        return ccdr::Status(CCDR_CORRUPT, "snapshot has store format " + std::to_string(format) +
                                              ", this host reads formats 1 and " +
                                              std::to_string(StoreConnection::kFormat));
    }
    // The graph's tables are there (a count reads each).
    auto tables = db->prepare(format == 1 ? "SELECT (SELECT count(*) FROM nodes) + (SELECT count(*) FROM labels) + "
                                            "(SELECT count(*) FROM rels)"
                                          : "SELECT (SELECT count(*) FROM nodes) + (SELECT count(*) FROM "
                                            "nodes_by_label) + (SELECT count(*) FROM rels)");
    if (!tables || tables->step() != SQLITE_ROW) {
        return ccdr::Status(CCDR_CORRUPT, "snapshot is not a refhost store of format " + std::to_string(format) +
                                              " (its graph tables do not read)");
    }
    tables = sql::Statement();
    if (sid != store_id_ && !adopt_store_id) {
        return ccdr::Status(CCDR_INVALID_ARGUMENT,
                            "snapshot belongs to store id " + sid + ", this database has store id " + store_id_);
    }
    if (last != info.tx_id || time != info.commit_time_ms) {
        return ccdr::Status(CCDR_CORRUPT, "snapshot is at tx " + std::to_string(last) + " (time " +
                                              std::to_string(time) + "), announced tx " + std::to_string(info.tx_id) +
                                              " (time " + std::to_string(info.commit_time_ms) + ")");
    }
    return {};
}

ccdr::Result<std::shared_ptr<MemberStore>> MemberStore::install_snapshot(const fs::path& temp, uint64_t gen,
                                                                         const ccdr_snapshot_info& info) {
    fs::path final_file = dir_ / graph_file_name(gen);
    bool installed = false;
    struct Cleanup {
        fs::path final_file;
        bool& installed;
        ~Cleanup() {
            if (!installed) {
                remove_db_files(final_file);
            }
        }
    } cleanup{final_file, installed};
    {
        auto db = sql::Connection::open(temp.string(), false);
        if (!db) {
            return db.status().with_context("installing the snapshot");
        }
        auto sid = db->prepare("SELECT store_id FROM state WHERE id = 1");
        const bool other_store_id = sid && sid->step() == SQLITE_ROW && std::string(sid->text(0)) != store_id_;
        sid = sql::Statement();
        // A copy from an older refhost still carries its log table.
        ccdr::Status st = db->exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; BEGIN IMMEDIATE");
        if (st) {
            st = drop_older_log_table(*db);
        }
        if (st) {
            st = db->exec("UPDATE state SET oldest_retained = last_tx + 1");
        }
        if (st && other_store_id) {
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
    // Rename into place, then switch CURRENT atomically.
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
    fresh.value()->set_on_durable_txs(on_durable_txs_);
    retire(true);
    if (on_durable_) {
        on_durable_(info.tx_id, info.commit_time_ms);
    }
    return fresh;
}

}  // namespace refhost

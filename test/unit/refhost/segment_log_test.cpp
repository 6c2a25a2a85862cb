// The member store's transaction log as segment files (store/segment_log.hpp)
// and how a store brings it and its graph together when it opens
// (store/member_recovery.cpp): rotation, reads across segments, whole-segment
// retention, a write torn by a crash cut back to the last whole transaction,
// the log replayed into a graph that lost its unsynced pages, a graph ahead
// of its log, and a store of the older format (log in a SQLite table).
#include "store/member_store.hpp"
#include "store/segment_log.hpp"
#include "store/sqlite.hpp"

#include "store_test_dir.hpp"

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <random>

using namespace refhost;
namespace fs = std::filesystem;

namespace {

struct TempDir : refhost::test::StoreTestDir {
    TempDir() : StoreTestDir("ccdr-seglog") {}
};

std::vector<uint8_t> payload_of(uint64_t tx, size_t size = 100) {
    std::vector<uint8_t> p(size);
    for (size_t i = 0; i < size; ++i) p[i] = static_cast<uint8_t>(tx * 31 + i);
    return p;
}

void append_range(SegmentLog& log, uint64_t first, uint64_t last, size_t size = 100) {
    for (uint64_t tx = first; tx <= last; ++tx) {
        auto p = payload_of(tx, size);
        SegmentLog::Entry e{tx, 1'000 + static_cast<int64_t>(tx), std::nullopt, p};
        REQUIRE(log.append({&e, 1}));
    }
}

std::vector<uint64_t> read_ids(const SegmentLog& log, uint64_t from, uint64_t to = UINT64_MAX,
                               uint64_t max_bytes = UINT64_MAX) {
    std::vector<uint64_t> ids;
    auto st = log.read(from, to, max_bytes, [&](const SegmentLog::Header& h, std::span<const uint8_t> p) {
        REQUIRE(std::vector<uint8_t>(p.begin(), p.end()) == payload_of(h.tx_id, p.size()));
        ids.push_back(h.tx_id);
        return true;
    });
    REQUIRE(st);
    return ids;
}

std::vector<fs::path> segments_in(const fs::path& dir) {
    std::vector<fs::path> out;
    for (const auto& e : fs::directory_iterator(dir)) out.push_back(e.path());
    std::sort(out.begin(), out.end());
    return out;
}

MemberStore::Options fast() { return refhost::test::unsynced_store_options(); }

void apply_nodes(MemberStore& store, size_t n) {
    auto lock = store.lock_for_write();
    REQUIRE(lock);
    std::vector<std::vector<uint8_t>> records;
    std::vector<ccdr_tx> txs;
    for (size_t i = 0; i < n; ++i) {
        ChangeRecordWriter w;
        const uint64_t tx = store.last_committed() + 1 + i;
        w.create_node(static_cast<int64_t>(tx), {"Item"}, Map{{"seq", Value(static_cast<int64_t>(tx))}});
        records.push_back(w.bytes());
    }
    for (size_t i = 0; i < n; ++i) {
        txs.push_back(ccdr_tx{store.last_committed() + 1 + i, 1'700'000'000'000 + static_cast<int64_t>(i),
                              ccdr_bytes{records[i].data(), records[i].size()}});
    }
    REQUIRE(store.apply(*lock, txs));
}

std::vector<uint64_t> store_log_ids(MemberStore& store, uint64_t from) {
    std::vector<uint64_t> ids;
    auto st = store.read_log(from, UINT64_MAX, [&](const ccdr_tx& tx) {
        ids.push_back(tx.tx_id);
        return CCDR_OK;
    });
    REQUIRE(st);
    return ids;
}

}  // namespace

TEST_CASE("segment log: appends rotate into segments, reads cross them, retention removes whole segments",
          "[refhost][segment_log]") {
    TempDir dir;
    auto log = SegmentLog::open(dir.path / "log", {4096, false}, 1);
    REQUIRE(log);
    append_range(**log, 1, 200);
    CHECK((*log)->last_tx() == 200);
    CHECK((*log)->segment_count() > 3);
    CHECK(read_ids(**log, 57, 61) == std::vector<uint64_t>{57, 58, 59, 60, 61});
    CHECK(read_ids(**log, 1).size() == 200);
    // At least one record even when it alone is over max_bytes.
    CHECK(read_ids(**log, 10, UINT64_MAX, 1) == std::vector<uint64_t>{10});
    CHECK(read_ids(**log, 10, UINT64_MAX, 250) == std::vector<uint64_t>{10, 11});
    auto h = (*log)->header(150);
    REQUIRE(h);
    REQUIRE(*h);
    CHECK((*h)->time_ms == 1'150);
    CHECK((*(*log)->payload_bytes_from(151)) == 50 * 100);
    CHECK((*(*log)->keep_from_for_bytes(1000)) == 191);
    CHECK((*(*log)->first_at_or_after(1'120)) == 120);

    auto first = (*log)->remove_before(120);
    REQUIRE(first);
    CHECK(*first <= 120);
    CHECK(*first > 1);
    CHECK(read_ids(**log, *first).front() == *first);
    // Reopened, it continues where it was.
    log->reset();
    auto again = SegmentLog::open(dir.path / "log", {4096, false}, 1);
    REQUIRE(again);
    CHECK((*again)->first_tx() == *first);
    CHECK((*again)->last_tx() == 200);
    append_range(**again, 201, 205);
    CHECK(read_ids(**again, 199) == std::vector<uint64_t>{199, 200, 201, 202, 203, 204, 205});
    // Ids must continue the log.
    auto p = payload_of(300);
    SegmentLog::Entry wrong{300, 0, std::nullopt, p};
    CHECK((*again)->append({&wrong, 1}).code() == CCDR_OUT_OF_ORDER);
}

TEST_CASE("segment log: a position between index points is found by walking the headers, across read chunks",
          "[refhost][segment_log]") {
    // Index points every 256 records or 64 KiB: most records lie between
    // two, and locate walks the headers from the point before, reading the
    // stretch in chunks; some records of 30 000 bytes push the headers
    // across a chunk's end.
    TempDir dir;
    auto log = SegmentLog::open(dir.path / "log", {64 << 20, false}, 1);
    REQUIRE(log);
    auto size_of = [](uint64_t tx) -> size_t { return tx % 97 == 0 ? 30'000 : 50 + tx % 200; };
    const uint64_t last = 1'000;
    for (uint64_t tx = 1; tx <= last; ++tx) {
        auto p = payload_of(tx, size_of(tx));
        SegmentLog::Entry e{tx, 1'000 + static_cast<int64_t>(tx), std::nullopt, p};
        REQUIRE((*log)->append({&e, 1}));
    }
    REQUIRE((*log)->segment_count() == 1);
    std::vector<uint64_t> suffix(last + 2, 0);  // payload bytes from tx on
    for (uint64_t tx = last; tx >= 1; --tx) {
        suffix[tx] = suffix[tx + 1] + size_of(tx);
    }
    auto check_all = [&](const SegmentLog& l) {
        for (uint64_t tx = 1; tx <= last; ++tx) {
            CAPTURE(tx);
            auto bytes = l.payload_bytes_from(tx);
            REQUIRE(bytes);
            CHECK(*bytes == suffix[tx]);
            auto h = l.header(tx);
            REQUIRE(h);
            REQUIRE(*h);
            CHECK((*h)->tx_id == tx);
            CHECK((*h)->time_ms == 1'000 + static_cast<int64_t>(tx));
            CHECK((*h)->payload_len == size_of(tx));
        }
    };
    check_all(**log);
    // Reopened: the index is rebuilt from the file, the recent records' ring is empty.
    log->reset();
    auto again = SegmentLog::open(dir.path / "log", {64 << 20, false}, 1);
    REQUIRE(again);
    check_all(**again);
}

TEST_CASE("segment log: a record torn by a crash is cut, the log ends at the last whole transaction",
          "[refhost][segment_log]") {
    TempDir dir;
    {
        auto log = SegmentLog::open(dir.path / "log", {1 << 20, true}, 1);
        REQUIRE(log);
        append_range(**log, 1, 10, 500);
        REQUIRE((*log)->sync());
    }
    const fs::path seg = segments_in(dir.path / "log").back();
    const auto full = fs::file_size(seg);

    SECTION("cut in the middle of the last record's payload") {
        fs::resize_file(seg, full - 200);
        SegmentLog::OpenReport report;
        auto log = SegmentLog::open(dir.path / "log", {1 << 20, true}, 1, &report);
        REQUIRE(log);
        CHECK((*log)->last_tx() == 9);
        CHECK(report.torn_bytes_cut == SegmentLog::kRecordHeader + 500 - 200);
        append_range(**log, 10, 11, 500);
        CHECK(read_ids(**log, 1).size() == 11);
    }
    SECTION("cut inside a record header") {
        fs::resize_file(seg, full - 500 - SegmentLog::kRecordHeader + 20);
        auto log = SegmentLog::open(dir.path / "log", {1 << 20, true}, 1);
        REQUIRE(log);
        CHECK((*log)->last_tx() == 9);
    }
    SECTION("a damaged byte in the last record fails its checksum") {
        int fd = ::open(seg.c_str(), O_RDWR);
        REQUIRE(fd >= 0);
        uint8_t b = 0xff;
        REQUIRE(::pwrite(fd, &b, 1, static_cast<off_t>(full - 10)) == 1);
        ::close(fd);
        auto log = SegmentLog::open(dir.path / "log", {1 << 20, true}, 1);
        REQUIRE(log);
        CHECK((*log)->last_tx() == 9);
    }
}

TEST_CASE("segment log: a damaged record before the newest segments is refused, not cut",
          "[refhost][segment_log]") {
    TempDir dir;
    {
        auto log = SegmentLog::open(dir.path / "log", {2048, false}, 1);
        REQUIRE(log);
        append_range(**log, 1, 100);
    }
    auto segs = segments_in(dir.path / "log");
    REQUIRE(segs.size() > 3);
    fs::resize_file(segs.front(), fs::file_size(segs.front()) - 30);
    auto log = SegmentLog::open(dir.path / "log", {2048, false}, 1);
    REQUIRE_FALSE(log);
    CHECK(log.status().code() == CCDR_CORRUPT);
}

TEST_CASE("member store: the log replays into a graph that lost its last transactions",
          "[refhost][segment_log]") {
    TempDir dir;
    const fs::path m = dir.path / "m";
    std::string expected_hash;
    std::string expected_fp;
    const fs::path saved = dir.path / "graph-at-5.db";
    {
        auto store = MemberStore::open(m, "store-a", fast());
        REQUIRE(store);
        apply_nodes(**store, 5);
    }
    // The graph as an OS crash could leave it: its state at tx 5.
    fs::copy_file(m / "graph-1.db", saved);
    {
        auto store = MemberStore::open(m, "store-a", fast());
        REQUIRE(store);
        apply_nodes(**store, 4);
        expected_hash = (*store)->content_hash().value();
        expected_fp = (*store)->running_fingerprint(0).value().hex;
    }
    fs::copy_file(saved, m / "graph-1.db", fs::copy_options::overwrite_existing);
    std::error_code ec;
    fs::remove(m / "graph-1.db-wal", ec);
    fs::remove(m / "graph-1.db-shm", ec);

    auto store = MemberStore::open(m, "store-a", fast());
    REQUIRE(store);
    CHECK((*store)->recovery().replayed == 4);
    CHECK((*store)->last_committed() == 9);
    CHECK((*store)->content_hash().value() == expected_hash);
    CHECK((*store)->running_fingerprint(0).value().hex == expected_fp);
    CHECK(store_log_ids(**store, 1).size() == 9);
    apply_nodes(**store, 1);
    CHECK((*store)->last_committed() == 10);
}

TEST_CASE("member store: a graph ahead of its log keeps its transactions and the log starts after them",
          "[refhost][segment_log]") {
    TempDir dir;
    const fs::path m = dir.path / "m";
    {
        auto store = MemberStore::open(m, "store-a", fast());
        REQUIRE(store);
        apply_nodes(**store, 6);
    }
    // The log lost its last two records (an OS crash before its sync).
    const fs::path seg = segments_in(MemberStore::log_dir_of(m / "graph-1.db")).back();
    uint64_t cut_at = 0;
    {
        // Find where tx 5 starts: the size of the file after tx 4.
        auto log = SegmentLog::open(seg.parent_path(), {}, 1);
        REQUIRE(log);
        cut_at = SegmentLog::kFileHeader;
        REQUIRE((*log)->read(1, 4, UINT64_MAX, [&](const SegmentLog::Header& h, std::span<const uint8_t>) {
            cut_at += SegmentLog::kRecordHeader + h.payload_len;
            return true;
        }));
    }
    fs::resize_file(seg, cut_at);
    auto store = MemberStore::open(m, "store-a", fast());
    REQUIRE(store);
    CHECK((*store)->recovery().unlogged == 2);
    CHECK((*store)->last_committed() == 6);
    CHECK((*store)->log_info().oldest_retained_tx == 7);
    auto st = (*store)->read_log(3, UINT64_MAX, [](const ccdr_tx&) { return CCDR_OK; });
    CHECK(st.code() == CCDR_LOG_PRUNED);
    apply_nodes(**store, 2);
    CHECK(store_log_ids(**store, 7) == std::vector<uint64_t>{7, 8});
}

TEST_CASE("member store: a store of the older format moves its log table into segments once",
          "[refhost][segment_log]") {
    TempDir dir;
    const fs::path m = dir.path / "m";
    std::vector<std::vector<uint8_t>> payloads;
    std::string fp_now;
    {
        auto store = MemberStore::open(m, "store-a", fast());
        REQUIRE(store);
        apply_nodes(**store, 7);
        REQUIRE((*store)->read_log(1, UINT64_MAX, [&](const ccdr_tx& tx) {
            payloads.emplace_back(tx.payload.data, tx.payload.data + tx.payload.len);
            return CCDR_OK;
        }));
        fp_now = (*store)->running_fingerprint(0).value().hex;
    }
    // The older format: the log in a txlog table, no segment files.
    {
        auto db = sql::Connection::open((m / "graph-1.db").string(), false);
        REQUIRE(db);
        REQUIRE(db->exec("CREATE TABLE txlog(id INTEGER PRIMARY KEY, time INTEGER NOT NULL, fp BLOB, "
                         "payload BLOB NOT NULL)"));
        auto ins = db->prepare("INSERT INTO txlog(id, time, payload) VALUES (?, ?, ?)");
        REQUIRE(ins);
        for (size_t i = 0; i < payloads.size(); ++i) {
            ins->bind(1, static_cast<int64_t>(i + 1));
            ins->bind(2, int64_t{1'700'000'000'000});
            ins->bind_blob(3, payloads[i]);
            REQUIRE(ins->step() == SQLITE_DONE);
            ins->reset();
        }
    }
    fs::remove_all(MemberStore::log_dir_of(m / "graph-1.db"));

    auto store = MemberStore::open(m, "store-a", fast());
    REQUIRE(store);
    CHECK((*store)->recovery().migrated == 7);
    std::vector<std::vector<uint8_t>> read;
    REQUIRE((*store)->read_log(1, UINT64_MAX, [&](const ccdr_tx& tx) {
        read.emplace_back(tx.payload.data, tx.payload.data + tx.payload.len);
        return CCDR_OK;
    }));
    CHECK(read == payloads);
    CHECK((*store)->running_fingerprint(0).value().hex == fp_now);
    {
        auto lease = (*store)->connection();
        REQUIRE(lease);
        auto q = (*lease)->db().prepare("SELECT count(*) FROM sqlite_master WHERE name = 'txlog'");
        REQUIRE(q);
        REQUIRE(q->step() == SQLITE_ROW);
        CHECK(q->int64(0) == 0);
    }
    store->reset();
    auto reopened = MemberStore::open(m, "store-a", fast());
    REQUIRE(reopened);
    CHECK((*reopened)->recovery().migrated == 0);
    CHECK(store_log_ids(**reopened, 1).size() == 7);
}

TEST_CASE("segment log: a record written in parts joins the log at finish, and is cut away unfinished",
          "[refhost][segment_log]") {
    TempDir dir;
    const fs::path d = dir.path / "log";
    {
        auto log = SegmentLog::open(d, {1 << 20, false}, 1);
        REQUIRE(log);
        append_range(**log, 1, 3);
        const auto whole = payload_of(4, 1000);
        {
            auto rec = (*log)->begin_record(4, 1'004, whole.size());
            REQUIRE(rec);
            REQUIRE((*rec)->write(std::span<const uint8_t>(whole).first(300)));
            CHECK((*log)->last_tx() == 3);  // not a record before finish
            CHECK(read_ids(**log, 1) == std::vector<uint64_t>{1, 2, 3});
            REQUIRE((*rec)->write(std::span<const uint8_t>(whole).subspan(300)));
            CHECK((*rec)->write(std::span<const uint8_t>(whole).first(1)).code() == CCDR_INVALID_ARGUMENT);
            REQUIRE((*rec)->finish(std::nullopt));
        }
        CHECK(read_ids(**log, 1) == std::vector<uint64_t>{1, 2, 3, 4});
        {
            // Dropped unfinished: the log is as before it.
            auto rec = (*log)->begin_record(5, 1'005, 500);
            REQUIRE(rec);
            REQUIRE((*rec)->write(std::span<const uint8_t>(payload_of(5, 500)).first(200)));
        }
        CHECK((*log)->last_tx() == 4);
        append_range(**log, 5, 5);
    }
    {
        // A crash in the middle of a record written in parts leaves its
        // room with the header still zeros and part of the payload.
        const fs::path seg = segments_in(d).back();
        std::vector<uint8_t> room(SegmentLog::kRecordHeader, 0);
        const auto part = payload_of(6, 200);
        room.insert(room.end(), part.begin(), part.end());
        int fd = ::open(seg.c_str(), O_WRONLY | O_APPEND);
        REQUIRE(fd >= 0);
        REQUIRE(::write(fd, room.data(), room.size()) == static_cast<ssize_t>(room.size()));
        ::close(fd);
    }
    SegmentLog::OpenReport report;
    auto log = SegmentLog::open(d, {1 << 20, false}, 1, &report);
    REQUIRE(log);
    CHECK((*log)->last_tx() == 5);
    CHECK(report.torn_bytes_cut == SegmentLog::kRecordHeader + 200);
    CHECK(read_ids(**log, 1) == std::vector<uint64_t>{1, 2, 3, 4, 5});
}

TEST_CASE("segment log: a large record is visited without its payload, then read in pieces and checked at its end",
          "[refhost][segment_log]") {
    TempDir dir;
    const fs::path d = dir.path / "log";
    auto log = SegmentLog::open(d, {4096, false}, 1);
    REQUIRE(log);
    append_range(**log, 1, 2);
    append_range(**log, 3, 3, 10'000);  // larger than the 1 000-byte bound below
    append_range(**log, 4, 5);

    std::vector<std::pair<uint64_t, size_t>> seen;  // id, payload bytes handed over
    REQUIRE((*log)->read(
        1, UINT64_MAX, UINT64_MAX,
        [&](const SegmentLog::Header& h, std::span<const uint8_t> p) {
            seen.emplace_back(h.tx_id, p.size());
            CHECK(h.payload_len == (h.tx_id == 3 ? 10'000u : 100u));
            return true;
        },
        1'000));
    CHECK(seen == std::vector<std::pair<uint64_t, size_t>>{{1, 100}, {2, 100}, {3, 0}, {4, 100}, {5, 100}});

    auto reader = (*log)->open_record(3);
    REQUIRE(reader);
    REQUIRE(*reader);
    CHECK((*reader)->header().payload_len == 10'000);
    // Retention may remove its segment meanwhile: the reader keeps it open.
    append_range(**log, 6, 60);
    REQUIRE((*log)->remove_before(50));
    REQUIRE((*log)->first_tx() > 3);
    std::vector<uint8_t> got;
    std::vector<uint8_t> piece(3'000);
    for (;;) {
        auto n = (*reader)->read(piece);
        REQUIRE(n);
        if (*n == 0) break;
        got.insert(got.end(), piece.begin(), piece.begin() + static_cast<std::ptrdiff_t>(*n));
    }
    CHECK(got == payload_of(3, 10'000));
    auto gone = (*log)->open_record(3);
    REQUIRE(gone);
    CHECK(!*gone);
    auto future = (*log)->open_record(61);
    REQUIRE(future);
    CHECK(!*future);
}

TEST_CASE("segment log: a record read in pieces whose payload changed on disk fails its checksum on the last piece",
          "[refhost][segment_log]") {
    TempDir dir;
    const fs::path d = dir.path / "log";
    auto log = SegmentLog::open(d, {1 << 20, false}, 1);
    REQUIRE(log);
    append_range(**log, 1, 1, 5'000);
    {
        // One byte of the payload flipped in place (a disk error).
        int fd = ::open(segments_in(d).front().c_str(), O_RDWR);
        REQUIRE(fd >= 0);
        const off_t at = static_cast<off_t>(SegmentLog::kFileHeader + SegmentLog::kRecordHeader + 4'321);
        uint8_t b = 0;
        REQUIRE(::pread(fd, &b, 1, at) == 1);
        b ^= 0x10;
        REQUIRE(::pwrite(fd, &b, 1, at) == 1);
        ::close(fd);
    }
    auto reader = (*log)->open_record(1);
    REQUIRE(reader);
    REQUIRE(*reader);
    std::vector<uint8_t> piece(2'000);
    CHECK((*reader)->read(piece).value() == 2'000);  // nothing to check before the end
    CHECK((*reader)->read(piece).value() == 2'000);
    auto last = (*reader)->read(piece);
    REQUIRE(!last);
    CHECK(last.status().code() == CCDR_CORRUPT);
    CHECK(last.status().message().find("fails its checksum") != std::string::npos);
}

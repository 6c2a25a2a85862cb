// ABI 1.2 snapshots through files on the refhost (plugin_host's StoreAccess
// over MemberStore::export_snapshot_file / import_snapshot_file): the export
// writes the file the plugin names, the import adopts a verified file by
// rename, and a bad file is refused with nothing changed.
#include "plugin_host/store_access.hpp"
#include "store/change_record.hpp"
#include "store/member_store.hpp"
#include "store/sqlite.hpp"
#include "store/store_connection.hpp"
#include "support/refhost_home.hpp"

#include "store_format_1.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>

using namespace refhost;
using refhost::test::admin;
using refhost::test::TempHome;
using Catch::Matchers::Contains;

namespace fs = std::filesystem;

namespace {

std::string file_bytes(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// `n` commits on neo4j of `c`, each a node with a 2 KiB string.
void commit_nodes(Cluster& c, int n) {
    for (int i = 0; i < n; ++i) {
        auto tx = c.begin(0, "neo4j", AccessMode::Write, admin(), {}, std::chrono::milliseconds(100));
        REQUIRE(tx.ok());
        Map props{{"i", Value(i)}, {"s", Value(std::string(2048, 'a' + i % 26))}};
        REQUIRE(tx.value()->graph().create_node({"P"}, std::move(props)).ok());
        REQUIRE(tx.value()->commit().ok());
    }
}

ccdr::DatabaseSpec replica_spec(const std::string& name, const std::string& store_id) {
    ccdr::DatabaseSpec s;
    s.name = name;
    s.kind = CCDR_KIND_REPLICA;
    s.primaries = 1;
    s.secondaries = 0;
    s.store_id = store_id;
    return s;
}

// A spool directory of the plugin on the same filesystem as the stores.
fs::path spool_dir(const TempHome& home) {
    fs::path d = home.path() / "data" / "ccdr-spool";
    fs::create_directories(d);
    return d;
}

// A cluster whose neo4j holds `n` commits, an empty replica database "copy"
// of it, and neo4j's snapshot exported to the plugin's spool directory.
struct ExportedSnapshot {
    explicit ExportedSnapshot(int n) : a(home.open_cluster()), file(spool_dir(home) / "replica-copy.snapshot") {
        commit_nodes(*a, n);
        const std::string store_id = a->database("neo4j")->record.store_id;
        REQUIRE(a->create(replica_spec("copy", store_id)).is_ok());
        auto exported = StoreAccess(*a).snapshot_export_file(0, "neo4j", file.string());
        REQUIRE(exported.is_ok());
        info = *exported;
    }
    TempHome home;
    std::unique_ptr<Cluster> a;
    fs::path file;
    ccdr_snapshot_info info{};
};

}  // namespace

TEST_CASE("refhost snapshot_export_file writes the named file, at the last tx, without its log",
          "[refhost][snapshot]") {
    TempHome home;
    auto a = home.open_cluster();
    commit_nodes(*a, 20);
    const fs::path file = spool_dir(home) / "upstream-1.snapshot";
    auto info = StoreAccess(*a).snapshot_export_file(0, "neo4j", file.string());
    REQUIRE(info.is_ok());
    CHECK(info->tx_id == 20);
    CHECK(info->total_bytes == fs::file_size(file));
    CHECK(info->commit_time_ms == StoreAccess(*a).log_info(0, "neo4j")->last_commit_time_ms);
    // One self-contained file: no journal or WAL beside it.
    CHECK_FALSE(fs::exists(file.string() + "-wal"));
    CHECK_FALSE(fs::exists(file.string() + "-journal"));
    CHECK(file_bytes(file).compare(0, 16, std::string("SQLite format 3\0", 16)) == 0);

    SECTION("a file already at the path is refused and kept") {
        auto again = StoreAccess(*a).snapshot_export_file(0, "neo4j", file.string());
        CHECK(again.status().code() == CCDR_INVALID_ARGUMENT);
        CHECK_THAT(again.status().message(), Contains("already exists"));
        CHECK(fs::file_size(file) == info->total_bytes);
    }
    SECTION("a relative path is refused") {
        auto relative = StoreAccess(*a).snapshot_export_file(0, "neo4j", "relative.snapshot");
        CHECK(relative.status().code() == CCDR_INVALID_ARGUMENT);
    }
}

TEST_CASE("refhost snapshot_import_file adopts a verified file by rename, the member goes on from its tx",
          "[refhost][snapshot]") {
    ExportedSnapshot x(25);
    auto& a = x.a;
    const fs::path& file = x.file;
    REQUIRE(StoreAccess(*a).snapshot_import_file(0, "copy", x.info, file.string()).is_ok());
    CHECK_FALSE(fs::exists(file));  // renamed into the store, not copied
    auto src_hash = a->database("neo4j")->member_on(0)->store()->content_hash();
    auto dst_hash = a->database("copy")->member_on(0)->store()->content_hash();
    CHECK(dst_hash.value() == src_hash.value());
    auto log = StoreAccess(*a).log_info(0, "copy");
    CHECK(log->last_committed_tx == 25);
    CHECK(log->oldest_retained_tx == 26);
    ChangeRecordWriter w;
    w.create_node(1000, {"After"}, {});
    ccdr_tx next{26, 1, ccdr_bytes{w.bytes().data(), w.bytes().size()}};
    REQUIRE(StoreAccess(*a).apply_batch(0, "copy", std::span<const ccdr_tx>(&next, 1)).is_ok());
    CHECK(StoreAccess(*a).log_info(0, "copy")->last_committed_tx == 26);
}

TEST_CASE("refhost snapshot_import_file takes a snapshot of store format 1 and moves it to format 2",
          "[refhost][snapshot][labels]") {
    // What an upstream running the refhost before format 2 sends.
    ExportedSnapshot x(15);
    auto& a = x.a;
    refhost::test::make_format_1(x.file);
    ccdr_snapshot_info info = x.info;
    info.total_bytes = fs::file_size(x.file);
    REQUIRE(StoreAccess(*a).snapshot_import_file(0, "copy", info, x.file.string()).is_ok());
    auto copy = a->database("copy")->member_on(0)->store();
    CHECK(copy->content_hash().value() == a->database("neo4j")->member_on(0)->store()->content_hash().value());
    {
        auto db = sql::Connection::open(copy->file().string(), false);
        REQUIRE(db);
        CHECK(db->scalar("SELECT format FROM state WHERE id = 1").value() == StoreConnection::kFormat);
        CHECK(db->scalar("SELECT count(*) FROM nodes_by_label WHERE label = 'P'").value() == 15);
    }
    ChangeRecordWriter w;
    w.create_node(1000, {"After"}, {});
    ccdr_tx next{16, 1, ccdr_bytes{w.bytes().data(), w.bytes().size()}};
    REQUIRE(StoreAccess(*a).apply_batch(0, "copy", std::span<const ccdr_tx>(&next, 1)).is_ok());
}

TEST_CASE("refhost snapshot_import_file refuses a store format it does not read", "[refhost][snapshot]") {
    ExportedSnapshot x(3);
    {
        auto db = sql::Connection::open(x.file.string(), false);
        REQUIRE(db);
        REQUIRE(db->exec("UPDATE state SET format = 3"));
    }
    ccdr_snapshot_info info = x.info;
    info.total_bytes = fs::file_size(x.file);
    auto st = StoreAccess(*x.a).snapshot_import_file(0, "copy", info, x.file.string());
    CHECK(st.code() == CCDR_CORRUPT);
    CHECK_THAT(st.message(), Contains("snapshot has store format 3, this host reads formats 1 and 2"));
    CHECK(fs::exists(x.file));
}

TEST_CASE("refhost snapshot_import_file refuses a bad file with a clear error and changes nothing",
          "[refhost][snapshot]") {
    ExportedSnapshot x(10);
    auto& a = x.a;
    const fs::path& file = x.file;
    const ccdr_snapshot_info& info = x.info;
    const auto before = a->database("copy")->member_on(0)->store()->content_hash().value();
    auto unchanged = [&] {
        CHECK(a->database("copy")->member_on(0)->store()->content_hash().value() == before);
        CHECK(StoreAccess(*a).log_info(0, "copy")->last_committed_tx == 0);
    };

    SECTION("not a SQLite file: refused where it lies") {
        std::string bytes(static_cast<size_t>(info.total_bytes), 'x');
        std::ofstream(file, std::ios::binary | std::ios::trunc) << bytes;
        auto st = StoreAccess(*a).snapshot_import_file(0, "copy", info, file.string());
        CHECK(st.code() == CCDR_CORRUPT);
        CHECK_THAT(st.message(), Contains("is not a refhost store (no SQLite header)"));
        CHECK(file_bytes(file) == bytes);
        unchanged();
    }
    SECTION("another size than announced") {
        ccdr_snapshot_info longer = info;
        longer.total_bytes += 4096;
        auto st = StoreAccess(*a).snapshot_import_file(0, "copy", longer, file.string());
        CHECK(st.code() == CCDR_CORRUPT);
        CHECK_THAT(st.message(), Contains("bytes, expected " + std::to_string(longer.total_bytes)));
        CHECK(fs::file_size(file) == info.total_bytes);
        unchanged();
    }
    SECTION("another tx than announced: refused by the checks and put back unchanged") {
        const std::string bytes = file_bytes(file);
        ccdr_snapshot_info other = info;
        other.tx_id = 9;
        auto st = StoreAccess(*a).snapshot_import_file(0, "copy", other, file.string());
        CHECK(st.code() == CCDR_CORRUPT);
        CHECK_THAT(st.message(), Contains("snapshot is at tx 10") && Contains("announced tx 9"));
        CHECK(file_bytes(file) == bytes);
        unchanged();
        // The same file, announced right, is then taken.
        REQUIRE(StoreAccess(*a).snapshot_import_file(0, "copy", info, file.string()).is_ok());
        CHECK(StoreAccess(*a).log_info(0, "copy")->last_committed_tx == 10);
    }
    SECTION("a standard database is not replaced") {
        auto st = StoreAccess(*a).snapshot_import_file(0, "neo4j", info, file.string());
        CHECK(st.code() == CCDR_INVALID_ARGUMENT);
        CHECK(fs::exists(file));
    }
}

TEST_CASE("refhost snapshot_export_file copies the pinned store file, or backs up beside an old reader",
          "[refhost][snapshot]") {
    TempHome home;
    auto a = home.open_cluster();
    commit_nodes(*a, 5);
    auto store = a->database("neo4j")->member_on(0)->store();
    const fs::path dir = spool_dir(home);

    auto pinned = store->export_snapshot_file(dir / "pinned.snapshot");
    REQUIRE(pinned.is_ok());
    CHECK(pinned->file_copy);
    CHECK(pinned->info.tx_id == 5);

    // A reader of tx 5 held open while tx 6..8 commit: the WAL cannot be
    // checkpointed whole, so the export takes the backup, without waiting
    // for the reader (writers queue behind the export's write lock).
    auto reader = store->connection();
    REQUIRE(reader.is_ok());
    REQUIRE((*reader)->begin_read().is_ok());
    StoreState seen;
    REQUIRE((*reader)->read_state(seen).is_ok());
    commit_nodes(*a, 3);
    const auto t0 = std::chrono::steady_clock::now();
    auto backed_up = store->export_snapshot_file(dir / "backup.snapshot");
    const auto ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();
    REQUIRE(backed_up.is_ok());
    CHECK_FALSE(backed_up->file_copy);
    CHECK(backed_up->info.tx_id == 8);
    CHECK(ms < 2000);
    (*reader)->rollback();
    CHECK(seen.last_tx == 5);

    // Both files import and hold what the store held at their tx.
    REQUIRE(a->create(replica_spec("copy", a->database("neo4j")->record.store_id)).is_ok());
    const std::string backup_file = (dir / "backup.snapshot").string();
    REQUIRE(StoreAccess(*a).snapshot_import_file(0, "copy", backed_up->info, backup_file).is_ok());
    CHECK(a->database("copy")->member_on(0)->store()->content_hash().value() == store->content_hash().value());
    CHECK(StoreAccess(*a).log_info(0, "copy")->last_committed_tx == 8);
}

// The upstream's snapshot spools (upstream/snapshot_spools.hpp) over the
// in-memory host: an ABI 1.2 host writes the spool file itself
// (snapshot_export_file), an older host streams it through snapshot_export;
// both give the same spool (bytes, size, whole-file hash), and a failed
// export leaves no file behind.
#include "support/memory_host.hpp"
#include "upstream/snapshot_spools.hpp"

#include <ccdr/host_adapter.hpp>

#include <catch2/catch.hpp>
#include <spdlog/sinks/null_sink.h>
#include <xxhash.h>

#include <cstddef>
#include <filesystem>
#include <fstream>
#include <iterator>

#include <unistd.h>

using ccdr::HostHandle;
using ccdr::plugin::SnapshotSpool;
using ccdr::plugin::SnapshotSpools;
using ccdr::test::MemoryHost;
using namespace std::chrono_literals;

namespace fs = std::filesystem;

namespace {

std::shared_ptr<spdlog::logger> quiet() {
    return std::make_shared<spdlog::logger>("spools", std::make_shared<spdlog::sinks::null_sink_mt>());
}

struct TempDir {
    fs::path path = fs::temp_directory_path() / ("ccdr-spools-" + std::to_string(::getpid()));
    TempDir() { fs::create_directories(path); }
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
};

std::string file_bytes(const std::string& p) {
    std::ifstream in(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void standard_with_txs(MemoryHost& host, const std::string& name, int n) {
    ccdr::DatabaseSpec spec;
    spec.name = name;
    spec.kind = CCDR_KIND_STANDARD;
    REQUIRE(host.create_database(spec).is_ok());
    for (int i = 1; i <= n; ++i) {
        REQUIRE(host.commit(name, std::vector<uint8_t>(300, static_cast<uint8_t>(i))).is_ok());
    }
}

}  // namespace

TEST_CASE("snapshot spools: a 1.2 host writes the spool file, an older host streams the same spool",
          "[upstream][snapshot][version]") {
    TempDir dir;
    MemoryHost host("a1", {});
    standard_with_txs(host, "foo", 40);

    SnapshotSpools by_file(HostHandle(ccdr::host_api(), host.ctx()), (dir.path / "new").string(), 1min, quiet());
    auto filed = by_file.acquire("foo", 0);
    REQUIRE(filed.is_ok());
    CHECK(host.file_exports() == 1);
    CHECK(host.streamed_exports() == 0);

    ccdr_host_api older = *ccdr::host_api();
    older.hdr.minor = 1;
    older.hdr.struct_size = static_cast<uint32_t>(offsetof(ccdr_host_api, list_users));
    SnapshotSpools streamed(HostHandle(&older, host.ctx()), (dir.path / "old").string(), 1min, quiet());
    auto stream = streamed.acquire("foo", 0);
    REQUIRE(stream.is_ok());
    CHECK(host.streamed_exports() == 1);
    CHECK(host.file_exports() == 1);

    const SnapshotSpool& a = *filed.value();
    const SnapshotSpool& b = *stream.value();
    CHECK(a.tx_id == 40);
    CHECK(b.tx_id == 40);
    CHECK(a.total_bytes == b.total_bytes);
    CHECK(a.total_bytes == fs::file_size(a.path));
    const std::string bytes = file_bytes(a.path);
    CHECK(bytes == file_bytes(b.path));
    CHECK(a.file_hash == XXH3_64bits(bytes.data(), bytes.size()));
    CHECK(a.file_hash == b.file_hash);
    // Resuming asks for the kept spool, not a new export.
    auto again = by_file.acquire("foo", a.id);
    REQUIRE(again.is_ok());
    CHECK(again.value()->id == a.id);
    CHECK(host.file_exports() == 1);
    by_file.remove_all();
    streamed.remove_all();
}

TEST_CASE("snapshot spools: a failed file export leaves no spool file", "[upstream][snapshot]") {
    TempDir dir;
    MemoryHost host("a1", {});
    SnapshotSpools spools(HostHandle(ccdr::host_api(), host.ctx()), dir.path.string(), 1min, quiet());
    auto missing = spools.acquire("nope", 0);
    CHECK(missing.status().code() == CCDR_DATABASE_NOT_FOUND);
    CHECK_THAT(missing.status().message(), Catch::Contains("exporting a snapshot of 'nope' failed"));
    CHECK(fs::is_empty(dir.path));
}

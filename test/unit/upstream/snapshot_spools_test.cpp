// The upstream's snapshot spools (upstream/snapshot_spools.hpp) over the
// in-memory host: an ABI 1.2 host writes the spool file itself
// (snapshot_export_file), an older host streams it through snapshot_export;
// both give the same spool (bytes, size, whole-file hash), and a failed
// export leaves no file behind. And the SNAPSHOT_CHUNK frames read from a
// spool (upstream/snapshot_chunk_frames.hpp).
#include "support/memory_host.hpp"
#include "protocol/messages.hpp"
#include "upstream/snapshot_chunk_frames.hpp"
#include "upstream/snapshot_spools.hpp"

#include <ccdr/host_adapter.hpp>

#include <catch2/catch.hpp>
#include <spdlog/sinks/null_sink.h>
#include <xxhash.h>

#include <cstddef>
#include <filesystem>
#include <fstream>
#include <condition_variable>
#include <iterator>
#include <mutex>
#include <thread>

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

TEST_CASE("snapshot chunk frames: read into the payload, the same frame and message as encoding the chunk",
          "[upstream][snapshot]") {
    TempDir dir;
    MemoryHost host("a1", {});
    standard_with_txs(host, "foo", 40);
    SnapshotSpools spools(HostHandle(ccdr::host_api(), host.ctx()), dir.path.string(), 1min, quiet());
    auto acquired = spools.acquire("foo", 0);
    REQUIRE(acquired.is_ok());
    const SnapshotSpool& spool = *acquired.value();
    const std::string bytes = file_bytes(spool.path);
    REQUIRE(bytes.size() > 3000);
    const ccdr::protocol::FrameLimits limits;
    // A reused buffer (larger, with old bytes) gives the same frame.
    for (auto reused : {std::vector<uint8_t>{}, std::vector<uint8_t>(9000, 0xee)}) {
        auto frame = ccdr::plugin::frame_snapshot_chunk(spools, spool, 1000, 2000, false, limits, reused);
        REQUIRE(frame.is_ok());
        const std::span<const uint8_t> data(reinterpret_cast<const uint8_t*>(bytes.data()) + 1000, 2000);
        ccdr::protocol::SnapshotChunk expected{spool.id, 1000, XXH3_64bits(data.data(), data.size()), data};
        auto plain = ccdr::protocol::encode_frame(ccdr::protocol::MessageType::kSnapshotChunk,
                                                  ccdr::protocol::encode_message(expected), false, limits);
        REQUIRE(plain.is_ok());
        CHECK(frame->header == plain->header);
        CHECK(frame->body == plain->body);
    }
    auto past_end = ccdr::plugin::frame_snapshot_chunk(spools, spool, spool.total_bytes - 10, 20, false, limits);
    CHECK(past_end.status().code() == CCDR_IO_ERROR);
    spools.remove_all();
}

TEST_CASE("snapshot chunk frames: LZ4 is tried on every chunk until one saves less than an eighth, then on one in 32",
          "[upstream][snapshot]") {
    using ccdr::plugin::ChunkCompressionProbe;
    ChunkCompressionProbe off(false);
    CHECK_FALSE(off.try_next());
    ChunkCompressionProbe probe(true);
    for (int i = 0; i < 5; ++i) {
        REQUIRE(probe.try_next());
        probe.tried(1 << 20, 100'000);  // shrinks
    }
    REQUIRE(probe.try_next());
    probe.tried(1 << 20, (1 << 20) - 1000);  // saved less than an eighth
    int tried = 0;
    for (uint32_t i = 0; i < ChunkCompressionProbe::kProbeEvery - 1; ++i) {
        tried += probe.try_next() ? 1 : 0;
    }
    CHECK(tried == 0);
    CHECK(probe.try_next());  // the probe
    probe.tried(1 << 20, 200'000);
    CHECK(probe.try_next());  // compressible again: every chunk
}

namespace {

// The host's snapshot_export_file held at its start until the test lets it
// go: an export that is still running when more copies ask.
struct HeldExport {
    static inline decltype(ccdr_host_api::snapshot_export_file) original = nullptr;
    static inline std::mutex mu;
    static inline std::condition_variable cv;
    static inline bool released = false;
    static inline int entered = 0;

    static ccdr_status export_file(ccdr_host_ctx* host, ccdr_string database, ccdr_string path,
                                   ccdr_snapshot_info* info, ccdr_error* err) {
        {
            std::unique_lock lock(mu);
            ++entered;
            cv.notify_all();
            cv.wait(lock, [] { return released; });
        }
        return original(host, database, path, info, err);
    }

    // The in-memory host's API with its export held, the hold reset.
    static ccdr_host_api install() {
        ccdr_host_api held = *ccdr::host_api();
        original = held.snapshot_export_file;
        released = false;
        entered = 0;
        held.snapshot_export_file = &export_file;
        return held;
    }
    static void wait_entered(int n) {
        std::unique_lock lock(mu);
        REQUIRE(cv.wait_for(lock, std::chrono::seconds(10), [n] { return entered == n; }));
    }
    static void release() {
        {
            std::lock_guard lock(mu);
            released = true;
        }
        cv.notify_all();
    }
};

// Until `n` copies have joined a running export (10 s at most).
void wait_joined(const SnapshotSpools& spools, uint64_t n) {
    for (int i = 0; i < 2000 && spools.joined_exports() < n; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
}

}  // namespace

TEST_CASE("snapshot spools: copies that ask while an export of the database runs share it, a later copy exports anew",
          "[upstream][snapshot]") {
    TempDir dir;
    MemoryHost host("a1", {});
    standard_with_txs(host, "foo", 40);
    standard_with_txs(host, "bar", 5);
    ccdr_host_api held = HeldExport::install();
    SnapshotSpools spools(HostHandle(&held, host.ctx()), dir.path.string(), 1min, quiet());

    constexpr int kCopies = 5;  // the members of a 3 + 2 replica database
    std::vector<ccdr::Result<std::shared_ptr<const SnapshotSpool>>> got(kCopies, ccdr::Status(CCDR_INTERNAL, "unset"));
    std::vector<std::thread> copies;
    copies.emplace_back([&] { got[0] = spools.acquire("foo", 0); });
    HeldExport::wait_entered(1);
    for (int i = 1; i < kCopies; ++i) {
        copies.emplace_back([&, i] { got[static_cast<size_t>(i)] = spools.acquire("foo", 0); });
    }
    // Another database is not held up by foo's export: it exports on its own.
    std::thread other([&] {
        auto bar = spools.acquire("bar", 0);
        CHECK(bar.is_ok());
    });
    HeldExport::wait_entered(2);
    // Every later copy of foo has joined before the export is let go.
    wait_joined(spools, kCopies - 1);
    CHECK(spools.joined_exports() == kCopies - 1);
    HeldExport::release();
    for (auto& t : copies) {
        t.join();
    }
    other.join();
    CHECK(host.file_exports() == 2);  // foo once, bar once
    for (const auto& r : got) {
        REQUIRE(r.is_ok());
        CHECK(r.value()->id == got[0].value()->id);
        CHECK(r.value()->tx_id == 40);
        CHECK(r.value()->path == got[0].value()->path);
    }
    // A copy that asks once the export ended gets an export of its own: the
    // spool's tx may be older than the log still holds by then.
    REQUIRE(host.commit("foo", std::vector<uint8_t>(300, 0x41)).is_ok());
    auto later = spools.acquire("foo", 0);
    REQUIRE(later.is_ok());
    CHECK(later.value()->id != got[0].value()->id);
    CHECK(later.value()->tx_id == 41);
    CHECK(host.file_exports() == 3);
    CHECK(spools.joined_exports() == kCopies - 1);
    spools.remove_all();
}

TEST_CASE("snapshot spools: copies that joined a failed export get its error, and the next copy tries again",
          "[upstream][snapshot]") {
    TempDir dir;
    MemoryHost host("a1", {});
    ccdr_host_api held = HeldExport::install();
    SnapshotSpools spools(HostHandle(&held, host.ctx()), dir.path.string(), 1min, quiet());
    ccdr::Result<std::shared_ptr<const SnapshotSpool>> first = ccdr::Status(CCDR_INTERNAL, "unset");
    ccdr::Result<std::shared_ptr<const SnapshotSpool>> joined = ccdr::Status(CCDR_INTERNAL, "unset");
    std::thread a([&] { first = spools.acquire("late", 0); });
    HeldExport::wait_entered(1);
    std::thread b([&] { joined = spools.acquire("late", 0); });
    wait_joined(spools, 1);
    REQUIRE(spools.joined_exports() == 1);
    HeldExport::release();
    a.join();
    b.join();
    CHECK(first.status().code() == CCDR_DATABASE_NOT_FOUND);
    CHECK(joined.status().code() == CCDR_DATABASE_NOT_FOUND);
    CHECK(fs::is_empty(dir.path));
    // The database exists now: the next copy exports it.
    standard_with_txs(host, "late", 3);
    auto next = spools.acquire("late", 0);
    REQUIRE(next.is_ok());
    CHECK(next.value()->tx_id == 3);
    spools.remove_all();
}

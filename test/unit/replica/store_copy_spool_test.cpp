// The replica's store-copy spool across a kill of its process
// (replica/store_copy_spool.hpp): the index's tail file, a line appended
// after every chunk without a sync, lets a restarted server resume at the last chunk it
// verified (at most one chunk sent again), but only as far as the spool file
// holds the same bytes; an index of the earlier format still loads.
#include "replica/store_copy_spool.hpp"

#include <catch2/catch.hpp>

#include <xxhash.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <unistd.h>

using namespace ccdr;
using namespace ccdr::plugin;
namespace fs = std::filesystem;

namespace {

constexpr uint64_t kChunk = 4096;
constexpr uint64_t kSnapshot = 7;
const std::string kDb = "foo-replica";

std::vector<uint8_t> chunk_bytes(uint64_t index) {
    std::vector<uint8_t> data(kChunk);
    for (size_t i = 0; i < data.size(); ++i) {
        data[i] = static_cast<uint8_t>((index * 131 + i * 7) & 0xff);
    }
    return data;
}

struct Dirs {
    fs::path root = fs::temp_directory_path() / ("ccdr-spool-test-" + std::to_string(::getpid()));
    Dirs() { fs::remove_all(root); }
    ~Dirs() { fs::remove_all(root); }
    fs::path at(const char* name) const { return root / name; }
};

// The files of `from` as a killed process leaves them: copied while the
// spool is still open (nothing synced or closed on the way out).
void copy_as_killed(const fs::path& from, const fs::path& to) {
    fs::create_directories(to);
    for (const auto& e : fs::directory_iterator(from)) {
        fs::copy_file(e.path(), to / e.path().filename(), fs::copy_options::overwrite_existing);
    }
}

fs::path file_ending(const fs::path& dir, const std::string& suffix) {
    for (const auto& e : fs::directory_iterator(dir)) {
        const std::string name = e.path().filename().string();
        if (name.size() > suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0) {
            return e.path();
        }
    }
    return {};
}

}  // namespace

TEST_CASE("store copy spool: after a kill the copy resumes at the last verified chunk, as far as the file holds it",
          "[replica][store_copy]") {
    Dirs dirs;
    StoreCopySpool spool(dirs.at("live").string(), kDb);
    REQUIRE(spool.begin(protocol::SnapshotBegin{kSnapshot, 100, 1'700'000'000'000, 6 * kChunk, 0, kChunk}));
    std::vector<std::vector<uint8_t>> chunks;
    for (uint64_t i = 0; i < 3; ++i) {
        chunks.push_back(chunk_bytes(i));
        const auto& data = chunks.back();
        REQUIRE(spool.write(protocol::SnapshotChunk{kSnapshot, i * kChunk, XXH3_64bits(data.data(), data.size()), data}));
    }
    copy_as_killed(dirs.at("live"), dirs.at("killed"));
    copy_as_killed(dirs.at("live"), dirs.at("torn"));

    // Killed after three chunks, none synced (far below kRecordEvery): all three kept.
    {
        StoreCopySpool restarted(dirs.at("killed").string(), kDb);
        const auto resume = restarted.resume_point();
        CHECK(resume.snapshot_id == kSnapshot);
        CHECK(resume.offset == 3 * kChunk);
        // And it takes the rest from there.
        REQUIRE(restarted.begin(protocol::SnapshotBegin{kSnapshot, 100, 1'700'000'000'000, 6 * kChunk, 3 * kChunk,
                                                        kChunk}));
        auto data = chunk_bytes(3);
        CHECK(restarted.write(protocol::SnapshotChunk{kSnapshot, 3 * kChunk, XXH3_64bits(data.data(), data.size()), data}));
        CHECK(restarted.verified_bytes() == 4 * kChunk);
    }
    // A machine crash that lost the third chunk's bytes (the index survived):
    // the copy resumes after the second.
    {
        const fs::path data_file = file_ending(dirs.at("torn"), ".snapshot");
        REQUIRE_FALSE(data_file.empty());
        std::fstream f(data_file, std::ios::in | std::ios::out | std::ios::binary);
        f.seekp(static_cast<std::streamoff>(2 * kChunk + 100));
        f.put(static_cast<char>(0x5a ^ chunks[2][100]));
        f.close();
        StoreCopySpool restarted(dirs.at("torn").string(), kDb);
        CHECK(restarted.resume_point().offset == 2 * kChunk);
    }
    // The index of the earlier format (no tail, no tail file) resumes at its
    // synced length.
    {
        copy_as_killed(dirs.at("live"), dirs.at("v1"));
        fs::remove(file_ending(dirs.at("v1"), ".tail"));
        const fs::path index = file_ending(dirs.at("v1"), ".index");
        REQUIRE_FALSE(index.empty());
        std::ofstream(index, std::ios::trunc) << "ccdr-store-copy-v1 " << kSnapshot << " 100 1700000000000 "
                                              << 6 * kChunk << " " << kChunk << "\n";
        StoreCopySpool restarted(dirs.at("v1").string(), kDb);
        CHECK(restarted.resume_point().offset == kChunk);
    }
    // The index of the release before the tail file: its tail inside it.
    {
        copy_as_killed(dirs.at("live"), dirs.at("v2"));
        fs::remove(file_ending(dirs.at("v2"), ".tail"));
        const fs::path index = file_ending(dirs.at("v2"), ".index");
        REQUIRE_FALSE(index.empty());
        std::ofstream(index, std::ios::trunc)
            << "ccdr-store-copy-v2 " << kSnapshot << " 100 1700000000000 " << 6 * kChunk << " " << kChunk << " 2 "
            << 2 * kChunk << " " << XXH3_64bits(chunks[1].data(), kChunk) << " " << 3 * kChunk << " "
            << XXH3_64bits(chunks[2].data(), kChunk) << "\n";
        StoreCopySpool restarted(dirs.at("v2").string(), kDb);
        CHECK(restarted.resume_point().offset == 3 * kChunk);
    }
}

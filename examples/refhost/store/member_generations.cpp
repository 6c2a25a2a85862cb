#include "store/member_generations.hpp"

#include "store/file_util.hpp"
#include "store/member_store.hpp"
#include "store/store_connection.hpp"

#include <cstring>
#include <vector>

namespace refhost {

namespace fs = std::filesystem;

namespace generations {

uint64_t generation_of(const std::string& name) {
    for (const char* prefix : {"graph-", "import-"}) {
        size_t plen = std::strlen(prefix);
        if (name.compare(0, plen, prefix) == 0) {
            uint64_t g = 0;
            size_t i = plen;
            while (i < name.size() && name[i] >= '0' && name[i] <= '9') {
                g = g * 10 + static_cast<uint64_t>(name[i] - '0');
                ++i;
            }
            return i > plen ? g : 0;
        }
    }
    return 0;
}

uint64_t next_generation(const fs::path& dir) {
    uint64_t max = 0;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir, ec)) {
        max = std::max(max, generation_of(e.path().filename().string()));
    }
    return max + 1;
}

std::string graph_file_name(uint64_t gen) { return "graph-" + std::to_string(gen) + ".db"; }

void remove_db_files(const fs::path& file) {
    std::error_code ec;
    for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
        fs::remove(file.string() + suffix, ec);
    }
    fs::remove_all(MemberStore::log_dir_of(file), ec);
}

ccdr::Status create_store_file(const fs::path& file, const std::string& store_id, bool wal) {
    auto db = sql::Connection::open(file.string(), true);
    if (!db) {
        return db.status();
    }
    ccdr::Status st = db->exec(wal ? "PRAGMA journal_mode=WAL" : "PRAGMA journal_mode=DELETE");
    if (st) {
        st = db->exec("PRAGMA synchronous=FULL");
    }
    if (st) {
        st = StoreConnection::create_schema(*db, store_id);
    }
    db->close();
    if (st) {
        st = fsync_path(file);
    }
    return st;
}

}  // namespace generations

using namespace generations;

void MemberStore::remove_unreferenced_files(const fs::path& dir) {
    auto current = read_small_file(dir / kCurrent);
    std::string live = current ? *current : std::string();
    while (!live.empty() && (live.back() == '\n' || live.back() == '\r')) {
        live.pop_back();
    }
    std::error_code ec;
    std::vector<fs::path> doomed;
    for (const auto& e : fs::directory_iterator(dir, ec)) {
        std::string name = e.path().filename().string();
        if (name == kCurrent || (!live.empty() && name.compare(0, live.size(), live) == 0)) {
            continue;
        }
        if (generation_of(name) != 0 || name.find(".tmp") != std::string::npos) {
            doomed.push_back(e.path());
        }
    }
    for (const auto& p : doomed) {
        fs::remove_all(p, ec);  // a generation's log is a directory
    }
}

fs::path MemberStore::next_generation_file(const fs::path& dir) { return dir / graph_file_name(next_generation(dir)); }

ccdr::Status MemberStore::create_empty_file(const fs::path& file, const std::string& store_id) {
    remove_db_files(file);
    return create_store_file(file, store_id, true);
}

ccdr::Status MemberStore::make_live(const fs::path& dir, const fs::path& file) {
    ccdr::Status st = fsync_path(dir);
    if (st) {
        st = write_file_atomically(dir / kCurrent, file.filename().string() + "\n");
    }
    return st;
}

void MemberStore::remove_file(const fs::path& file) { remove_db_files(file); }

}  // namespace refhost

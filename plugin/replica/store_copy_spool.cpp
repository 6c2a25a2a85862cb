#include "replica/store_copy_spool.hpp"

#include <xxhash.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include <fcntl.h>
#include <unistd.h>

namespace ccdr::plugin {
namespace {

std::string file_name_for(const std::string& database) {
    std::string safe;
    for (char c : database) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                        c == '_';
        safe += ok ? c : '_';
    }
    char hash[17];
    std::snprintf(hash, sizeof(hash), "%016llx",
                  static_cast<unsigned long long>(XXH3_64bits(database.data(), database.size())));
    return "replica-" + safe + "-" + hash;
}

std::string errno_text() { return std::strerror(errno); }

}  // namespace

StoreCopySpool::StoreCopySpool(std::string directory, const std::string& database)
    : directory_(std::move(directory)) {
    const std::string base = (std::filesystem::path(directory_) / file_name_for(database)).string();
    data_path_ = base + ".snapshot";
    index_path_ = base + ".index";
    tail_path_ = base + ".tail";
}

StoreCopySpool::~StoreCopySpool() {
    if (fd_ >= 0) {
        // A server that stops mid-copy resumes from everything verified.
        (void)record();
        ::close(fd_);
    }
    if (tail_fd_ >= 0) {
        ::close(tail_fd_);
    }
}

Status StoreCopySpool::record() {
    if (fd_ < 0 || verified_.load() == recorded_) {
        return {};
    }
    if (::fdatasync(fd_) != 0) {
        return {CCDR_IO_ERROR, "syncing the store copy spool " + data_path_ + " failed: " + errno_text()};
    }
    recorded_ = verified_.load();
    tail_.clear();
    if (Status st = save_index(); !st) {
        return st;
    }
    // The tail file's lines now end at or before the recorded length, which
    // load_index skips: emptying it may come after the index (a kill in
    // between loses nothing).
    return reset_tail_file();
}

Status StoreCopySpool::reset_tail_file() {
    if (tail_fd_ < 0) {
        tail_fd_ = ::open(tail_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
        if (tail_fd_ < 0) {
            return {CCDR_IO_ERROR, "cannot open the store copy index tail " + tail_path_ + ": " + errno_text()};
        }
    }
    if (::ftruncate(tail_fd_, 0) != 0) {
        return {CCDR_IO_ERROR, "cannot empty the store copy index tail " + tail_path_ + ": " + errno_text()};
    }
    for (const auto& [end, hash] : tail_) {
        if (Status st = append_tail(end, hash); !st) {
            return st;
        }
    }
    return {};
}

Status StoreCopySpool::append_tail(uint64_t end, uint64_t hash) {
    char line[48];
    const int n = std::snprintf(line, sizeof(line), "%llu %llu\n", static_cast<unsigned long long>(end),
                                static_cast<unsigned long long>(hash));
    // One write of one line (O_APPEND): a kill of the process leaves it
    // whole or absent; a torn line after a machine crash ends the parse.
    if (::write(tail_fd_, line, static_cast<size_t>(n)) != n) {
        return {CCDR_IO_ERROR, "cannot append to the store copy index tail " + tail_path_ + ": " + errno_text()};
    }
    return {};
}

void StoreCopySpool::load_index() {
    index_loaded_ = true;
    std::ifstream in(index_path_);
    if (!in) {
        return;
    }
    std::string magic;
    uint64_t id = 0, tx = 0, total = 0, verified = 0;
    int64_t time = 0;
    in >> magic >> id >> tx >> time >> total >> verified;
    // v2 adds the tail: its count, then end offset and hash per chunk (an
    // index written by a release before the tail file; this one writes 0).
    std::vector<std::pair<uint64_t, uint64_t>> tail;
    if (in && magic == "ccdr-store-copy-v2") {
        size_t count = 0;
        in >> count;
        for (size_t i = 0; in && i < count && i < 4096; ++i) {
            uint64_t end = 0, hash = 0;
            in >> end >> hash;
            tail.emplace_back(end, hash);
        }
    }
    // Then the tail file, a line per chunk written since the last sync;
    // lines at or before the synced length are from before that sync.
    std::ifstream tail_in(tail_path_);
    uint64_t tail_end = 0, tail_hash = 0;
    while (tail.size() < 4096 && tail_in >> tail_end >> tail_hash) {
        if (tail_end > verified) {
            tail.emplace_back(tail_end, tail_hash);
        }
    }
    std::error_code ec;
    const auto size = std::filesystem::file_size(data_path_, ec);
    // An index that the file does not back (a crash between the two) is
    // believed only as far as the file goes.
    if (!in || (magic != "ccdr-store-copy-v1" && magic != "ccdr-store-copy-v2") || ec || size < verified ||
        verified > total) {
        return;
    }
    snapshot_id_ = id;
    tx_id_ = tx;
    commit_time_ms_ = time;
    total_ = total;
    verified_ = verify_tail(verified, tail);
    recorded_ = verified;
    // The tail's verified chunks stay in the tail: a second kill before the
    // next sync finds them again.
    for (const auto& entry : tail) {
        if (entry.first > verified_.load()) {
            break;
        }
        tail_.push_back(entry);
    }
}

uint64_t StoreCopySpool::verify_tail(uint64_t from, const std::vector<std::pair<uint64_t, uint64_t>>& tail) const {
    const int fd = ::open(data_path_.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return from;
    }
    uint64_t good = from;
    std::vector<uint8_t> buf;
    for (const auto& [end, hash] : tail) {
        if (end <= good || end > total_.load()) {
            break;
        }
        buf.resize(end - good);
        const ssize_t n = ::pread(fd, buf.data(), buf.size(), static_cast<off_t>(good));
        if (n != static_cast<ssize_t>(buf.size()) || XXH3_64bits(buf.data(), buf.size()) != hash) {
            break;
        }
        good = end;
    }
    ::close(fd);
    return good;
}

StoreCopySpool::ResumePoint StoreCopySpool::resume_point() {
    if (!index_loaded_) {
        load_index();
    }
    return ResumePoint{snapshot_id_, snapshot_id_ == 0 ? 0 : verified_.load()};
}

Status StoreCopySpool::save_index() {
    const std::string tmp = index_path_ + ".tmp";
    {
        std::ofstream out(tmp, std::ios::trunc);
        out << "ccdr-store-copy-v2 " << snapshot_id_ << " " << tx_id_ << " " << commit_time_ms_ << " " << total_.load()
            << " " << recorded_ << " " << tail_.size();
        for (const auto& [end, hash] : tail_) {
            out << " " << end << " " << hash;
        }
        out << "\n";
        if (!out) {
            return {CCDR_IO_ERROR, "cannot write the store copy index " + tmp};
        }
    }
    std::error_code ec;
    std::filesystem::rename(tmp, index_path_, ec);
    if (ec) {
        return {CCDR_IO_ERROR, "cannot replace the store copy index " + index_path_ + ": " + ec.message()};
    }
    return {};
}

Status StoreCopySpool::begin(const protocol::SnapshotBegin& begin) {
    if (!index_loaded_) {
        load_index();
    }
    std::error_code ec;
    std::filesystem::create_directories(directory_, ec);
    const bool resuming = begin.snapshot_id == snapshot_id_ && snapshot_id_ != 0;
    if (resuming && begin.offset != verified_.load()) {
        return {CCDR_CORRUPT, "the upstream resumes snapshot at byte " + std::to_string(begin.offset) +
                                  ", this replica verified " + std::to_string(verified_.load()) + " bytes"};
    }
    if (!resuming && begin.offset != 0) {
        return {CCDR_CORRUPT, "the upstream starts a new snapshot at byte " + std::to_string(begin.offset)};
    }
    if (fd_ >= 0) {
        ::close(fd_);
    }
    fd_ = ::open(data_path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | (resuming ? 0 : O_TRUNC), 0600);
    if (fd_ < 0) {
        return {CCDR_IO_ERROR, "cannot open the store copy spool " + data_path_ + ": " + errno_text()};
    }
    if (resuming) {
        // Drop anything past the verified length (a chunk written but not
        // recorded before the cut), and the tail file's lines past it.
        if (::ftruncate(fd_, static_cast<off_t>(verified_.load())) != 0) {
            return {CCDR_IO_ERROR, "cannot trim the store copy spool " + data_path_ + ": " + errno_text()};
        }
        return reset_tail_file();
    }
    snapshot_id_ = begin.snapshot_id;
    tx_id_ = begin.tx_id;
    commit_time_ms_ = begin.commit_time_ms;
    total_ = begin.total_bytes;
    verified_ = 0;
    recorded_ = 0;
    tail_.clear();
    if (Status st = save_index(); !st) {
        return st;
    }
    return reset_tail_file();
}

Status StoreCopySpool::write(const protocol::SnapshotChunk& chunk) {
    if (fd_ < 0 || chunk.snapshot_id != snapshot_id_) {
        return {CCDR_CORRUPT, "a chunk of snapshot " + std::to_string(chunk.snapshot_id) +
                                  " arrived outside that snapshot's copy"};
    }
    if (chunk.offset != verified_.load()) {
        return {CCDR_CORRUPT, "snapshot chunk at byte " + std::to_string(chunk.offset) + ", expected byte " +
                                  std::to_string(verified_.load())};
    }
    if (chunk.data.empty() || chunk.offset + chunk.data.size() > total_.load()) {
        return {CCDR_CORRUPT, "snapshot chunk of " + std::to_string(chunk.data.size()) + " bytes at byte " +
                                  std::to_string(chunk.offset) + " does not fit the announced " +
                                  std::to_string(total_.load()) + " bytes"};
    }
    const uint64_t hash = XXH3_64bits(chunk.data.data(), chunk.data.size());
    if (hash != chunk.data_hash) {
        return {CCDR_CORRUPT, "snapshot chunk at byte " + std::to_string(chunk.offset) + " fails its checksum"};
    }
    size_t done = 0;
    while (done < chunk.data.size()) {
        const ssize_t n = ::pwrite(fd_, chunk.data.data() + done, chunk.data.size() - done,
                                   static_cast<off_t>(chunk.offset + done));
        if (n < 0) {
            return {CCDR_IO_ERROR, "writing the store copy spool " + data_path_ + " failed: " + errno_text()};
        }
        done += static_cast<size_t>(n);
    }
    verified_ = chunk.offset + chunk.data.size();
    if (verified_.load() - recorded_ < kRecordEvery && verified_.load() != total_.load()) {
        // Not synced: a kill of the process loses none of it (load_index
        // checks the tail against the file). A line appended, not the index
        // rewritten: its rename cost 1-2 ms a chunk (docs/benchmarks.md).
        tail_.emplace_back(verified_.load(), hash);
        return append_tail(verified_.load(), hash);
    }
    return record();
}

Status StoreCopySpool::finish(const protocol::SnapshotEnd& end) {
    if (end.snapshot_id != snapshot_id_ || end.total_bytes != total_.load() || verified_.load() != total_.load()) {
        return {CCDR_CORRUPT, "snapshot ended at " + std::to_string(end.total_bytes) + " bytes, this replica has " +
                                  std::to_string(verified_.load()) + " of " + std::to_string(total_.load())};
    }
    XXH3_state_t* state = XXH3_createState();
    XXH3_64bits_reset(state);
    std::vector<uint8_t> buf(1 << 20);
    uint64_t offset = 0;
    Status st;
    while (offset < total_.load()) {
        const ssize_t n = ::pread(fd_, buf.data(), buf.size(), static_cast<off_t>(offset));
        if (n <= 0) {
            st = Status(CCDR_IO_ERROR, "reading back the store copy spool " + data_path_ + " failed");
            break;
        }
        XXH3_64bits_update(state, buf.data(), static_cast<size_t>(n));
        offset += static_cast<uint64_t>(n);
    }
    const uint64_t hash = XXH3_64bits_digest(state);
    XXH3_freeState(state);
    if (!st) {
        return st;
    }
    if (hash != end.file_hash) {
        discard();
        return {CCDR_CORRUPT, "the received snapshot fails its whole-file checksum; the store copy starts over"};
    }
    return {};
}

Status StoreCopySpool::import(const HostHandle& host, const std::string& database) {
    ccdr_snapshot_info info{};
    info.hdr = ccdr_header CCDR_HEADER_INIT(ccdr_snapshot_info);
    info.tx_id = tx_id_;
    info.commit_time_ms = commit_time_ms_;
    info.total_bytes = total_.load();
    if (host.has_snapshot_files()) {
        // ABI 1.2: the host takes the verified spool file, by rename when it
        // can (no second write of the store on this side).
        Status st = host.snapshot_import_file(database, info, data_path_);
        if (st) {
            discard();
            return {};
        }
        if (st.code() != CCDR_UNSUPPORTED) {
            std::error_code ec;
            if (!std::filesystem::exists(data_path_, ec)) {
                // The host took the file and then failed: the copy starts over.
                discard();
            }
            return st.with_context("snapshot_import_file of '" + database + "' at tx " + std::to_string(tx_id_));
        }
        // A C++ host whose HostServer keeps the default: stream instead.
    }
    return import_streamed(host, database, info);
}

Status StoreCopySpool::import_streamed(const HostHandle& host, const std::string& database,
                                       const ccdr_snapshot_info& info) {
    struct Source {
        int fd;
        uint64_t offset = 0;
        static ccdr_status read(void* ctx, uint8_t* buf, size_t cap, size_t* out_len) {
            auto* self = static_cast<Source*>(ctx);
            const ssize_t n = ::pread(self->fd, buf, cap, static_cast<off_t>(self->offset));
            if (n < 0) {
                return CCDR_IO_ERROR;
            }
            self->offset += static_cast<uint64_t>(n);
            *out_len = static_cast<size_t>(n);
            return CCDR_OK;
        }
    } source{fd_};
    ccdr_snapshot_source abi_source{CCDR_HEADER_INIT(ccdr_snapshot_source), &source, &Source::read};
    Status st = host.snapshot_import(database, info, abi_source);
    if (!st) {
        return st.with_context("snapshot_import of '" + database + "' at tx " + std::to_string(tx_id_));
    }
    discard();
    return {};
}

void StoreCopySpool::discard() {
    if (fd_ >= 0) {
        ::close(fd_);
        fd_ = -1;
    }
    std::error_code ec;
    if (tail_fd_ >= 0) {
        ::close(tail_fd_);
        tail_fd_ = -1;
    }
    std::filesystem::remove(data_path_, ec);
    std::filesystem::remove(index_path_, ec);
    std::filesystem::remove(tail_path_, ec);
    snapshot_id_ = 0;
    tx_id_ = 0;
    commit_time_ms_ = 0;
    total_ = 0;
    verified_ = 0;
    recorded_ = 0;
    tail_.clear();
    index_loaded_ = true;
}

}  // namespace ccdr::plugin

#include "upstream/snapshot_spools.hpp"

#include <xxhash.h>

#include <cstdio>
#include <exception>
#include <filesystem>
#include <random>

#include <fcntl.h>
#include <unistd.h>

namespace ccdr::plugin {
namespace {

uint64_t random_id() {
    static std::mutex mu;
    static std::mt19937_64 rng{std::random_device{}()};
    std::lock_guard lock(mu);
    uint64_t id = 0;
    while (id == 0) {
        id = rng();
    }
    return id;
}

std::string hex(uint64_t v) {
    char buf[17];
    std::snprintf(buf, sizeof(buf), "%016llx", static_cast<unsigned long long>(v));
    return buf;
}

struct XxhFree {
    void operator()(XXH3_state_t* s) const { XXH3_freeState(s); }
};

// The sink snapshot_export writes into: the spool file and a running hash.
struct ExportSink {
    std::FILE* file = nullptr;
    std::unique_ptr<XXH3_state_t, XxhFree> hash{XXH3_createState()};
    ccdr_snapshot_info info{};
    bool began = false;
    uint64_t written = 0;
    std::string error;

    static ccdr_status begin(void* ctx, const ccdr_snapshot_info* info) {
        auto* self = static_cast<ExportSink*>(ctx);
        self->info = *info;
        self->began = true;
        return CCDR_OK;
    }
    static ccdr_status chunk(void* ctx, ccdr_bytes data) {
        auto* self = static_cast<ExportSink*>(ctx);
        if (!self->began) {
            self->error = "the host sent snapshot data before begin()";
            return CCDR_INVALID_ARGUMENT;
        }
        if (data.len != 0 && std::fwrite(data.data, 1, data.len, self->file) != data.len) {
            self->error = "writing the spool file failed";
            return CCDR_IO_ERROR;
        }
        XXH3_64bits_update(self->hash.get(), data.data, data.len);
        self->written += data.len;
        return CCDR_OK;
    }
};

}  // namespace

SnapshotSpools::SnapshotSpools(HostHandle host, std::string directory, std::chrono::milliseconds retention,
                               std::shared_ptr<spdlog::logger> log)
    : host_(host), directory_(std::move(directory)), retention_(retention), log_(std::move(log)) {}

SnapshotSpools::~SnapshotSpools() = default;

Result<std::shared_ptr<const SnapshotSpool>> SnapshotSpools::acquire(const std::string& database, uint64_t id) {
    expire();
    if (id != 0) {
        std::lock_guard lock(mu_);
        auto it = spools_.find(id);
        if (it != spools_.end() && it->second.spool->database == database) {
            it->second.last_used = std::chrono::steady_clock::now();
            return std::shared_ptr<const SnapshotSpool>(it->second.spool);
        }
    }
    auto made = export_once(database);
    if (!made) {
        return made.status();
    }
    return std::shared_ptr<const SnapshotSpool>(made.value());
}

Result<std::shared_ptr<SnapshotSpool>> SnapshotSpools::export_once(const std::string& database) {
    std::unique_lock lock(mu_);
    if (auto it = running_.find(database); it != running_.end()) {
        std::shared_ptr<Running> running = it->second;
        ++running->joined;
        ++joined_exports_;
        lock.unlock();
        log_->info("a store copy of '{}' joins the export of it that is running for another copy", database);
        lock.lock();
        export_ended_.wait(lock, [&] { return running->done; });
        if (running->result) {
            // Read from now on: kept for the retention from this use too.
            if (auto kept = spools_.find(running->result.value()->id); kept != spools_.end()) {
                kept->second.last_used = std::chrono::steady_clock::now();
            }
        }
        return running->result;
    }
    auto running = std::make_shared<Running>();
    running_[database] = running;
    lock.unlock();
    // Those that joined wait for `done`: an exception must not leave them
    // waiting for ever (nothing here should throw; a C++ host might).
    Result<std::shared_ptr<SnapshotSpool>> made = Status(CCDR_INTERNAL, "the export ended without a result");
    try {
        made = export_snapshot(database);
    } catch (const std::exception& e) {
        made = Status(CCDR_INTERNAL, "exporting a snapshot of '" + database + "' failed: " + e.what());
    } catch (...) {
        made = Status(CCDR_INTERNAL, "exporting a snapshot of '" + database + "' failed: an unknown exception");
    }
    lock.lock();
    if (made) {
        spools_[made.value()->id] = Kept{made.value(), std::chrono::steady_clock::now()};
    }
    running->result = made;
    running->done = true;
    running_.erase(database);
    const size_t joined = running->joined;
    lock.unlock();
    export_ended_.notify_all();
    if (joined > 0 && made) {
        log_->info("snapshot {} of '{}' serves {} more store copies that asked while it was exported",
                   hex(made.value()->id), database, joined);
    }
    return made;
}

uint64_t SnapshotSpools::joined_exports() const {
    std::lock_guard lock(mu_);
    return joined_exports_;
}

void SnapshotSpools::touch(uint64_t id) {
    std::lock_guard lock(mu_);
    auto it = spools_.find(id);
    if (it != spools_.end()) {
        it->second.last_used = std::chrono::steady_clock::now();
    }
}

Result<std::shared_ptr<SnapshotSpool>> SnapshotSpools::export_snapshot(const std::string& database) {
    std::error_code ec;
    std::filesystem::create_directories(directory_, ec);
    if (ec) {
        return Status(CCDR_IO_ERROR, "cannot create the snapshot spool directory " + directory_ + ": " + ec.message());
    }
    auto spool = std::make_shared<SnapshotSpool>();
    spool->id = random_id();
    spool->database = database;
    spool->path = (std::filesystem::path(directory_) / ("upstream-" + hex(spool->id) + ".snapshot")).string();
    if (host_.has_snapshot_files()) {
        Status st = export_into_file(*spool);
        if (st.code() != CCDR_UNSUPPORTED) {
            if (!st) {
                return st;
            }
            return spool;
        }
        // A C++ host whose HostServer keeps the default: stream instead.
    }
    return export_streamed(std::move(spool));
}

// ABI 1.2: the host writes the snapshot straight into the spool file (one
// write on this side), then one read pass hashes it.
Status SnapshotSpools::export_into_file(SnapshotSpool& spool) {
    const auto started = std::chrono::steady_clock::now();
    auto info = host_.snapshot_export_file(spool.database, spool.path);
    if (!info) {
        std::error_code ec;
        std::filesystem::remove(spool.path, ec);
        if (info.status().code() == CCDR_UNSUPPORTED) {
            return info.status();
        }
        return Status(info.status().code(),
                      "exporting a snapshot of '" + spool.database + "' failed: " + info.status().message());
    }
    const auto exported = std::chrono::steady_clock::now();
    auto hashed = hash_file(spool.path, info->total_bytes);
    if (!hashed) {
        std::error_code ec;
        std::filesystem::remove(spool.path, ec);
        return Status(hashed.status().code(),
                      "exporting a snapshot of '" + spool.database + "' failed: " + hashed.status().message());
    }
    spool.tx_id = info->tx_id;
    spool.commit_time_ms = info->commit_time_ms;
    spool.total_bytes = info->total_bytes;
    spool.file_hash = *hashed;
    const auto ms = [](auto d) { return std::chrono::duration_cast<std::chrono::milliseconds>(d).count(); };
    const auto now = std::chrono::steady_clock::now();
    log_->info("exported a snapshot of '{}' at tx {} ({} bytes in {}ms: the host wrote the file in {}ms, hashing "
               "it took {}ms) for a store copy, snapshot id {}",
               spool.database, spool.tx_id, spool.total_bytes, ms(now - started), ms(exported - started),
               ms(now - exported), hex(spool.id));
    return {};
}

Result<uint64_t> SnapshotSpools::hash_file(const std::string& path, uint64_t expected_bytes) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return Status(CCDR_IO_ERROR, "the host wrote no snapshot file " + path);
    }
    std::unique_ptr<XXH3_state_t, XxhFree> hash{XXH3_createState()};
    XXH3_64bits_reset(hash.get());
    std::vector<uint8_t> buf(4 << 20);
    uint64_t total = 0;
    for (;;) {
        const ssize_t n = ::read(fd, buf.data(), buf.size());
        if (n < 0) {
            ::close(fd);
            return Status(CCDR_IO_ERROR, "reading the snapshot file " + path + " failed");
        }
        if (n == 0) {
            break;
        }
        XXH3_64bits_update(hash.get(), buf.data(), static_cast<size_t>(n));
        total += static_cast<uint64_t>(n);
    }
    ::close(fd);
    if (total != expected_bytes) {
        return Status(CCDR_CORRUPT, "the host's snapshot file has " + std::to_string(total) +
                                        " bytes but the host announced " + std::to_string(expected_bytes));
    }
    return XXH3_64bits_digest(hash.get());
}

// ABI 1.0 and 1.1: the host streams the snapshot through a sink into the
// spool file.
Result<std::shared_ptr<SnapshotSpool>> SnapshotSpools::export_streamed(std::shared_ptr<SnapshotSpool> spool) {
    std::error_code ec;
    const std::string& database = spool->database;
    ExportSink sink;
    sink.file = std::fopen(spool->path.c_str(), "wb");
    if (sink.file == nullptr) {
        return Status(CCDR_IO_ERROR, "cannot create the snapshot spool " + spool->path);
    }
    XXH3_64bits_reset(sink.hash.get());
    ccdr_snapshot_sink abi_sink{CCDR_HEADER_INIT(ccdr_snapshot_sink), &sink, &ExportSink::begin, &ExportSink::chunk};
    const auto started = std::chrono::steady_clock::now();
    Status st = host_.snapshot_export(database, abi_sink);
    const bool closed = std::fclose(sink.file) == 0;
    if (st && !closed) {
        st = Status(CCDR_IO_ERROR, "closing the snapshot spool " + spool->path + " failed");
    }
    if (st && !sink.began) {
        st = Status(CCDR_INTERNAL, "snapshot_export of '" + database + "' returned without calling begin()");
    }
    if (st && sink.written != sink.info.total_bytes) {
        st = Status(CCDR_CORRUPT, "snapshot_export of '" + database + "' delivered " + std::to_string(sink.written) +
                                      " bytes but announced " + std::to_string(sink.info.total_bytes));
    }
    if (!st) {
        std::filesystem::remove(spool->path, ec);
        std::string why = sink.error.empty() ? st.message() : sink.error + " (" + st.message() + ")";
        return Status(st.code(), "exporting a snapshot of '" + database + "' failed: " + why);
    }
    spool->tx_id = sink.info.tx_id;
    spool->commit_time_ms = sink.info.commit_time_ms;
    spool->total_bytes = sink.info.total_bytes;
    spool->file_hash = XXH3_64bits_digest(sink.hash.get());
    const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
    log_->info("exported a snapshot of '{}' at tx {} ({} bytes in {}ms) for a store copy, snapshot id {}", database,
               spool->tx_id, spool->total_bytes, took.count(), hex(spool->id));
    return spool;
}

Result<size_t> SnapshotSpools::read(const SnapshotSpool& spool, uint64_t offset, std::span<uint8_t> out) const {
    const int fd = ::open(spool.path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return Status(CCDR_IO_ERROR, "cannot open the snapshot spool " + spool.path);
    }
    size_t done = 0;
    while (done < out.size()) {
        const ssize_t n = ::pread(fd, out.data() + done, out.size() - done, static_cast<off_t>(offset + done));
        if (n < 0) {
            ::close(fd);
            return Status(CCDR_IO_ERROR, "reading the snapshot spool " + spool.path + " failed");
        }
        if (n == 0) {
            break;
        }
        done += static_cast<size_t>(n);
    }
    ::close(fd);
    return done;
}

void SnapshotSpools::expire() {
    std::vector<std::shared_ptr<SnapshotSpool>> expired;
    {
        std::lock_guard lock(mu_);
        const auto now = std::chrono::steady_clock::now();
        for (auto it = spools_.begin(); it != spools_.end();) {
            // use_count 1: no session holds it.
            if (now - it->second.last_used > retention_ && it->second.spool.use_count() == 1) {
                expired.push_back(it->second.spool);
                it = spools_.erase(it);
            } else {
                ++it;
            }
        }
    }
    for (const auto& spool : expired) {
        std::error_code ec;
        std::filesystem::remove(spool->path, ec);
        log_->info("removed the snapshot spool {} of '{}' (unused for longer than ccdr.snapshot.retention)",
                   hex(spool->id), spool->database);
    }
}

void SnapshotSpools::remove_all() {
    {
        std::lock_guard lock(mu_);
        spools_.clear();
    }
    std::error_code ec;
    if (!std::filesystem::is_directory(directory_, ec)) {
        return;
    }
    for (const auto& entry : std::filesystem::directory_iterator(directory_, ec)) {
        const std::string name = entry.path().filename().string();
        if (name.rfind("upstream-", 0) == 0) {
            std::filesystem::remove(entry.path(), ec);
        }
    }
}

}  // namespace ccdr::plugin


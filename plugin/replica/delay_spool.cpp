#include "replica/delay_spool.hpp"

#include <xxhash.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <vector>

#include <fcntl.h>
#include <unistd.h>

namespace ccdr::plugin {
namespace {

namespace fs = std::filesystem;

std::string padded(uint64_t n) {
    char buf[24];
    std::snprintf(buf, sizeof buf, "%020llu", static_cast<unsigned long long>(n));
    return buf;
}

Status sync_directory(const fs::path& dir) {
    const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
    if (fd < 0 || ::fsync(fd) != 0) {
        const std::string why = std::strerror(errno);
        if (fd >= 0) {
            ::close(fd);
        }
        return {CCDR_IO_ERROR, "cannot sync " + dir.string() + ": " + why};
    }
    ::close(fd);
    return {};
}

Result<protocol::DecodedBatch> read_segment(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        return Status(CCDR_IO_ERROR, "cannot read " + path.string() + ": " + std::strerror(errno));
    }
    std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (bytes.size() < 8) {
        return Status(CCDR_CORRUPT, path.string() + " is truncated (" + std::to_string(bytes.size()) + " bytes)");
    }
    uint64_t stored = 0;
    for (int i = 0; i < 8; ++i) {
        stored |= static_cast<uint64_t>(bytes[static_cast<size_t>(i)]) << (8 * i);
    }
    if (XXH3_64bits(bytes.data() + 8, bytes.size() - 8) != stored) {
        return Status(CCDR_CORRUPT, path.string() + ": checksum mismatch");
    }
    bytes.erase(bytes.begin(), bytes.begin() + 8);
    auto batch = protocol::decode_batch(std::move(bytes));
    if (!batch) {
        return Status(CCDR_CORRUPT, path.string() + ": " + batch.status().message());
    }
    return batch;
}

}  // namespace

DelaySpool::DelaySpool(const fs::path& root, const std::string& database) : directory_(root / database) {}

bool DelaySpool::opened() const {
    std::lock_guard lock(mu_);
    return opened_;
}

Status DelaySpool::open(uint64_t applied_tx) {
    {
        std::lock_guard lock(mu_);
        if (opened_) {
            // Only what the host applied since goes.
        } else {
            Status st = scan(applied_tx);
            opened_ = true;
            return st;
        }
    }
    drop_through(applied_tx);
    return {};
}

Status DelaySpool::scan(uint64_t applied_tx) {
    segments_.clear();
    bytes_ = 0;
    std::error_code ec;
    if (!fs::exists(directory_, ec)) {
        return {};
    }
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(directory_, ec)) {
        if (entry.path().extension() == ".batch") {
            files.push_back(entry.path());
        } else {
            fs::remove(entry.path(), ec);  // a temporary file a crash left behind
        }
    }
    std::sort(files.begin(), files.end());  // zero-padded first ids: name order is id order
    uint64_t next = applied_tx + 1;
    bool broken = false;
    for (const auto& path : files) {
        if (!broken) {
            auto batch = read_segment(path);
            if (batch && batch->last_tx() <= applied_tx) {
                fs::remove(path, ec);
                continue;
            }
            if (batch && batch->first_tx() <= next && batch->last_tx() >= next) {
                const uint64_t size = fs::file_size(path, ec);
                segments_.push_back(SpoolSegment{batch->first_tx(), batch->last_tx(),
                                                 batch->txs.front().commit_time_ms, batch->txs.back().commit_time_ms,
                                                 size, path});
                bytes_ += size;
                next = batch->last_tx() + 1;
                continue;
            }
            broken = true;  // a gap or a damaged file: it and what follows are pulled again
        }
        fs::remove(path, ec);
    }
    return {};
}

Status DelaySpool::append(const protocol::DecodedBatch& batch) {
    std::error_code ec;
    fs::create_directories(directory_, ec);
    if (ec) {
        return {CCDR_IO_ERROR, "cannot create " + directory_.string() + ": " + ec.message()};
    }
    {
        std::lock_guard lock(mu_);
        if (!segments_.empty() && batch.first_tx() != segments_.back().last_tx + 1) {
            return {CCDR_OUT_OF_ORDER, "the delay spool ends at tx " + std::to_string(segments_.back().last_tx) +
                                           ", a batch from tx " + std::to_string(batch.first_tx()) +
                                           " does not follow it"};
        }
    }
    const std::string name = padded(batch.first_tx()) + "-" + padded(batch.last_tx()) + ".batch";
    const fs::path path = directory_ / name;
    const fs::path tmp = directory_ / (name + ".tmp");
    const uint64_t hash = XXH3_64bits(batch.buffer.data(), batch.buffer.size());
    uint8_t head[8];
    for (int i = 0; i < 8; ++i) {
        head[i] = static_cast<uint8_t>(hash >> (8 * i));
    }
    std::FILE* f = std::fopen(tmp.c_str(), "wb");
    if (f == nullptr) {
        return {CCDR_IO_ERROR, "cannot create " + tmp.string() + ": " + std::strerror(errno)};
    }
    const bool written = std::fwrite(head, 1, sizeof head, f) == sizeof head &&
                         std::fwrite(batch.buffer.data(), 1, batch.buffer.size(), f) == batch.buffer.size() &&
                         std::fflush(f) == 0 && ::fsync(fileno(f)) == 0;
    const std::string why = std::strerror(errno);
    std::fclose(f);
    if (!written) {
        fs::remove(tmp, ec);
        return {CCDR_IO_ERROR, "cannot write " + tmp.string() + ": " + why};
    }
    fs::rename(tmp, path, ec);
    if (ec) {
        fs::remove(tmp, ec);
        return {CCDR_IO_ERROR, "cannot rename " + tmp.string() + ": " + ec.message()};
    }
    if (Status synced = sync_directory(directory_); !synced) {
        return synced;
    }
    std::lock_guard lock(mu_);
    const uint64_t size = sizeof head + batch.buffer.size();
    segments_.push_back(SpoolSegment{batch.first_tx(), batch.last_tx(), batch.txs.front().commit_time_ms,
                                     batch.txs.back().commit_time_ms, size, path});
    bytes_ += size;
    return {};
}

bool DelaySpool::empty() const {
    std::lock_guard lock(mu_);
    return segments_.empty();
}

uint64_t DelaySpool::last_tx() const {
    std::lock_guard lock(mu_);
    return segments_.empty() ? 0 : segments_.back().last_tx;
}

uint64_t DelaySpool::bytes() const {
    std::lock_guard lock(mu_);
    return bytes_;
}

std::optional<SpoolSegment> DelaySpool::front() const {
    std::lock_guard lock(mu_);
    if (segments_.empty()) {
        return std::nullopt;
    }
    return segments_.front();
}

Result<protocol::DecodedBatch> DelaySpool::load(const SpoolSegment& segment) const {
    return read_segment(segment.path);
}

void DelaySpool::drop_through(uint64_t applied_tx) {
    std::vector<fs::path> gone;
    {
        std::lock_guard lock(mu_);
        while (!segments_.empty() && segments_.front().last_tx <= applied_tx) {
            gone.push_back(segments_.front().path);
            bytes_ -= segments_.front().bytes;
            segments_.pop_front();
        }
    }
    std::error_code ec;
    for (const auto& path : gone) {
        fs::remove(path, ec);
    }
}

Result<uint64_t> DelaySpool::last_at_or_before(int64_t time_ms) const {
    std::lock_guard lock(mu_);
    uint64_t found = 0;
    for (const auto& segment : segments_) {
        if (segment.first_commit_ms > time_ms) {
            break;
        }
        if (segment.last_commit_ms <= time_ms) {
            found = segment.last_tx;
            continue;
        }
        auto batch = read_segment(segment.path);
        if (!batch) {
            return batch.status();
        }
        for (const auto& tx : batch->txs) {
            if (tx.commit_time_ms > time_ms) {
                break;
            }
            found = tx.tx_id;
        }
        break;
    }
    return found;
}

Status DelaySpool::for_each_after(uint64_t after, const std::function<Status(const ccdr_tx&)>& fn) const {
    std::lock_guard lock(mu_);
    for (const auto& segment : segments_) {
        if (segment.last_tx <= after) {
            continue;
        }
        auto batch = read_segment(segment.path);
        if (!batch) {
            return batch.status();
        }
        for (const auto& tx : batch->txs) {
            if (tx.tx_id > after) {
                if (Status st = fn(tx); !st) {
                    return st;
                }
            }
        }
    }
    return {};
}

void DelaySpool::discard() {
    std::lock_guard lock(mu_);
    segments_.clear();
    bytes_ = 0;
    std::error_code ec;
    fs::remove_all(directory_, ec);
}

}  // namespace ccdr::plugin

#include "runtime/latency_trace.hpp"

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>

namespace ccdr::runtime {

Result<std::shared_ptr<LatencyTrace>> LatencyTrace::open(const std::string& directory, const std::string& server_id) {
    std::error_code ec;
    std::filesystem::create_directories(directory, ec);
    if (ec) {
        return Status(CCDR_IO_ERROR, "ccdr.debug.latency_trace: cannot create " + directory + ": " + ec.message());
    }
    const std::string path = (std::filesystem::path(directory) / (server_id + ".trace")).string();
    std::FILE* file = std::fopen(path.c_str(), "a");
    if (file == nullptr) {
        return Status(CCDR_IO_ERROR,
                      "ccdr.debug.latency_trace: cannot open " + path + ": " + std::strerror(errno));
    }
    // Lines leave in 1 MiB writes, not one write each.
    std::setvbuf(file, nullptr, _IOFBF, 1 << 20);
    return std::shared_ptr<LatencyTrace>(new LatencyTrace(path, file));
}

LatencyTrace::~LatencyTrace() {
    std::lock_guard lock(mu_);
    std::fclose(file_);
}

void LatencyTrace::record(std::string_view step, std::string_view database, uint64_t first_tx, uint64_t last_tx) {
    const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                        std::chrono::steady_clock::now().time_since_epoch())
                        .count();
    std::lock_guard lock(mu_);
    if (failed_) {
        return;
    }
    if (std::fprintf(file_, "%lld %.*s %.*s %llu %llu\n", static_cast<long long>(ns), static_cast<int>(step.size()),
                     step.data(), static_cast<int>(database.size()), database.data(),
                     static_cast<unsigned long long>(first_tx), static_cast<unsigned long long>(last_tx)) < 0) {
        failed_ = true;
        return;
    }
    // Readable while the servers run (a benchmark reads it between phases).
    if (ns - flushed_ns_ > kFlushEveryNs) {
        flushed_ns_ = ns;
        if (std::fflush(file_) != 0) {
            failed_ = true;
        }
    }
}

bool LatencyTrace::flush() {
    std::lock_guard lock(mu_);
    if (!failed_ && std::fflush(file_) != 0) {
        failed_ = true;
    }
    return !failed_;
}

}  // namespace ccdr::runtime

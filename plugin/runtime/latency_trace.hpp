// plugin/runtime/latency_trace.hpp: where the milliseconds of one
// transaction's trip go (issue 18 item 3). With ccdr.debug.latency_trace
// naming a directory, each plugin instance appends one line per step of
// every batch to <directory>/<server id>.trace:
//
//   <steady clock ns> <step> <database> <first tx> <last tx>
//
// Steps: after_commit (the host's hook; first = last = the group's last tx),
// read (the upstream read and framed a batch), sent (its frame was written),
// received (the replica decoded and verified it), apply_start and applied
// (the host's apply_batch entered and returned, durable). The clock is
// CLOCK_MONOTONIC, shared by every process of a machine, so files of both
// clusters on one machine join by tx id (test/bench/vs-postgres does, and
// prints each step's percentiles). Off by default: a line costs a lock and
// a buffered write. The buffer is flushed by a record 200 ms after the last
// flush, by the plugin's metrics collection and at stop.
#pragma once

#include <ccdr/status.hpp>

#include <cstdint>
#include <cstdio>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

namespace ccdr::runtime {

class LatencyTrace {
public:
    // Creates `directory` if needed and opens <directory>/<server_id>.trace
    // for appending.
    static Result<std::shared_ptr<LatencyTrace>> open(const std::string& directory, const std::string& server_id);
    ~LatencyTrace();
    LatencyTrace(const LatencyTrace&) = delete;
    LatencyTrace& operator=(const LatencyTrace&) = delete;

    // Thread-safe; never fails the caller (a write error stops the trace
    // and makes flush() return false).
    void record(std::string_view step, std::string_view database, uint64_t first_tx, uint64_t last_tx);
    // Flushes what is buffered; false once a write failed.
    bool flush();
    const std::string& path() const { return path_; }

private:
    LatencyTrace(std::string path, std::FILE* file) : path_(std::move(path)), file_(file) {}

    const std::string path_;
    std::mutex mu_;
    static constexpr long long kFlushEveryNs = 200'000'000;
    std::FILE* file_;
    bool failed_ = false;
    long long flushed_ns_ = 0;
};

// Records when `trace` is set: the call sites stay one line.
inline void trace_step(const std::shared_ptr<LatencyTrace>& trace, std::string_view step, std::string_view database,
                       uint64_t first_tx, uint64_t last_tx) {
    if (trace) {
        trace->record(step, database, first_tx, last_tx);
    }
}

}  // namespace ccdr::runtime

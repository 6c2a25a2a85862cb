// plugin/procedures/lost_transactions_file.hpp: where a re-attach keeps the
// transactions it undoes (the ones a failover lost: committed in the old
// region after the replica's last applied one), and a promotion to a point
// the ones received after the point (promote_to_point.hpp). JSON lines, one transaction
// each, readable by an operator:
//   {"txId":777,"commitTimeMs":1764999000123,"commitTime":"2026-12-06T05:30:00.123Z","changes":[...]}
// `changes` is the host's own rendering of the transaction's changes. Each
// line is synced before the host is told to go on, because the host undoes
// the transactions right after the last one was handed over.
#pragma once

#include <ccdr/status.hpp>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>

namespace ccdr::plugin {

// Unix epoch milliseconds as ISO-8601 UTC with milliseconds, as the lines' commitTime.
std::string iso_utc_ms(int64_t ms);

class LostTransactionsFile {
public:
    // The file is created at the first add(), as
    // <data_directory>/lost-transactions/<database>-<now ms>.jsonl (the plugin's private directory).
    LostTransactionsFile(std::filesystem::path data_directory, std::string database);
    ~LostTransactionsFile();
    LostTransactionsFile(const LostTransactionsFile&) = delete;
    LostTransactionsFile& operator=(const LostTransactionsFile&) = delete;

    Status add(uint64_t tx_id, int64_t commit_time_ms, const std::string& changes_json);
    // A transaction as a replica received it (a promotion to a point keeps
    // what came after the point): the host's change record is opaque to the
    // plugin, so the line holds it as "payloadBase64" instead of "changes".
    Status add_received(uint64_t tx_id, int64_t commit_time_ms, const uint8_t* payload, size_t length);

    uint64_t count() const { return count_; }
    // Empty until the first add().
    const std::filesystem::path& path() const { return path_; }

private:
    Status open_file();
    Status write_line(const std::string& line);

    std::filesystem::path directory_;
    std::string database_;
    std::filesystem::path path_;
    std::FILE* file_ = nullptr;
    uint64_t count_ = 0;
};

}  // namespace ccdr::plugin

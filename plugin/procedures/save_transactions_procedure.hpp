// plugin/procedures/save_transactions_procedure.hpp:
// internal.dbms.saveTransactionsAfter(databaseName, afterTx) (admin, READ),
// run on the old primary's cluster after a failover, before anything that
// would throw its database away (DROP DATABASE for a store-copy failback):
// lists the transactions this server's member of `databaseName` committed
// after `afterTx` (the promotion point: the promoted side's log line
// "promoted replica … at tx N", its `formerUpstream.promotedAtTx`, or the
// fence on heal's statusMessage "… is the writer since tx N") and saves them
// to a file, one row per transaction: (txId, commitTime, bytes, file).
//
// No row: this member has nothing after afterTx, nothing is lost by a drop.
// The file is the one re-attach and promotion to a point write
// (lost_transactions_file.hpp, <plugin data dir>/lost-transactions/
// <database>-<ms>.jsonl), with the host's change record of each transaction
// as payloadBase64 (read_log's payload; the plugin cannot render it).
// Nothing of the database changes. Refused with the reason: a database
// that does not exist here, an afterTx that is not an INTEGER ≥ 0, a log
// pruned past afterTx + 1 (those transactions are gone from the log).
#pragma once

#include <ccdr/host_handle.hpp>
#include <ccdr/status.hpp>
#include <ccdr/value.hpp>

#include <spdlog/logger.h>

#include <array>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace ccdr::plugin {

struct SavedTransaction {
    uint64_t tx_id = 0;
    int64_t commit_time_ms = 0;
    uint64_t bytes = 0;
    std::string file;
};

inline constexpr size_t kSaveTransactionsColumns = 4;
std::array<Value, kSaveTransactionsColumns> saved_transaction_row(const SavedTransaction& t);

class SaveTransactionsProcedure {
public:
    static constexpr std::string_view kName = "internal.dbms.saveTransactionsAfter";

    SaveTransactionsProcedure(HostHandle host, std::filesystem::path data_directory,
                              std::shared_ptr<spdlog::logger> log)
        : host_(host), data_directory_(std::move(data_directory)), log_(std::move(log)) {}
    SaveTransactionsProcedure(const SaveTransactionsProcedure&) = delete;
    SaveTransactionsProcedure& operator=(const SaveTransactionsProcedure&) = delete;

    Status register_with_host();
    Result<std::vector<SavedTransaction>> call(const ValueList& args);

private:
    HostHandle host_;
    std::filesystem::path data_directory_;
    std::shared_ptr<spdlog::logger> log_;
};

}  // namespace ccdr::plugin

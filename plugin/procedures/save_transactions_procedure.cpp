#include "procedures/save_transactions_procedure.hpp"

#include "procedures/lost_transactions_file.hpp"
#include "procedures/procedure_call.hpp"

namespace ccdr::plugin {
namespace {

const std::array<ccdr_field, 2> kArgs = {
    field("databaseName", CCDR_TYPE_STRING, "The database of this cluster (the old primary's, after a failover)."),
    field("afterTx", CCDR_TYPE_INTEGER, "The promotion point: the transactions after it are listed and saved."),
};
const std::array<ccdr_field, kSaveTransactionsColumns> kOutputs = {
    field("txId", CCDR_TYPE_INTEGER, "A transaction of this server's member after afterTx."),
    field("commitTime", CCDR_TYPE_STRING, "Its commit time, ISO-8601 UTC."),
    field("bytes", CCDR_TYPE_INTEGER, "The size of its change record."),
    field("file", CCDR_TYPE_STRING, "The JSON-lines file every listed transaction was saved to."),
};

ccdr_status body(void* user_data, const ccdr_call_info*, const ccdr_value* args, size_t n, const ccdr_row_sink* rows,
                 ccdr_error* err) {
    auto* self = static_cast<SaveTransactionsProcedure*>(user_data);
    return run_procedure<kSaveTransactionsColumns>(
        args, n, rows, err, [self](const ValueList& values) { return self->call(values); },
        [](const SavedTransaction& t) { return saved_transaction_row(t); });
}

}  // namespace

std::array<Value, kSaveTransactionsColumns> saved_transaction_row(const SavedTransaction& t) {
    return {Value(static_cast<int64_t>(t.tx_id)), Value(iso_utc_ms(t.commit_time_ms)),
            Value(static_cast<int64_t>(t.bytes)), Value(t.file)};
}

Status SaveTransactionsProcedure::register_with_host() {
    return host_.register_procedure(admin_procedure(
        kName,
        "Lists the transactions this server's member of a database committed after a transaction (a promotion "
        "point) and saves them to a file; changes no database.",
        kArgs, kOutputs, CCDR_MODE_READ, &body, this));
}

Result<std::vector<SavedTransaction>> SaveTransactionsProcedure::call(const ValueList& args) {
    if (args.size() != 2) {
        return procedure_failed("expected 2 arguments (databaseName, afterTx), got " + std::to_string(args.size()));
    }
    auto name = database_name_argument(ValueList{args[0]});
    if (!name) {
        return name.status();
    }
    if (!args[1].is_int() || args[1].as_int() < 0) {
        return procedure_failed("afterTx must be an INTEGER of at least 0 (the promotion point), got " +
                                args[1].to_display());
    }
    const auto after = static_cast<uint64_t>(args[1].as_int());
    auto info = host_.log_info(*name);
    if (!info) {
        return procedure_failed("cannot read the log of '" + *name + "' on this server: " + info.status().message());
    }
    if (info->last_committed_tx <= after) {
        return std::vector<SavedTransaction>{};  // nothing after the point: a drop loses nothing here
    }
    if (info->oldest_retained_tx > after + 1) {
        return procedure_failed("the log of '" + *name + "' on this server starts at tx " +
                                std::to_string(info->oldest_retained_tx) + ": transactions " +
                                std::to_string(after + 1) + " to " + std::to_string(info->oldest_retained_tx - 1) +
                                " are no longer kept, nothing was saved");
    }
    LostTransactionsFile file(data_directory_, *name);
    std::vector<SavedTransaction> saved;
    Status failed;
    uint64_t next = after + 1;
    while (next <= info->last_committed_tx) {
        const uint64_t before = next;
        Status read = host_.read_log(*name, next, 4u << 20, [&](const ccdr_tx& tx) -> ccdr_status {
            Status kept = file.add_received(tx.tx_id, tx.commit_time_ms, tx.payload.data, tx.payload.len);
            if (!kept) {
                failed = kept;
                return CCDR_STOPPED;
            }
            saved.push_back({tx.tx_id, tx.commit_time_ms, tx.payload.len, ""});
            next = tx.tx_id + 1;
            return CCDR_OK;
        });
        if (!failed) {
            return procedure_failed(failed.message() + "; the database is unchanged");
        }
        if (!read) {
            return procedure_failed("reading the log of '" + *name + "' from tx " + std::to_string(next) +
                                    " failed: " + read.message());
        }
        if (next == before) {
            break;  // the log ends earlier than log_info said (a concurrent prune)
        }
    }
    for (auto& t : saved) {
        t.file = file.path().string();
    }
    if (log_ && !saved.empty()) {
        log_->warn("saveTransactionsAfter('{}', {}): {} transaction(s) of this server's member after tx {} "
                   "(tx {} to {}) saved to {}",
                   *name, after, saved.size(), after, saved.front().tx_id, saved.back().tx_id, file.path().string());
    }
    return saved;
}

}  // namespace ccdr::plugin

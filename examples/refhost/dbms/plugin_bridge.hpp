// examples/refhost/dbms/plugin_bridge.hpp: what the DBMS asks of the loaded
// plugins, per logical server (implemented by plugin_host/PluginHost). The
// DBMS never calls through it while holding a lock a plugin callback could
// need (abi/README.md, Threads).
#pragma once

#include "common/error.hpp"
#include "common/value.hpp"
#include "dbms/dbms_api.hpp"

#include <ccdr/abi.h>
#include <ccdr/status.hpp>

#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace refhost {

using MetricEmit = std::function<void(std::string_view name, ccdr_metric_type type, double value)>;

class PluginBridge {
public:
    virtual ~PluginBridge() = default;
    // Every instance on `server` is asked; the first refusal wins.
    virtual ccdr::Status before_commit(size_t server, std::string_view database, ccdr_origin origin,
                                       std::string_view user) = 0;
    virtual void after_commit(size_t server, std::string_view database, uint64_t tx_id, int64_t time_ms) = 0;
    // The same, with the durable transactions (consecutive ids, at least
    // one): instances with ABI 1.2's after_commit_txs get them, the others
    // after_commit with the last.
    virtual void after_commit_txs(size_t server, std::string_view database, std::span<const ccdr_tx> txs) {
        after_commit(server, database, txs.back().tx_id, txs.back().commit_time_ms);
    }
    virtual void database_event(size_t server, std::string_view database, ccdr_event_kind event,
                                ccdr_member_role role, ccdr_database_kind kind) = 0;
    // The first instance on `server` with something to say (state != NONE).
    virtual std::optional<ccdr_database_status> describe_database(size_t server, std::string_view database) = 0;
    virtual void collect_metrics(size_t server, const MetricEmit& emit) = 0;
    // ABI 1.2 log_hold: the first tx of info.database's log on `server` to
    // keep, asked of every instance there before a pruning pass; the lowest
    // answer wins. An instance without the hook, or one that fails (logged),
    // answers info.retention_keep_from_tx: the retention policy alone.
    virtual uint64_t log_hold(size_t server, const ccdr_log_prune_info& info) {
        (void)server;
        return info.retention_keep_from_tx;
    }
    virtual std::vector<ProcedureInfo> procedures(size_t server) = 0;
    virtual Outcome<std::vector<std::string>> call_procedure(size_t server, const std::string& name, const List& args,
                                                             const AuthUser& user, const std::string& session_database,
                                                             const RowSink& sink) = 0;
};

}  // namespace refhost

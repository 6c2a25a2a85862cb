// plugin/procedures/switchover_procedure.hpp:
// internal.dbms.switchoverReplicaDatabase(name [, {timeout: "30s"}]), a
// planned move of the writer to the replica's cluster with no transaction
// lost and no store copy. Called on the replica's cluster; in order:
//
//   1. fence   FENCE_REQUEST to the upstream: its database becomes
//              read-only on every member; a write in flight committed
//              before (and is replicated) or is refused. FENCED gives the
//              last transaction P.
//   2. catch up every member of the replica applies P (within the timeout)
//   3. promote the replica becomes a standard database of the next epoch
//   4. demote  DEMOTE_REQUEST on the same session: the upstream's database
//              becomes a replica of this one, continuing at P + 1
//
// A failure in steps 1-3 undoes the fence (the upstream is writable again,
// the replica still a replica) and names the step. After step 3 the writer
// has moved: a failed step 4 leaves the upstream fenced (never two writable
// databases of one history) and says how to re-attach it.
#pragma once

#include "replica/upstream_session.hpp"

#include <ccdr/host_handle.hpp>
#include <ccdr/status.hpp>
#include <ccdr/value.hpp>

#include <spdlog/logger.h>

#include <array>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace ccdr::plugin {

struct SwitchoverResult {
    std::string database;
    uint64_t epoch = 0;
    uint64_t switched_at_tx = 0;
    std::string upstream_database;
    std::string upstream_address;
    bool upstream_is_replica = false;
    int64_t writes_refused_ms = 0;  // from the fence to the promotion
    std::string message;
};

inline constexpr size_t kSwitchoverColumns = 8;

class SwitchoverProcedure {
public:
    static constexpr std::string_view kName = "internal.dbms.switchoverReplicaDatabase";
    using OpenSession = std::function<Result<std::unique_ptr<UpstreamSession>>(const std::vector<std::string>&)>;

    SwitchoverProcedure(HostHandle host, std::string cluster_id, std::chrono::milliseconds io_timeout,
                        OpenSession open, std::shared_ptr<spdlog::logger> log)
        : host_(host), cluster_id_(std::move(cluster_id)), io_timeout_(io_timeout), open_(std::move(open)),
          log_(std::move(log)) {}
    SwitchoverProcedure(const SwitchoverProcedure&) = delete;
    SwitchoverProcedure& operator=(const SwitchoverProcedure&) = delete;

    Status register_with_host();
    Result<std::vector<SwitchoverResult>> call(const ValueList& args);

private:
    HostHandle host_;
    std::string cluster_id_;
    std::chrono::milliseconds io_timeout_;
    OpenSession open_;
    std::shared_ptr<spdlog::logger> log_;
};

std::array<Value, kSwitchoverColumns> switchover_row_values(const SwitchoverResult& r);

}  // namespace ccdr::plugin

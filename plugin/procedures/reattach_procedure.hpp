// plugin/procedures/reattach_procedure.hpp:
// internal.dbms.reattachAsReplica(name, {remote, addresses}), called on the
// cluster that comes back after a failover: its `name` (a standard database)
// becomes a replica of the promoted `remote` of the other cluster without a
// store copy.
//
// The promoted database's history is this one's up to its promotion point,
// then its own. The procedure finds the last transaction both share by
// comparing the hashes of the transactions themselves (HISTORY_REQUEST, tx
// ids alone would match across the divergence), then asks the host to make
// `name` a replica continuing after it (make_replica, ABI 1.2). The
// transactions it undoes (the ones the failover lost) are written to a file
// first (lost_transactions_file.hpp) and the result names it.
//
// Refused with the reason and nothing changed when the other database is
// another one (store id) or not a later history of this one (epoch), when
// the histories share nothing, when a log was pruned too far back (the
// shared point cannot be found, or the other cluster no longer holds what
// follows it, or this host cannot revert that far): the full store copy
// (createReplicaDatabase) stays the way out.
#pragma once

#include "replica/upstream_session.hpp"

#include <ccdr/host_handle.hpp>
#include <ccdr/status.hpp>
#include <ccdr/value.hpp>

#include <spdlog/logger.h>

#include <array>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace ccdr::plugin {

struct ReattachResult {
    std::string database;
    uint64_t shared_tx = 0;
    uint64_t lost_transactions = 0;
    std::string lost_file;  // "" when nothing was undone
    std::string upstream_database;
    std::string upstream_address;
    uint64_t epoch = 0;
    std::string message;
};

inline constexpr size_t kReattachColumns = 8;

// The last transaction two histories share, searched downwards from
// min(local_last, remote_last). `local(from, to)` and `remote(from, to)`
// return consecutive hashes from `from` and the id of the first one; a
// remote answer may start later (its log was pruned).
struct SharedPoint {
    std::optional<uint64_t> tx;  // none: not found, see reason
    std::string reason;
};
struct HashRange {
    uint64_t from = 0;
    std::vector<uint64_t> hashes;
};
using HashSource = std::function<Result<HashRange>(uint64_t from, uint64_t to)>;
Result<SharedPoint> find_shared_point(uint64_t local_last, uint64_t local_oldest, uint64_t remote_last,
                                      uint64_t remote_oldest, const HashSource& local, const HashSource& remote);

class ReattachProcedure {
public:
    static constexpr std::string_view kName = "internal.dbms.reattachAsReplica";
    using OpenSession = std::function<Result<std::unique_ptr<UpstreamSession>>(const std::vector<std::string>&)>;

    ReattachProcedure(HostHandle host, std::filesystem::path data_directory, std::chrono::milliseconds io_timeout,
                      OpenSession open, std::shared_ptr<spdlog::logger> log)
        : host_(host), data_directory_(std::move(data_directory)), io_timeout_(io_timeout), open_(std::move(open)),
          log_(std::move(log)) {}
    ReattachProcedure(const ReattachProcedure&) = delete;
    ReattachProcedure& operator=(const ReattachProcedure&) = delete;

    Status register_with_host();
    Result<std::vector<ReattachResult>> call(const ValueList& args);

private:
    HostHandle host_;
    std::filesystem::path data_directory_;
    std::chrono::milliseconds io_timeout_;
    OpenSession open_;
    std::shared_ptr<spdlog::logger> log_;
};

std::array<Value, kReattachColumns> reattach_row_values(const ReattachResult& r);

}  // namespace ccdr::plugin

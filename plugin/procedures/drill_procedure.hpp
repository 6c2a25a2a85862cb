// plugin/procedures/drill_procedure.hpp:
// internal.dbms.createDrillDatabase(replicaDatabaseName, drillDatabaseName
// [, {primaries, secondaries}]), called on the replica's cluster: a DR drill
// without touching the replica. The drill is a new, writable standard
// database holding the replica's content as one of its members has it now,
// copied inside this cluster by the host (copy_database, ABI 1.2): nothing
// crosses the WAN, and replication into the replica goes on meanwhile.
// Applications can be tried against the drill in the DR region; DROP
// DATABASE ends it. The drill starts a lineage of its own (new store id,
// epoch 1): it can never be mistaken for the replica or its upstream.
//
// The source member is this server's member of the replica when it is
// online, else the most advanced online member. Refused with the reason and
// nothing created: a replica that does not exist or is not a replica, a
// drill name that is invalid or exists, unknown options or a topology the
// servers cannot hold, no online member, a host without copy_database.
#pragma once

#include <ccdr/host_handle.hpp>
#include <ccdr/status.hpp>
#include <ccdr/value.hpp>

#include <spdlog/logger.h>

#include <array>
#include <memory>
#include <string>
#include <vector>

namespace ccdr::plugin {

struct DrillResult {
    std::string database;  // the drill
    std::string replica;
    uint64_t copied_at_tx = 0;
    std::string copied_from_server;
    uint32_t primaries = 0;
    uint32_t secondaries = 0;
    std::string message;
};

inline constexpr size_t kDrillColumns = 7;

// The database option a drill carries: the replica it was copied from.
inline constexpr std::string_view kDrillOfOption = "drillOf";

// The member a drill copies: this server's when online, else the online
// member with the highest last committed tx; nullptr when none is online.
const MemberInfo* drill_source_member(const DatabaseInfo& replica);

class DrillProcedure {
public:
    static constexpr std::string_view kName = "internal.dbms.createDrillDatabase";

    DrillProcedure(HostHandle host, std::shared_ptr<spdlog::logger> log) : host_(host), log_(std::move(log)) {}
    DrillProcedure(const DrillProcedure&) = delete;
    DrillProcedure& operator=(const DrillProcedure&) = delete;

    Status register_with_host();
    Result<std::vector<DrillResult>> call(const ValueList& args);

private:
    HostHandle host_;
    std::shared_ptr<spdlog::logger> log_;
};

std::array<Value, kDrillColumns> drill_row_values(const DrillResult& r);

}  // namespace ccdr::plugin

// plugin/procedures/replica_procedures.hpp: internal.dbms.createReplicaDatabase,
// internal.dbms.promoteReplicaDatabase,
// internal.dbms.promoteReplicaDatabaseWithTopology and
// internal.dbms.alterReplicaDatabase. Each validates every
// argument before it changes anything; a failure creates or changes nothing
// and says which check failed and why (CCDR_PROCEDURE_CALL_FAILED, which the
// host reports as Neo.ClientError.Procedure.ProcedureCallFailed).
#pragma once

#include "procedures/promote_to_point.hpp"
#include "procedures/upstream_link.hpp"

#include <ccdr/host_handle.hpp>
#include <ccdr/status.hpp>
#include <ccdr/value.hpp>

#include <spdlog/logger.h>

#include <filesystem>
#include <functional>
#include <optional>
#include <utility>
#include <memory>
#include <string>
#include <vector>

namespace ccdr::plugin {

// What the upstream cluster says about the remote database.
struct RemoteDatabase {
    std::string address;  // the endpoint that answered (all that were asked, when none hosts it online)
    bool online = false;
    ccdr_database_kind kind = CCDR_KIND_STANDARD;
    std::string store_id;
    uint64_t epoch = 0;
    uint64_t last_tx = 0;
};

// Contacts the upstream cluster over the plugin's mutual TLS and describes
// `link.remote`. Fails with CCDR_DATABASE_NOT_FOUND when a server answered
// that no such database exists, CCDR_FORBIDDEN when the upstream refuses or
// is this very cluster, and otherwise with one message naming every
// address tried and why it failed.
using UpstreamProbe = std::function<Result<RemoteDatabase>(const UpstreamLink& link)>;

class ReplicaProcedures {
public:
    ReplicaProcedures(HostHandle host, UpstreamProbe probe, std::shared_ptr<spdlog::logger> log);
    ReplicaProcedures(const ReplicaProcedures&) = delete;
    ReplicaProcedures& operator=(const ReplicaProcedures&) = delete;

    // Registers the four procedures with the host (during create()).
    Status register_all();

    // This server's replica members and the plugin's data directory, for
    // promotions that use what a member with an applyDelay received
    // (promote_to_point.hpp). Without it such promotions are refused.
    using MemberLookup = std::function<std::shared_ptr<ReplicaMember>(const std::string& database)>;
    void set_local(MemberLookup members, std::filesystem::path data_directory) {
        members_ = std::move(members);
        data_directory_ = std::move(data_directory);
    }

    // The procedure bodies, with arguments already bound by the host.
    Status create_replica(const ValueList& args);
    // One row when the promotion used a member's delay spool, else none.
    Result<std::vector<PointPromotion>> promote(const ValueList& args);
    Result<std::vector<PointPromotion>> promote_with_topology(const ValueList& args);
    // internal.dbms.alterReplicaDatabase (replica_alter.cpp).
    Status alter_replica(const ValueList& args);

private:
    // createReplicaDatabase for a name that exists: success without change
    // when it is a replica created with these arguments, else which differ.
    Status same_replica(const DatabaseInfo& existing, uint32_t primaries, uint32_t secondaries,
                        const UpstreamLink& link);
    // Refuses addresses that are cluster endpoints of this cluster's servers.
    Status upstream_is_another_cluster(const UpstreamLink& link);
    Result<std::vector<PointPromotion>> do_promote(const std::string& name,
                                                   const std::optional<std::pair<int64_t, int64_t>>& topology,
                                                   const PromoteOptions& options);
    // Promotion with a new topology: the host's one-step call (ABI 1.2), or
    // on an older host resize + promote, with the old topology set back when
    // the promotion fails.
    Status promote_resized(const DatabaseInfo& info, uint32_t primaries, uint32_t secondaries, uint64_t epoch);

    HostHandle host_;
    UpstreamProbe probe_;
    std::shared_ptr<spdlog::logger> log_;
    MemberLookup members_;
    std::filesystem::path data_directory_;
};

}  // namespace ccdr::plugin

#include "procedures/replica_procedures.hpp"

#include "procedures/database_name.hpp"
#include "procedures/heal_fence.hpp"
#include "procedures/procedure_call.hpp"
#include "procedures/procedure_fields.hpp"
#include "procedures/topology_arguments.hpp"

#include <ccdr/span.hpp>

#include <array>
#include <chrono>

namespace ccdr::plugin {
namespace {

constexpr std::string_view kCreate = "internal.dbms.createReplicaDatabase";
constexpr std::string_view kPromote = "internal.dbms.promoteReplicaDatabase";
constexpr std::string_view kPromoteTopology = "internal.dbms.promoteReplicaDatabaseWithTopology";
constexpr std::string_view kAlter = "internal.dbms.alterReplicaDatabase";

const std::array<ccdr_field, 4> kCreateArgs = {
    field("databaseName", CCDR_TYPE_STRING, "The name of the replica in this cluster (may equal the upstream's)."),
    field("numPrimaries", CCDR_TYPE_INTEGER, "Replica primaries; they follow the servers' mode constraints but stay read-only."),
    field("numSecondaries", CCDR_TYPE_INTEGER, "Replica secondaries."),
    field("options", CCDR_TYPE_MAP, "{remote: upstream database name, addresses: cluster endpoints of the remote servers, applyDelay: "
          "optional duration such as \"1h\" to apply each transaction that long after its commit}"),
};
constexpr ccdr_field kPromoteOptions{
    static_text("options"), CCDR_TYPE_MAP, CCDR_FIELD_OPTIONAL, ccdr_value{},
    static_text("{fenceOnHeal: true (default) asks the former upstream cluster to fence its database once it "
                "answers again; false does not. upToTx: apply up to this transaction and no further; upToTime: "
                "up to the last transaction committed at or before this DATETIME, ISO-8601 text or epoch ms}")};
const std::array<ccdr_field, kPromoteColumns> kPromoteOutputs = {
    field("database", CCDR_TYPE_STRING, "The promoted database."),
    field("promotedAtTx", CCDR_TYPE_INTEGER, "Its last transaction: the point it was promoted at."),
    field("appliedAtPromotion", CCDR_TYPE_INTEGER, "Received transactions the promotion applied (the delay skipped)."),
    field("keptTransactions", CCDR_TYPE_INTEGER, "Received transactions after the point, not applied."),
    field("keptFile", CCDR_TYPE_STRING, "The JSON-lines file that holds them (NULL when there were none)."),
    field("message", CCDR_TYPE_STRING, "What happened."),
};
const std::array<ccdr_field, 2> kPromoteArgs = {
    field("replicaDatabaseName", CCDR_TYPE_STRING, "The replica to promote."),
    kPromoteOptions,
};
const std::array<ccdr_field, 4> kPromoteTopologyArgs = {
    field("replicaDatabaseName", CCDR_TYPE_STRING, "The replica to promote."),
    field("numPrimaries", CCDR_TYPE_INTEGER, "The new number of primaries; they become writable."),
    field("numSecondaries", CCDR_TYPE_INTEGER, "The new number of secondaries."),
    kPromoteOptions,
};

const std::array<ccdr_field, 2> kAlterArgs = {
    field("replicaDatabaseName", CCDR_TYPE_STRING, "The replica to change."),
    field("options", CCDR_TYPE_MAP,
          "{addresses: new cluster endpoints of the upstream's servers, numPrimaries, numSecondaries, applyDelay: a "
          "duration such as \"1h\" (\"0s\": none)}; any of them"),
};

// A failed call; the host adds Neo4j's "Failed to invoke
// procedure `name`: Caused by:" in front of the reason.
Status failed(const std::string& why) { return {CCDR_PROCEDURE_CALL_FAILED, why}; }

Result<std::string> string_arg(const Value& v, const char* name) {
    if (!v.is_string()) {
        return Status(CCDR_PROCEDURE_CALL_FAILED, std::string(name) + " must be a STRING, got " + v.to_display());
    }
    return v.as_string();
}

template <Result<std::vector<PointPromotion>> (ReplicaProcedures::*Body)(const ValueList&)>
ccdr_status promote_thunk(void* user_data, const ccdr_call_info*, const ccdr_value* args, size_t n,
                          const ccdr_row_sink* rows, ccdr_error* err) {
    auto* self = static_cast<ReplicaProcedures*>(user_data);
    return run_procedure<kPromoteColumns>(
        args, n, rows, err, [self](const ValueList& values) { return (self->*Body)(values); },
        [](const PointPromotion& p) { return promote_row_values(p); });
}

template <Status (ReplicaProcedures::*Body)(const ValueList&)>
ccdr_status thunk(void* user_data, const ccdr_call_info*, const ccdr_value* args, size_t n, const ccdr_row_sink*,
                  ccdr_error* err) {
    try {
        ValueList values;
        values.reserve(n);
        for (size_t i = 0; i < n; ++i) {
            values.push_back(Value::from_abi(args[i]));
        }
        return (static_cast<ReplicaProcedures*>(user_data)->*Body)(values).fill(err);
    } catch (const std::exception& e) {
        return Status(CCDR_INTERNAL, std::string("unexpected exception: ") + e.what()).fill(err);
    } catch (...) {
        return Status(CCDR_INTERNAL, "unexpected exception").fill(err);
    }
}

std::string address_list(const std::vector<std::string>& addresses) {
    std::string out = "[";
    for (const auto& a : addresses) {
        out += (out.size() > 1 ? ", " : "") + a;
    }
    return out + "]";
}

}  // namespace

ReplicaProcedures::ReplicaProcedures(HostHandle host, UpstreamProbe probe, std::shared_ptr<spdlog::logger> log)
    : host_(host), probe_(std::move(probe)), log_(std::move(log)) {}

Status ReplicaProcedures::register_all() {
    struct Def {
        std::string_view name;
        std::string_view description;
        const ccdr_field* args;
        size_t count;
        ccdr_procedure_fn fn;
        const ccdr_field* outputs = nullptr;
        size_t output_count = 0;
    };
    const Def defs[] = {
        {kCreate, "Create a replica database with a topology of primaries and secondaries.", kCreateArgs.data(),
         kCreateArgs.size(), &thunk<&ReplicaProcedures::create_replica>},
        {kPromote, "Convert a replica database to a standard database while keeping the data and topology it currently has.",
         kPromoteArgs.data(), kPromoteArgs.size(), &promote_thunk<&ReplicaProcedures::promote>,
         kPromoteOutputs.data(), kPromoteOutputs.size()},
        {kPromoteTopology,
         "Convert a replica database to a standard database with new topology while keeping the data it currently has.",
         kPromoteTopologyArgs.data(), kPromoteTopologyArgs.size(),
         &promote_thunk<&ReplicaProcedures::promote_with_topology>, kPromoteOutputs.data(), kPromoteOutputs.size()},
        {kAlter,
         "Change a replica database's upstream addresses or topology; new members are seeded inside this cluster.",
         kAlterArgs.data(), kAlterArgs.size(), &thunk<&ReplicaProcedures::alter_replica>},
    };
    for (const auto& d : defs) {
        ccdr_procedure_def def{};
        def.hdr = ccdr_header CCDR_HEADER_INIT(ccdr_procedure_def);
        def.name = static_text(d.name);
        def.description = static_text(d.description);
        def.args = d.args;
        def.arg_count = d.count;
        def.outputs = d.outputs;
        def.output_count = d.output_count;
        def.mode = CCDR_MODE_WRITE;
        def.admin_only = 1;
        def.fn = d.fn;
        def.user_data = this;
        Status st = host_.register_procedure(def);
        if (!st) {
            return st.with_context("registering " + std::string(d.name));
        }
    }
    return {};
}

Status ReplicaProcedures::create_replica(const ValueList& args) {
    if (args.size() != 4) {
        return failed("expected 4 arguments, got " + std::to_string(args.size()));
    }
    auto name_arg = string_arg(args[0], "databaseName");
    if (!name_arg) {
        return failed(name_arg.status().message());
    }
    Status name_ok = check_database_name(*name_arg);
    if (!name_ok) {
        return failed(name_ok.message());
    }
    std::string name = normalize_database_name(*name_arg);
    Status topology_ok = check_topology(args[1], args[2]);
    if (!topology_ok) {
        return failed(topology_ok.message());
    }
    auto link = parse_upstream_link(args[3]);
    if (!link) {
        return failed(link.status().message());
    }
    const uint32_t primaries = static_cast<uint32_t>(args[1].as_int());
    const uint32_t secondaries = static_cast<uint32_t>(args[2].as_int());
    auto existing = host_.database_info(name);
    if (existing) {
        // A retry (after a client timeout, say) of a call that succeeded:
        // the same arguments succeed without change, others name the difference.
        return same_replica(*existing, primaries, secondaries, *link);
    }
    if (existing.status().code() != CCDR_DATABASE_NOT_FOUND) {
        return failed("cannot check whether '" + name + "' exists: " + existing.status().message());
    }
    Status elsewhere = upstream_is_another_cluster(*link);
    if (!elsewhere) {
        return failed(elsewhere.message());
    }

    auto remote = probe_(*link);
    if (!remote) {
        if (remote.status().code() == CCDR_DATABASE_NOT_FOUND) {
            return failed("upstream database '" + link->remote + "' does not exist: " + remote.status().message());
        }
        if (remote.status().code() == CCDR_FORBIDDEN) {
            return failed(remote.status().message());
        }
        return failed("cannot contact the upstream cluster: " + remote.status().message());
    }
    if (!remote->online) {
        return failed("upstream database '" + link->remote + "' is not online (asked " + remote->address + ")");
    }
    if (remote->kind != CCDR_KIND_STANDARD) {
        return failed("upstream database '" + link->remote + "' is a " +
                    (remote->kind == CCDR_KIND_REPLICA ? std::string("replica") : std::string("system database")) +
                    "; replicate from a standard database");
    }

    DatabaseSpec spec;
    spec.name = name;
    spec.kind = CCDR_KIND_REPLICA;
    spec.primaries = primaries;
    spec.secondaries = secondaries;
    spec.store_id = remote->store_id;
    spec.epoch = remote->epoch;
    spec.options = ValueMap{{kReplicaConfigOption, to_value(*link)}};
    Status created = host_.create_database(spec);
    if (!created) {
        return failed("cannot create '" + name + "': " + created.message());
    }
    log_->info("created replica database '{}' ({} primaries, {} secondaries) of '{}' (store {}, epoch {}, at tx {} "
               "upstream) from {}",
               name, spec.primaries, spec.secondaries, link->remote, remote->store_id, remote->epoch,
               remote->last_tx, remote->address);
    return {};
}

Status ReplicaProcedures::same_replica(const DatabaseInfo& existing, uint32_t primaries, uint32_t secondaries,
                                       const UpstreamLink& link) {
    const std::string& name = existing.name;
    if (existing.kind != CCDR_KIND_REPLICA) {
        return failed("database '" + name + "' already exists in this cluster as a " +
                      (existing.kind == CCDR_KIND_SYSTEM ? "system" : "standard") + " database, not a replica");
    }
    auto option = host_.get_database_option(name, kReplicaConfigOption);
    if (!option) {
        return failed("replica '" + name + "' already exists; cannot read its upstream link: " +
                      option.status().message());
    }
    auto current = parse_replica_config(*option);
    if (!current) {
        return failed("replica '" + name + "' already exists; its upstream link is unusable: " +
                      current.status().message());
    }
    std::vector<std::string> differences;
    if (current->remote != link.remote) {
        differences.push_back("remote is '" + current->remote + "', not '" + link.remote + "'");
    }
    if (current->addresses != link.addresses) {
        differences.push_back("addresses are " + address_list(current->addresses) + ", not " +
                              address_list(link.addresses));
    }
    if (current->apply_delay != link.apply_delay) {
        differences.push_back("applyDelay is " + std::to_string(current->apply_delay.count()) + " ms, not " +
                              std::to_string(link.apply_delay.count()) + " ms");
    }
    if (existing.primaries != primaries) {
        differences.push_back("numPrimaries is " + std::to_string(existing.primaries) + ", not " +
                              std::to_string(primaries));
    }
    if (existing.secondaries != secondaries) {
        differences.push_back("numSecondaries is " + std::to_string(existing.secondaries) + ", not " +
                              std::to_string(secondaries));
    }
    if (!differences.empty()) {
        std::string text;
        for (const auto& d : differences) {
            text += (text.empty() ? "" : "; ") + d;
        }
        return failed("replica '" + name + "' already exists with other arguments (" + text +
                      "); nothing was changed");
    }
    log_->info("createReplicaDatabase for '{}' again with the arguments it was created with: nothing to do", name);
    return {};
}

Status ReplicaProcedures::upstream_is_another_cluster(const UpstreamLink& link) {
    // Every server of this cluster hosts the system database: its members'
    // cluster addresses are this cluster's endpoints.
    auto system = host_.database_info("system");
    std::vector<std::pair<std::string, std::string>> ours;  // address, server id
    if (system) {
        for (const auto& m : system->members) {
            ours.emplace_back(m.cluster_address, m.server_id);
        }
    }
    if (auto self = host_.server_info()) {
        ours.emplace_back(self->cluster_address, self->server_id);
    }
    for (const auto& address : link.addresses) {
        for (const auto& [here, server] : ours) {
            if (!here.empty() && address == here) {
                return {CCDR_PROCEDURE_CALL_FAILED,
                        "address " + address + " is server " + server + " of this cluster: a replica's upstream is "
                        "a database of another cluster (to copy '" + link.remote + "' within this cluster, create "
                        "a database from a backup or raise its topology instead)"};
            }
        }
    }
    return {};
}

Result<std::vector<PointPromotion>> ReplicaProcedures::promote(const ValueList& args) {
    if (args.empty() || args.size() > 2) {
        return failed("expected 1 or 2 arguments (replicaDatabaseName, options), got " + std::to_string(args.size()));
    }
    auto name = string_arg(args[0], "replicaDatabaseName");
    if (!name) {
        return failed(name.status().message());
    }
    auto options = parse_promote_options(args, 1);
    if (!options) {
        return options.status();
    }
    return do_promote(normalize_database_name(*name), std::nullopt, *options);
}

Result<std::vector<PointPromotion>> ReplicaProcedures::promote_with_topology(const ValueList& args) {
    if (args.size() < 3 || args.size() > 4) {
        return failed("expected 3 or 4 arguments (replicaDatabaseName, numPrimaries, numSecondaries, options), got " +
                      std::to_string(args.size()));
    }
    auto name = string_arg(args[0], "replicaDatabaseName");
    if (!name) {
        return failed(name.status().message());
    }
    Status topology_ok = check_topology(args[1], args[2]);
    if (!topology_ok) {
        return failed(topology_ok.message());
    }
    auto options = parse_promote_options(args, 3);
    if (!options) {
        return options.status();
    }
    return do_promote(normalize_database_name(*name), std::make_pair(args[1].as_int(), args[2].as_int()), *options);
}

Result<std::vector<PointPromotion>> ReplicaProcedures::do_promote(
    const std::string& name, const std::optional<std::pair<int64_t, int64_t>>& topology,
    const PromoteOptions& options) {
    const bool fence_on_heal = options.fence_on_heal;
    auto started = std::chrono::steady_clock::now();
    auto info = host_.database_info(name);
    if (!info) {
        if (info.status().code() == CCDR_DATABASE_NOT_FOUND) {
            return Status(CCDR_PROCEDURE_CALL_FAILED, "database '" + name + "' does not exist");
        }
        return Status(CCDR_PROCEDURE_CALL_FAILED, "cannot read database '" + name + "': " + info.status().message());
    }
    if (info->kind != CCDR_KIND_REPLICA) {
        return Status(CCDR_PROCEDURE_CALL_FAILED,
                      "database '" + name + "' is a " + (info->kind == CCDR_KIND_SYSTEM ? "system" : "standard") +
                          " database, not a replica; promotion is one-way and applies only to replicas");
    }
    const uint64_t new_epoch = info->epoch + 1;
    // The link to the former upstream, kept for fence on heal.
    std::optional<ReplicaConfig> former_link;
    if (auto option = host_.get_database_option(name, kReplicaConfigOption)) {
        if (auto parsed = parse_replica_config(*option)) {
            former_link = *parsed;
        }
    }
    // A member with an applyDelay: to the point asked for (or everything it
    // received), the rest into a file, before anything else changes.
    std::optional<PointPlan> plan;
    const bool link_has_delay = former_link && former_link->apply_delay.count() > 0;
    auto member = members_ ? members_(name) : nullptr;
    if (PointPlan::needed(options, link_has_delay, member.get())) {
        auto prepared = PointPlan::prepare(host_, *info, member, options, link_has_delay, data_directory_,
                                           std::chrono::minutes(10));
        if (!prepared) {
            return prepared.status();
        }
        plan = std::move(prepared.value());
    }
    Status promoted = topology ? promote_resized(*info, static_cast<uint32_t>(topology->first),
                                                 static_cast<uint32_t>(topology->second), new_epoch)
                               : host_.set_database_kind(name, CCDR_KIND_STANDARD, new_epoch);
    if (!promoted) {
        std::string kept;
        if (plan) {
            plan->release();
            const PointPromotion p = plan->result(0);
            kept = "; it is still a replica and applies with its delay again" +
                   (p.kept_file.empty() ? std::string() : " (" + p.kept_file + " was written; remove it)");
        }
        return Status(CCDR_PROCEDURE_CALL_FAILED, "cannot promote '" + name + "': " + promoted.message() + kept);
    }
    Status unlinked = host_.set_database_option(name, kReplicaConfigOption, nullptr);
    if (!unlinked) {
        log_->warn("promoted '{}' but could not remove its upstream link: {}", name, unlinked.message());
    }
    auto after = host_.database_info(name);
    uint64_t tx = 0;
    if (after) {
        for (const auto& m : after->members) {
            tx = std::max(tx, m.last_committed_tx);
        }
    }
    if (fence_on_heal && former_link) {
        const Value former = to_value(FormerUpstream{former_link->remote, former_link->addresses, new_epoch, tx});
        Status kept = host_.set_database_option(name, kFormerUpstreamOption, &former);
        if (!kept) {
            log_->warn("promoted '{}' but could not keep its former upstream for fence on heal: {}", name,
                       kept.message());
        }
    }
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
    log_->info("promoted replica '{}' to a standard database at tx {} (epoch {} -> {}) in {} ms; it will never pull "
               "from its upstream again",
               name, tx, info->epoch, new_epoch, ms.count());
    std::vector<PointPromotion> rows;
    if (plan) {
        rows.push_back(plan->result(tx));
        log_->warn("promotion of '{}': {}", name, rows.back().message);
    }
    return rows;
}

Status ReplicaProcedures::promote_resized(const DatabaseInfo& info, uint32_t primaries, uint32_t secondaries,
                                          uint64_t epoch) {
    const std::string topology = std::to_string(primaries) + " primaries, " + std::to_string(secondaries) +
                                 " secondaries";
    if (host_.has_promote_with_topology()) {
        Status st = host_.promote_with_topology(info.name, epoch, primaries, secondaries);
        if (st.code() != CCDR_UNSUPPORTED) {
            return st ? st : Status(st.code(), "cannot use topology " + topology + ": " + st.message() +
                                                   "; it is still a replica with its old topology");
        }
    }
    // A host without the one-step call (ABI 1.1): resize while still a
    // replica (if the servers cannot hold the topology nothing has changed),
    // promote, and put the old topology back if the promotion fails.
    Status resized = host_.set_topology(info.name, primaries, secondaries);
    if (!resized) {
        return {resized.code(), "cannot use topology " + topology + ": " + resized.message()};
    }
    Status promoted = host_.set_database_kind(info.name, CCDR_KIND_STANDARD, epoch);
    if (promoted) {
        return promoted;
    }
    const std::string old_topology =
        std::to_string(info.primaries) + " primaries, " + std::to_string(info.secondaries) + " secondaries";
    Status restored = host_.set_topology(info.name, info.primaries, info.secondaries);
    if (!restored) {
        log_->error("promotion of '{}' failed after its topology became {}, and setting back {} failed too: {}",
                    info.name, topology, old_topology, restored.message());
        return {promoted.code(), promoted.message() + "; the topology had been changed to " + topology +
                                     " and setting it back to " + old_topology + " failed: " + restored.message()};
    }
    log_->warn("promotion of '{}' failed after its topology became {}; the topology was set back to {}", info.name,
               topology, old_topology);
    return {promoted.code(), promoted.message() + "; it is still a replica and the topology was set back to " +
                                 old_topology};
}

}  // namespace ccdr::plugin

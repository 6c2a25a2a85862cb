#include "procedures/drill_procedure.hpp"

#include "procedures/procedure_call.hpp"
#include "procedures/topology_arguments.hpp"

namespace ccdr::plugin {
namespace {

const std::array<ccdr_field, 3> kArgs = {
    field("replicaDatabaseName", CCDR_TYPE_STRING, "The replica whose current content the drill starts from."),
    field("drillDatabaseName", CCDR_TYPE_STRING, "The new, writable database (must not exist)."),
    ccdr_field{static_text("options"), CCDR_TYPE_MAP, CCDR_FIELD_OPTIONAL, ccdr_value{},
               static_text("{primaries: 1 (default), secondaries: 0 (default)}: the drill's topology")},
};
const std::array<ccdr_field, kDrillColumns> kOutputs = {
    field("database", CCDR_TYPE_STRING, "The drill database: standard, writable, a lineage of its own."),
    field("replica", CCDR_TYPE_STRING, "The replica it was copied from; replication into it goes on."),
    field("copiedAtTx", CCDR_TYPE_INTEGER, "The replica's transaction the copy holds."),
    field("copiedFromServer", CCDR_TYPE_STRING, "The server whose member of the replica was copied."),
    field("primaries", CCDR_TYPE_INTEGER, "The drill's primaries."),
    field("secondaries", CCDR_TYPE_INTEGER, "The drill's secondaries."),
    field("message", CCDR_TYPE_STRING, "What happened, and how to end the drill."),
};

ccdr_status body(void* user_data, const ccdr_call_info*, const ccdr_value* args, size_t n, const ccdr_row_sink* rows,
                 ccdr_error* err) {
    auto* self = static_cast<DrillProcedure*>(user_data);
    return run_procedure<kDrillColumns>(
        args, n, rows, err, [self](const ValueList& values) { return self->call(values); },
        [](const DrillResult& r) { return drill_row_values(r); });
}

// A database-name argument, normalised, or why it is not one.
Result<std::string> name_argument(const Value& v, std::string_view what) {
    if (!v.is_string()) {
        return procedure_failed(std::string(what) + " must be a STRING, got " + v.to_display());
    }
    Status ok = check_database_name(v.as_string());
    if (!ok) {
        return procedure_failed(std::string(what) + ": " + ok.message());
    }
    return normalize_database_name(v.as_string());
}

struct Topology {
    uint32_t primaries = 1;
    uint32_t secondaries = 0;
};

Result<Topology> topology_option(const ValueList& args) {
    Topology t;
    if (args.size() < 3 || args[2].is_null()) {
        return t;
    }
    if (!args[2].is_map()) {
        return procedure_failed("options must be a MAP, got " + args[2].to_display());
    }
    Value primaries(static_cast<int64_t>(t.primaries));
    Value secondaries(static_cast<int64_t>(t.secondaries));
    for (const auto& [key, value] : args[2].as_map()) {
        if (key == "primaries") {
            primaries = value;
        } else if (key == "secondaries") {
            secondaries = value;
        } else {
            return procedure_failed("unknown option '" + key + "' (the options are: primaries, secondaries)");
        }
    }
    Status ok = check_topology(primaries, secondaries, "primaries", "secondaries");
    if (!ok) {
        return ok;
    }
    t.primaries = static_cast<uint32_t>(primaries.as_int());
    t.secondaries = static_cast<uint32_t>(secondaries.as_int());
    return t;
}

}  // namespace

const MemberInfo* drill_source_member(const DatabaseInfo& replica) {
    const MemberInfo* best = nullptr;
    for (const auto& m : replica.members) {
        if (m.state != CCDR_DB_ONLINE) {
            continue;
        }
        if (m.is_local) {
            return &m;
        }
        if (best == nullptr || m.last_committed_tx > best->last_committed_tx) {
            best = &m;
        }
    }
    return best;
}

std::array<Value, kDrillColumns> drill_row_values(const DrillResult& r) {
    return {Value(r.database),
            Value(r.replica),
            Value(static_cast<int64_t>(r.copied_at_tx)),
            Value(r.copied_from_server),
            Value(static_cast<int64_t>(r.primaries)),
            Value(static_cast<int64_t>(r.secondaries)),
            Value(r.message)};
}

Status DrillProcedure::register_with_host() {
    return host_.register_procedure(admin_procedure(
        kName,
        "DR drill: creates a writable standard database from a replica's current content, copied inside this "
        "cluster, while replication into the replica goes on. DROP DATABASE ends the drill.",
        kArgs, kOutputs, CCDR_MODE_WRITE, &body, this));
}

Result<std::vector<DrillResult>> DrillProcedure::call(const ValueList& args) {
    if (args.size() < 2 || args.size() > 3) {
        return procedure_failed("expected 2 or 3 arguments (replicaDatabaseName, drillDatabaseName, options), got " +
                                std::to_string(args.size()));
    }
    auto replica = name_argument(args[0], "replicaDatabaseName");
    if (!replica) {
        return replica.status();
    }
    auto drill = name_argument(args[1], "drillDatabaseName");
    if (!drill) {
        return drill.status();
    }
    auto topology = topology_option(args);
    if (!topology) {
        return topology.status();
    }
    if (!host_.has_copy_database()) {
        // The handle's CCDR_UNSUPPORTED text names the ABI versions.
        return procedure_failed(host_.copy_database(*replica, "", DatabaseSpec{}).status().message());
    }
    auto info = host_.database_info(*replica);
    if (!info) {
        if (info.status().code() == CCDR_DATABASE_NOT_FOUND) {
            return procedure_failed("database '" + *replica + "' does not exist; nothing was created");
        }
        return procedure_failed("cannot read database '" + *replica + "': " + info.status().message());
    }
    if (info->kind != CCDR_KIND_REPLICA) {
        return procedure_failed("database '" + *replica + "' is a " +
                                (info->kind == CCDR_KIND_SYSTEM ? std::string("system") : std::string("standard")) +
                                " database, not a replica: a drill copies a replica; nothing was created");
    }
    if (auto existing = host_.database_info(*drill); existing) {
        return procedure_failed("database '" + *drill + "' already exists; choose another drill name (nothing was "
                                "created)");
    }
    const MemberInfo* source = drill_source_member(*info);
    if (source == nullptr) {
        return procedure_failed("no member of '" + *replica + "' is online; nothing was created");
    }
    DatabaseSpec spec;
    spec.name = *drill;
    spec.kind = CCDR_KIND_STANDARD;
    spec.primaries = topology->primaries;
    spec.secondaries = topology->secondaries;
    spec.options.emplace_back(std::string(kDrillOfOption), Value(*replica));
    auto copied = host_.copy_database(*replica, source->server_id, spec);
    if (!copied) {
        return procedure_failed("cannot create the drill '" + *drill + "' from '" + *replica + "': " +
                                copied.status().message() + " (nothing was created)");
    }
    DrillResult r;
    r.database = *drill;
    r.replica = *replica;
    r.copied_at_tx = *copied;
    r.copied_from_server = source->server_id;
    r.primaries = spec.primaries;
    r.secondaries = spec.secondaries;
    r.message = "'" + *drill + "' is a writable copy of '" + *replica + "' at tx " + std::to_string(*copied) +
                "; replication into '" + *replica + "' goes on. DROP DATABASE " + *drill + " ends the drill";
    log_->info("drill database '{}' created from '{}' at tx {} (member on {})", *drill, *replica, *copied,
               source->server_id);
    return std::vector<DrillResult>{r};
}

}  // namespace ccdr::plugin

// internal.dbms.alterReplicaDatabase(name, {addresses, numPrimaries,
// numSecondaries, applyDelay, fanOut}): a replica's upstream endpoints (the
// upstream cluster moved or grew), its topology, its apply delay and its
// fan-out change without a store copy. Every
// argument is checked, and new addresses must reach the same upstream
// database (its store id and epoch), before anything changes; the link is
// written first and set back if the topology change then fails.
#include "procedures/replica_procedures.hpp"

#include "procedures/procedure_call.hpp"
#include "procedures/replica_link.hpp"
#include "procedures/topology_arguments.hpp"

namespace ccdr::plugin {

namespace {

std::string topology_text(uint32_t primaries, uint32_t secondaries) {
    return std::to_string(primaries) + " primaries, " + std::to_string(secondaries) + " secondaries";
}

std::string join(const std::vector<std::string>& items) {
    std::string out;
    for (const auto& i : items) {
        out += (out.empty() ? "" : ", ") + i;
    }
    return "[" + out + "]";
}

// What an alterReplicaDatabase options map asks for.
struct AlterRequest {
    std::optional<Value> addresses;
    std::optional<Value> primaries;
    std::optional<Value> secondaries;
    std::optional<std::chrono::milliseconds> apply_delay;
    std::string apply_delay_text;
    std::optional<bool> fan_out;
};

Result<AlterRequest> parse_alter_options(const Value& options) {
    if (!options.is_map()) {
        return procedure_failed("options must be a MAP {addresses, numPrimaries, numSecondaries, applyDelay, fanOut}, got " +
                                options.to_display());
    }
    AlterRequest out;
    for (const auto& [key, value] : options.as_map()) {
        if (key == "addresses") {
            out.addresses = value;
        } else if (key == "numPrimaries") {
            out.primaries = value;
        } else if (key == "numSecondaries") {
            out.secondaries = value;
        } else if (key == kApplyDelayKey) {
            auto delay = parse_apply_delay(value);
            if (!delay) {
                return procedure_failed("invalid options: " + delay.status().message() + "; nothing was changed");
            }
            out.apply_delay = *delay;
            out.apply_delay_text = delay->count() > 0 ? value.as_string() : std::string();
        } else if (key == kFanOutKey) {
            auto fan_out = parse_fan_out(value);
            if (!fan_out) {
                return procedure_failed("invalid options: " + fan_out.status().message() + "; nothing was changed");
            }
            out.fan_out = *fan_out;
        } else if (key == "remote") {
            return procedure_failed("'remote' cannot change: a replica follows one upstream database (its store id "
                                    "and epoch); create another replica to follow another database");
        } else {
            return procedure_failed("invalid options: unknown key '" + key +
                                    "' (expected addresses, numPrimaries, numSecondaries, applyDelay, fanOut)");
        }
    }
    if (!out.addresses && !out.primaries && !out.secondaries && !out.apply_delay && !out.fan_out) {
        return procedure_failed(
            "options is empty: give addresses, numPrimaries, numSecondaries, applyDelay or fanOut to change");
    }
    return out;
}

}  // namespace

Status ReplicaProcedures::alter_replica(const ValueList& args) {
    if (args.size() != 2) {
        return procedure_failed("expected 2 arguments, got " + std::to_string(args.size()));
    }
    auto name = database_name_argument(ValueList{args[0]});
    if (!name) {
        return name.status();
    }
    auto request = parse_alter_options(args[1]);
    if (!request) {
        return request.status();
    }
    auto current = replica_upstream_link(host_, *name, "only a replica has upstream addresses to alter");
    if (!current) {
        return current.status();
    }
    const DatabaseInfo& info = current->info;

    // The topology: the counts given, the current ones for those not given.
    const Value primaries = request->primaries.value_or(Value(static_cast<int64_t>(info.primaries)));
    const Value secondaries = request->secondaries.value_or(Value(static_cast<int64_t>(info.secondaries)));
    Status topology_ok = check_topology(primaries, secondaries);
    if (!topology_ok) {
        return procedure_failed(topology_ok.message());
    }
    const auto new_primaries = static_cast<uint32_t>(primaries.as_int());
    const auto new_secondaries = static_cast<uint32_t>(secondaries.as_int());
    const bool resize = new_primaries != info.primaries || new_secondaries != info.secondaries;

    // The link: the same upstream database, at the addresses given.
    UpstreamLink link = current->link;
    if (request->addresses) {
        auto parsed = parse_upstream_link(Value::map({{"remote", Value(link.remote)}, {"addresses", *request->addresses}}));
        if (!parsed) {
            return procedure_failed(parsed.status().message());
        }
        link = std::move(parsed.value());
    }
    if (request->apply_delay) {
        link.apply_delay = *request->apply_delay;
        link.apply_delay_text = request->apply_delay_text;
    } else {
        link.apply_delay = current->link.apply_delay;
        link.apply_delay_text = current->link.apply_delay_text;
    }
    link.fan_out = request->fan_out.value_or(current->link.fan_out);
    const bool relink = link.addresses != current->link.addresses;
    const bool redelay = link.apply_delay != current->link.apply_delay;
    const bool refan = link.fan_out != current->link.fan_out;
    if (!relink && !resize && !redelay && !refan) {
        log_->info("alterReplicaDatabase for '{}' asks for what it has: nothing to do", *name);
        return {};
    }
    if (relink) {
        Status elsewhere = upstream_is_another_cluster(link);
        if (!elsewhere) {
            return procedure_failed(elsewhere.message());
        }
        // The new endpoints must serve the database this replica follows.
        auto remote = probe_(link);
        if (!remote) {
            return procedure_failed("cannot use addresses " + join(link.addresses) + ": " + remote.status().message() +
                                    "; nothing was changed");
        }
        if (remote->store_id != info.store_id || remote->epoch != info.epoch) {
            return procedure_failed("cannot use addresses " + join(link.addresses) + ": '" + link.remote + "' there (" +
                                    remote->address + ") has store id " + remote->store_id + " and epoch " +
                                    std::to_string(remote->epoch) + ", this replica follows store id " +
                                    info.store_id + " at epoch " + std::to_string(info.epoch) +
                                    "; nothing was changed");
        }
    }
    if (relink || redelay || refan) {
        const Value stored = to_value(link);
        Status written = host_.set_database_option(*name, kReplicaConfigOption, &stored);
        if (!written) {
            return procedure_failed("cannot store the new " +
                                    std::string(relink ? "addresses" : redelay ? "applyDelay" : "fanOut") +
                                    " of '" + *name + "': " + written.message() + "; nothing was changed");
        }
    }
    if (resize) {
        Status resized = host_.set_topology(*name, new_primaries, new_secondaries);
        if (!resized) {
            std::string why = "cannot use topology " + topology_text(new_primaries, new_secondaries) + ": " +
                              resized.message();
            if (relink || redelay || refan) {
                const Value old_link = to_value(current->link);
                Status restored = host_.set_database_option(*name, kReplicaConfigOption, &old_link);
                why += restored ? "; the upstream link was set back to what it was"
                                : "; the new upstream link stays (setting back the old one failed: " +
                                      restored.message() + ")";
            } else {
                why += "; nothing was changed";
            }
            return procedure_failed(why);
        }
    }
    log_->info("altered replica '{}':{}{}{}{}", *name,
               relink ? " addresses " + join(current->link.addresses) + " -> " + join(link.addresses) : std::string(),
               resize ? " topology " + topology_text(info.primaries, info.secondaries) + " -> " +
                            topology_text(new_primaries, new_secondaries)
                      : std::string(),
               redelay ? " applyDelay " + std::to_string(current->link.apply_delay.count()) + " ms -> " +
                             std::to_string(link.apply_delay.count()) + " ms"
                       : std::string(),
               refan ? std::string(" fanOut ") + (link.fan_out ? "on" : "off") : std::string());
    return {};
}

}  // namespace ccdr::plugin

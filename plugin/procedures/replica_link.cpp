#include "procedures/replica_link.hpp"

#include "procedures/procedure_call.hpp"

namespace ccdr::plugin {

Result<ReplicaAndLink> replica_upstream_link(HostHandle host, const std::string& name, std::string_view only_replicas) {
    auto info = host.database_info(name);
    if (!info) {
        if (info.status().code() == CCDR_DATABASE_NOT_FOUND) {
            return procedure_failed("database '" + name + "' does not exist");
        }
        return procedure_failed("cannot read database '" + name + "': " + info.status().message());
    }
    if (info->kind != CCDR_KIND_REPLICA) {
        return procedure_failed("database '" + name + "' is a " +
                                (info->kind == CCDR_KIND_SYSTEM ? "system" : "standard") + " database, not a replica; " +
                                std::string(only_replicas));
    }
    auto option = host.get_database_option(name, kReplicaConfigOption);
    if (!option) {
        return procedure_failed("cannot read the upstream link of '" + name + "': " + option.status().message());
    }
    auto link = parse_replica_config(*option);
    if (!link) {
        return procedure_failed("replica '" + name + "' has no usable upstream link: " + link.status().message());
    }
    return ReplicaAndLink{std::move(info.value()), std::move(link.value())};
}

}  // namespace ccdr::plugin

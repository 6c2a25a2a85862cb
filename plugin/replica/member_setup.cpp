#include "replica/member_setup.hpp"

namespace ccdr::plugin {

Result<MemberSetup> load_member_setup(const HostHandle& host, const std::string& database) {
    auto info = host.database_info(database);
    if (!info) {
        return info.status();
    }
    MemberSetup setup;
    setup.kind = info->kind;
    setup.store_id = info->store_id;
    setup.epoch = info->epoch;
    setup.members = info->members;
    if (setup.kind != CCDR_KIND_REPLICA) {
        return setup;
    }
    auto option = host.get_database_option(database, kReplicaConfigOption);
    if (!option) {
        return option.status();
    }
    auto config = parse_replica_config(*option);
    if (!config) {
        return config.status();
    }
    setup.config = std::move(config.value());
    return setup;
}

}  // namespace ccdr::plugin

#include "session/replica_config.hpp"

#include <ccdr/setting_values.hpp>

namespace ccdr::plugin {

Result<ReplicaConfig> parse_replica_config(const Value& value) {
    auto bad = [&](const std::string& why) {
        return Status(CCDR_INVALID_ARGUMENT, std::string(kReplicaConfigOption) + " " + value.to_display() + ": " + why);
    };
    if (value.is_null()) {
        return Status(CCDR_INVALID_ARGUMENT, std::string("the database option ") + kReplicaConfigOption +
                                                 " is not set: a replica needs {remote, addresses}");
    }
    if (!value.is_map()) {
        return bad("expected a map {remote: STRING, addresses: LIST<STRING>}");
    }
    ReplicaConfig out;
    const Value* remote = value.find("remote");
    if (remote == nullptr || !remote->is_string() || remote->as_string().empty()) {
        return bad("'remote' must be the name of the upstream database");
    }
    out.remote = remote->as_string();
    const Value* addresses = value.find("addresses");
    if (addresses == nullptr || !addresses->is_list() || addresses->as_list().empty()) {
        return bad("'addresses' must be a non-empty list of host:port strings");
    }
    for (const auto& a : addresses->as_list()) {
        if (!a.is_string()) {
            return bad("'addresses' must hold strings, not " + a.to_display());
        }
        auto parsed = settings::parse_address(a.as_string());
        if (!parsed) {
            return bad("address '" + a.as_string() + "': " + parsed.status().message());
        }
        out.addresses.push_back(a.as_string());
    }
    return out;
}

Value to_value(const ReplicaConfig& config) {
    ValueList addresses;
    for (const auto& a : config.addresses) {
        addresses.emplace_back(a);
    }
    return Value(ValueMap{{"remote", Value(config.remote)}, {"addresses", Value(std::move(addresses))}});
}

}  // namespace ccdr::plugin

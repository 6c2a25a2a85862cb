#include "session/replica_config.hpp"

#include <ccdr/setting_values.hpp>

namespace ccdr::plugin {

Result<std::chrono::milliseconds> parse_apply_delay(const Value& value) {
    if (!value.is_string()) {
        return Status(CCDR_INVALID_ARGUMENT, std::string(kApplyDelayKey) +
                                                 " must be a STRING duration such as \"90s\" or \"1h\", got " +
                                                 value.to_display());
    }
    const std::string& text = value.as_string();
    if (!text.empty() && text.front() == '-') {
        return Status(CCDR_INVALID_ARGUMENT, std::string(kApplyDelayKey) + " '" + text +
                                                 "' is negative: a replica can only apply later than its upstream");
    }
    auto parsed = settings::parse_duration(text);
    if (!parsed) {
        return Status(CCDR_INVALID_ARGUMENT,
                      std::string(kApplyDelayKey) + " '" + text + "': " + parsed.status().message());
    }
    return *parsed;
}

Result<bool> parse_fan_out(const Value& value) {
    if (!value.is_bool()) {
        return Status(CCDR_INVALID_ARGUMENT, std::string(kFanOutKey) +
                                                 " must be a BOOLEAN (true: one member pulls from the upstream and "
                                                 "the others follow it; false: every member pulls), got " +
                                                 value.to_display());
    }
    return value.as_bool();
}

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
    for (const auto& [key, item] : value.as_map()) {
        if (key == kApplyDelayKey) {
            auto delay = parse_apply_delay(item);
            if (!delay) {
                return bad(delay.status().message());
            }
            out.apply_delay = *delay;
            out.apply_delay_text = delay->count() > 0 ? item.as_string() : std::string();
        } else if (key == kFanOutKey) {
            auto fan_out = parse_fan_out(item);
            if (!fan_out) {
                return bad(fan_out.status().message());
            }
            out.fan_out = *fan_out;
        } else if (key != "remote" && key != "addresses") {
            return bad("unknown key '" + key + "' (the keys are remote, addresses, applyDelay, fanOut)");
        }
    }
    return out;
}

Value to_value(const ReplicaConfig& config) {
    ValueList addresses;
    for (const auto& a : config.addresses) {
        addresses.emplace_back(a);
    }
    ValueMap out{{"remote", Value(config.remote)}, {"addresses", Value(std::move(addresses))}};
    if (config.apply_delay.count() > 0) {
        out.emplace_back(kApplyDelayKey, Value(config.apply_delay_text.empty()
                                                   ? std::to_string(config.apply_delay.count()) + "ms"
                                                   : config.apply_delay_text));
    }
    if (!config.fan_out) {
        out.emplace_back(kFanOutKey, Value(false));
    }
    return Value(std::move(out));
}

}  // namespace ccdr::plugin

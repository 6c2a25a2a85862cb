#include "procedures/upstream_link.hpp"

#include "procedures/database_name.hpp"

#include <ccdr/setting_values.hpp>

#include <algorithm>

namespace ccdr::plugin {

Result<UpstreamLink> parse_upstream_link(const Value& options) {
    auto bad = [](const std::string& why) { return Status(CCDR_PROCEDURE_CALL_FAILED, "invalid options: " + why); };
    if (!options.is_map()) {
        return bad("expected a map {remote: STRING, addresses: LIST<STRING>}");
    }
    UpstreamLink link;
    bool have_remote = false;
    bool have_addresses = false;
    for (const auto& [key, value] : options.as_map()) {
        if (key == "remote") {
            if (!value.is_string() || value.as_string().empty()) {
                return bad("'remote' must be a non-empty STRING, the upstream database's name");
            }
            link.remote = value.as_string();
            have_remote = true;
        } else if (key == "addresses") {
            if (!value.is_list() || value.as_list().empty()) {
                return bad("'addresses' must be a non-empty LIST<STRING> of host:port cluster endpoints");
            }
            for (const auto& item : value.as_list()) {
                if (!item.is_string()) {
                    return bad("'addresses' must contain only STRINGs, found " + item.to_display());
                }
                auto parsed = settings::parse_address(item.as_string());
                if (!parsed || item.as_string().find(':') == 0) {
                    return bad("address '" + item.as_string() + "' is not host:port with a port from 1 to 65535");
                }
                if (std::find(link.addresses.begin(), link.addresses.end(), item.as_string()) !=
                    link.addresses.end()) {
                    return bad("address '" + item.as_string() + "' is listed twice");
                }
                link.addresses.push_back(item.as_string());
            }
            if (link.addresses.size() > 64) {
                return bad("at most 64 addresses, got " + std::to_string(link.addresses.size()));
            }
            have_addresses = true;
        } else if (key == kApplyDelayKey) {
            auto delay = parse_apply_delay(value);
            if (!delay) {
                return bad(delay.status().message());
            }
            link.apply_delay = *delay;
            link.apply_delay_text = delay->count() > 0 ? value.as_string() : std::string();
        } else if (key == kFanOutKey) {
            auto fan_out = parse_fan_out(value);
            if (!fan_out) {
                return bad(fan_out.status().message());
            }
            link.fan_out = *fan_out;
        } else {
            return bad("unknown key '" + key + "' (expected remote, addresses and optionally applyDelay, fanOut)");
        }
    }
    if (!have_remote) {
        return bad("'remote' is missing: the name of the upstream database");
    }
    if (!have_addresses) {
        return bad("'addresses' is missing: the cluster endpoints of the upstream cluster's servers");
    }
    if (normalize_database_name(link.remote) == "system") {
        return Status(CCDR_PROCEDURE_CALL_FAILED, "the system database cannot be replicated");
    }
    Status name = check_database_name(link.remote);
    if (!name) {
        return Status(CCDR_PROCEDURE_CALL_FAILED, "invalid options: 'remote': " + name.message());
    }
    return link;
}

}  // namespace ccdr::plugin

// plugin/session/replica_config.hpp: a replica's link to its upstream, kept
// as the database option `replicaConfig`:
//   {remote: STRING, addresses: LIST<STRING>[, applyDelay: STRING][, fanOut: BOOLEAN]}
// `remote` names the database in the upstream cluster; `addresses` are the
// upstream servers' cluster addresses (host:port), tried in turn;
// `applyDelay` (a duration such as "90s" or "1h"; absent: none) makes each
// member keep what it receives in its delay spool and apply every
// transaction only that long after its commit time (replica/delay_spool.hpp);
// `fanOut` (absent: true) makes one member of the replica database pull from
// the upstream and the others follow it inside the replica cluster
// (replica/pull_sources.hpp); false makes every member pull from the
// upstream, for members that sit in different regions.
#pragma once

#include <ccdr/status.hpp>
#include <ccdr/value.hpp>

#include <chrono>
#include <string>
#include <vector>

namespace ccdr::plugin {

inline constexpr const char* kReplicaConfigOption = "replicaConfig";
inline constexpr const char* kApplyDelayKey = "applyDelay";
inline constexpr const char* kFanOutKey = "fanOut";

struct ReplicaConfig {
    std::string remote;
    std::vector<std::string> addresses;
    // 0: apply at once. Kept as the operator wrote it too, so the option
    // reads back the same.
    std::chrono::milliseconds apply_delay{0};
    std::string apply_delay_text{};
    // Fan-out inside the replica cluster (the default); written back only
    // when the operator turned it off.
    bool fan_out = true;
};

// An applyDelay value: a STRING duration ("500ms", "90s", "5m", "1h", "1d";
// "0s" turns the delay off). CCDR_INVALID_ARGUMENT saying why for anything
// else (another type, a negative or unparsable duration).
Result<std::chrono::milliseconds> parse_apply_delay(const Value& value);

// A fanOut value: a BOOLEAN. CCDR_INVALID_ARGUMENT saying why for anything else.
Result<bool> parse_fan_out(const Value& value);

// CCDR_INVALID_ARGUMENT saying which part is wrong (not a map, remote not a
// non-empty string, addresses not a non-empty list of host:port strings,
// applyDelay not a duration, fanOut not a
// BOOLEAN, a key it does not know).
Result<ReplicaConfig> parse_replica_config(const Value& value);

Value to_value(const ReplicaConfig& config);

}  // namespace ccdr::plugin

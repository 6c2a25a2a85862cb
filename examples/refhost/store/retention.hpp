// examples/refhost/store/retention.hpp: db.tx_log.rotation.retention_policy:
// how much of a member's transaction log is kept. Neo4j's forms:
//   keep_all | true            everything
//   keep_none | false          only the last committed transaction
//   <n>[k|M|G] txs             the newest n transactions ("entries" also)
//   <size> [size]              the newest transactions whose payloads fit in
//                              size, e.g. "100M", "100M size", "1GiB"
//   <n> <unit>                 transactions committed in the last n units
//                              (seconds/minutes/hours/days, "2 days"), or a
//                              duration such as "2d", "12h"
// Whatever the policy, the last committed transaction is always kept.
#pragma once

#include <ccdr/status.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace refhost {

struct RetentionPolicy {
    enum class Kind { KeepAll, KeepNone, Transactions, Bytes, Age };
    Kind kind = Kind::Age;
    uint64_t amount = 0;  // transactions or bytes
    int64_t age_ms = 2LL * 24 * 3600 * 1000;

    static ccdr::Result<RetentionPolicy> parse(std::string_view text);
    std::string describe() const;
};

}  // namespace refhost

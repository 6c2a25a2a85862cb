// plugin/procedures/promote_to_point.hpp: the options of
// internal.dbms.promoteReplicaDatabase and
// promoteReplicaDatabaseWithTopology, and what a promotion does with what a
// member with an applyDelay received but has not applied.
//
//   {fenceOnHeal: BOOLEAN, upToTx: INTEGER, upToTime: STRING | INTEGER}
// (a Cypher DATETIME arrives as its ISO-8601 text: the ABI has no temporal
// type, hosts pass zoned date-times as text)
//
// upToTx N: apply up to tx N and no further, then promote. upToTime T: the
// same for the last received transaction committed at or before T (upstream
// clock), T an ISO-8601 date-time string ("2026-12-06T12:10:00.250Z", an
// offset such as "+01:00" instead of Z) or Unix epoch milliseconds
// (datetime(...).epochMillis): the ABI carries no temporal value, so a
// Cypher datetime is refused by the host before the call. At most one of
// them. Without either, a member that spools (applyDelay) applies
// everything it received before the promotion.
//
// What the member received after the point goes to the operator's file
// (lost_transactions_file.hpp, <data dir>/lost-transactions/), one JSON line
// per transaction with its id, commit time and payload (base64 of the
// host's change record), synced before the promotion.
#pragma once

#include "procedures/lost_transactions_file.hpp"
#include "replica/replica_member.hpp"

#include <ccdr/host_handle.hpp>
#include <ccdr/status.hpp>
#include <ccdr/value.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

namespace ccdr::plugin {

struct PromoteOptions {
    bool fence_on_heal = true;
    std::optional<uint64_t> up_to_tx;
    std::optional<int64_t> up_to_time_ms;
    std::string up_to_time_text;  // as given, for messages
};

// args[index] when present: NULL or a MAP of the keys above. A failed call
// naming the key and why for anything else (unknown keys, wrong types, a
// negative or zero upToTx, an unparsable time, both points).
Result<PromoteOptions> parse_promote_options(const ValueList& args, size_t index);

// "2026-12-06T12:10:00Z", "2026-12-06T12:10:00.250+01:00" → epoch ms.
Result<int64_t> parse_iso_datetime(const std::string& text);
std::string iso_datetime(int64_t ms);

// What a promotion did with the member's delay spool: one output row.
struct PointPromotion {
    std::string database;
    uint64_t promoted_at_tx = 0;
    uint64_t applied_at_promotion = 0;  // transactions applied by the promotion (the delay skipped)
    uint64_t kept_transactions = 0;     // received after the point: in kept_file
    std::string kept_file;              // "" when none
    std::string message;
};

inline constexpr size_t kPromoteColumns = 6;
std::array<Value, kPromoteColumns> promote_row_values(const PointPromotion& p);

// Brings this server's member of `name` to the point and writes what
// follows it to the file, holding the member there; the caller then
// promotes, and calls release() if that fails. Fails, having changed
// nothing but the member's applied position (released again), with the
// reason. `member` may be null (no member on this server).
class PointPlan {
public:
    static Result<PointPlan> prepare(const HostHandle& host, const DatabaseInfo& info,
                                     std::shared_ptr<ReplicaMember> member, const PromoteOptions& options,
                                     bool link_has_delay, const std::filesystem::path& data_directory,
                                     std::chrono::milliseconds apply_timeout);
    // Whether a promotion needs a plan at all: a point was asked for, the
    // link has an applyDelay, or the member still spools.
    static bool needed(const PromoteOptions& options, bool link_has_delay, const ReplicaMember* member);

    void release();
    PointPromotion result(uint64_t promoted_at_tx) const;

private:
    std::shared_ptr<ReplicaMember> member_;
    std::string database_;
    uint64_t target_ = 0;
    uint64_t applied_before_ = 0;
    uint64_t kept_ = 0;
    std::string file_;
};

}  // namespace ccdr::plugin

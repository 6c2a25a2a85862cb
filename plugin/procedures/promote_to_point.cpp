#include "procedures/promote_to_point.hpp"

#include "procedures/procedure_call.hpp"

#include <cstdio>
#include <ctime>

namespace ccdr::plugin {
namespace {

constexpr const char* kOptionKeys = "fenceOnHeal, upToTx, upToTime";

bool digits(const std::string& s, size_t at, size_t n) {
    if (at + n > s.size()) {
        return false;
    }
    for (size_t i = at; i < at + n; ++i) {
        if (s[i] < '0' || s[i] > '9') {
            return false;
        }
    }
    return true;
}

int number(const std::string& s, size_t at, size_t n) { return std::stoi(s.substr(at, n)); }

std::string server_list(const DatabaseInfo& info) {
    std::string out;
    for (const auto& m : info.members) {
        out += (out.empty() ? "" : ", ") + m.server_id + (m.bolt_address.empty() ? "" : " (" + m.bolt_address + ")");
    }
    return out;
}

}  // namespace

Result<int64_t> parse_iso_datetime(const std::string& text) {
    // YYYY-MM-DDTHH:MM:SS[.fff…](Z|±HH:MM)
    auto bad = [&] {
        return Status(CCDR_PROCEDURE_CALL_FAILED,
                      "upToTime '" + text + "' is not an ISO-8601 date-time such as 2026-12-06T12:10:00.250Z");
    };
    if (!digits(text, 0, 4) || text.size() < 20 || text[4] != '-' || !digits(text, 5, 2) || text[7] != '-' ||
        !digits(text, 8, 2) || (text[10] != 'T' && text[10] != ' ') || !digits(text, 11, 2) || text[13] != ':' ||
        !digits(text, 14, 2) || text[16] != ':' || !digits(text, 17, 2)) {
        return bad();
    }
    std::tm tm{};
    tm.tm_year = number(text, 0, 4) - 1900;
    tm.tm_mon = number(text, 5, 2) - 1;
    tm.tm_mday = number(text, 8, 2);
    tm.tm_hour = number(text, 11, 2);
    tm.tm_min = number(text, 14, 2);
    tm.tm_sec = number(text, 17, 2);
    if (tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60) {
        return bad();
    }
    size_t at = 19;
    int64_t millis = 0;
    if (at < text.size() && text[at] == '.') {
        ++at;
        int64_t scale = 100;
        const size_t start = at;
        while (at < text.size() && text[at] >= '0' && text[at] <= '9') {
            millis += scale * (text[at] - '0');
            scale /= 10;
            ++at;
        }
        if (at == start) {
            return bad();
        }
    }
    int64_t offset_s = 0;
    if (at < text.size() && text[at] == 'Z' && at + 1 == text.size()) {
        // UTC
    } else if (at + 6 == text.size() && (text[at] == '+' || text[at] == '-') && digits(text, at + 1, 2) &&
               text[at + 3] == ':' && digits(text, at + 4, 2)) {
        offset_s = (number(text, at + 1, 2) * 3600 + number(text, at + 4, 2) * 60) * (text[at] == '-' ? -1 : 1);
    } else {
        return bad();
    }
    const int64_t seconds = static_cast<int64_t>(timegm(&tm)) - offset_s;
    return seconds * 1000 + millis;
}

std::string iso_datetime(int64_t ms) {
    std::time_t seconds = static_cast<std::time_t>(ms / 1000);
    std::tm tm{};
    gmtime_r(&seconds, &tm);
    char buf[40];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
    char out[48];
    std::snprintf(out, sizeof out, "%s.%03dZ", buf, static_cast<int>(ms % 1000));
    return out;
}

Result<PromoteOptions> parse_promote_options(const ValueList& args, size_t index) {
    PromoteOptions out;
    if (args.size() <= index || args[index].is_null()) {
        return out;
    }
    if (!args[index].is_map()) {
        return procedure_failed("options must be a MAP {" + std::string(kOptionKeys) + "}, got " +
                                args[index].to_display());
    }
    for (const auto& [key, value] : args[index].as_map()) {
        if (key == "fenceOnHeal") {
            if (!value.is_bool()) {
                return procedure_failed("fenceOnHeal must be a BOOLEAN, got " + value.to_display());
            }
            out.fence_on_heal = value.as_bool();
        } else if (key == "upToTx") {
            if (!value.is_int() || value.as_int() < 1) {
                return procedure_failed("upToTx must be a positive INTEGER transaction id, got " +
                                        value.to_display());
            }
            out.up_to_tx = static_cast<uint64_t>(value.as_int());
        } else if (key == "upToTime") {
            if (value.is_int()) {
                out.up_to_time_ms = value.as_int();
                out.up_to_time_text = iso_datetime(value.as_int());
            } else if (value.is_string()) {
                auto ms = parse_iso_datetime(value.as_string());
                if (!ms) {
                    return ms.status();
                }
                out.up_to_time_ms = *ms;
                out.up_to_time_text = value.as_string();
            } else {
                return procedure_failed("upToTime must be a DATETIME (datetime(\"2026-12-06T12:10:00Z\"); hosts "
                                        "pass it as its ISO-8601 text), an ISO-8601 STRING or INTEGER epoch "
                                        "milliseconds, got " +
                                        value.to_display());
            }
        } else {
            return procedure_failed("unknown option '" + key + "' (the options are: " + kOptionKeys + ")");
        }
    }
    if (out.up_to_tx && out.up_to_time_ms) {
        return procedure_failed("give upToTx or upToTime, not both");
    }
    return out;
}

std::array<Value, kPromoteColumns> promote_row_values(const PointPromotion& p) {
    return {Value(p.database),
            Value(static_cast<int64_t>(p.promoted_at_tx)),
            Value(static_cast<int64_t>(p.applied_at_promotion)),
            Value(static_cast<int64_t>(p.kept_transactions)),
            p.kept_file.empty() ? Value() : Value(p.kept_file),
            Value(p.message)};
}

bool PointPlan::needed(const PromoteOptions& options, bool link_has_delay, const ReplicaMember* member) {
    return options.up_to_tx || options.up_to_time_ms || link_has_delay ||
           (member != nullptr && member->delayed_position().spooling);
}

Result<PointPlan> PointPlan::prepare(const HostHandle& host, const DatabaseInfo& info,
                                     std::shared_ptr<ReplicaMember> member, const PromoteOptions& options,
                                     bool link_has_delay, const std::filesystem::path& data_directory,
                                     std::chrono::milliseconds apply_timeout) {
    const std::string& name = info.name;
    const std::string unchanged = "; nothing was changed";
    if (!member) {
        return procedure_failed(
            std::string(link_has_delay ? "promoting a replica with an applyDelay" : "promotion to a point") +
            " uses what this server's member of '" + name + "' received, and this server (" +
            (host.server_info() ? host.server_info()->server_id : std::string("?")) +
            ") hosts none: call it on a server that does: " + server_list(info) + unchanged);
    }
    const DelayedPosition position = member->delayed_position();
    uint64_t target = position.received_tx;
    if (options.up_to_tx) {
        target = *options.up_to_tx;
        if (target > position.received_tx) {
            return procedure_failed("upToTx " + std::to_string(target) + " is beyond what '" + name +
                                    "' received here: its last received transaction is tx " +
                                    std::to_string(position.received_tx) + unchanged);
        }
    } else if (options.up_to_time_ms) {
        auto found = member->last_received_at_or_before(*options.up_to_time_ms);
        if (!found) {
            return procedure_failed("cannot read the delay spool of '" + name + "': " + found.status().message() +
                                    unchanged);
        }
        target = *found;
    }
    if (target < position.applied_tx) {
        const std::string point = options.up_to_tx ? "upToTx " + std::to_string(target)
                                                   : "upToTime " + options.up_to_time_text;
        return procedure_failed("'" + name + "' has already applied tx " + std::to_string(position.applied_tx) +
                                " (committed at " + iso_datetime(position.applied_commit_ms) + "), which is after " +
                                point + ": a promotion cannot go back" + unchanged);
    }
    if (!position.spooling && target != position.applied_tx) {
        return procedure_failed("'" + name + "' has no applyDelay: it applies what it receives at once and is at tx " +
                                std::to_string(position.applied_tx) + ", so it cannot stop at tx " +
                                std::to_string(target) + unchanged);
    }
    for (const auto& m : info.members) {
        if (m.last_committed_tx > target) {
            return procedure_failed("the member of '" + name + "' on server " + m.server_id + " has already applied tx " +
                                    std::to_string(m.last_committed_tx) + ", past tx " + std::to_string(target) +
                                    unchanged);
        }
    }
    PointPlan plan;
    plan.member_ = member;
    plan.database_ = name;
    plan.target_ = target;
    plan.applied_before_ = position.applied_tx;
    Status held = member->hold_at(target, apply_timeout);
    const uint64_t now_applied = member->delayed_position().applied_tx;
    if (!held || now_applied != target) {
        member->release_hold();
        const std::string why = held ? "it applied up to tx " + std::to_string(now_applied) + " meanwhile (its delay ran out)"
                                     : held.message();
        return procedure_failed("cannot bring '" + name + "' to tx " + std::to_string(target) + ": " + why +
                                "; it is still a replica, at tx " + std::to_string(now_applied) +
                                ", and applies with its delay again");
    }
    LostTransactionsFile kept(data_directory, name);
    Status written = member->received_after(target, [&](const ccdr_tx& tx) {
        return kept.add_received(tx.tx_id, tx.commit_time_ms, static_cast<const uint8_t*>(tx.payload.data),
                                 tx.payload.len);
    });
    if (!written) {
        member->release_hold();
        return procedure_failed("cannot keep the transactions after tx " + std::to_string(target) + ": " +
                                written.message() + "; '" + name + "' is still a replica, at tx " +
                                std::to_string(target) + ", and applies with its delay again");
    }
    plan.kept_ = kept.count();
    plan.file_ = kept.path().string();
    return plan;
}

void PointPlan::release() {
    if (member_) {
        member_->release_hold();
    }
}

PointPromotion PointPlan::result(uint64_t promoted_at_tx) const {
    PointPromotion out;
    out.database = database_;
    out.promoted_at_tx = promoted_at_tx;
    out.applied_at_promotion = target_ - applied_before_;
    out.kept_transactions = kept_;
    out.kept_file = file_;
    out.message = "'" + database_ + "' promoted at tx " + std::to_string(promoted_at_tx) + "; " +
                  std::to_string(out.applied_at_promotion) + " received transaction(s) applied at the promotion; " +
                  (kept_ > 0 ? std::to_string(kept_) + " received after tx " + std::to_string(target_) +
                                   " not applied, kept in " + file_
                             : std::string("nothing received after it"));
    if (promoted_at_tx != target_) {
        out.message += "; WARNING: another member had applied up to tx " + std::to_string(promoted_at_tx) +
                       " before it stopped, and the promotion brought every member there";
    }
    return out;
}

}  // namespace ccdr::plugin

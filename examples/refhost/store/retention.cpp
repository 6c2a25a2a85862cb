#include "store/retention.hpp"

#include <ccdr/setting_values.hpp>

#include <limits>

namespace refhost {
namespace {

const char* kExpected =
    "expected keep_all, keep_none, '<n> txs' (e.g. '100k txs'), a size (e.g. '100M' or '100M size') or an age "
    "(e.g. '2 days', '12h')";

}  // namespace

ccdr::Result<RetentionPolicy> RetentionPolicy::parse(std::string_view text) {
    using ccdr::settings::lower;
    using ccdr::settings::trim;
    std::string v = lower(trim(text));
    RetentionPolicy p;
    if (v == "keep_all" || v == "true") {
        p.kind = Kind::KeepAll;
        return p;
    }
    if (v == "keep_none" || v == "false") {
        p.kind = Kind::KeepNone;
        return p;
    }
    size_t space = v.find_last_of(" \t");
    std::string number = space == std::string::npos ? v : std::string(trim(v.substr(0, space)));
    std::string type = space == std::string::npos ? "" : std::string(trim(v.substr(space + 1)));
    const ccdr::Status bad(CCDR_INVALID_SETTING, kExpected);
    if (type == "txs" || type == "entries") {
        uint64_t n = 0;
        std::string unit;
        if (!ccdr::settings::split_number_unit(number, n, unit)) {
            return bad;
        }
        uint64_t mult = unit.empty() ? 1 : unit == "k" ? 1000 : unit == "m" ? 1'000'000 : unit == "g" ? 1'000'000'000 : 0;
        if (mult == 0 || n == 0 || n > std::numeric_limits<uint64_t>::max() / mult) {
            return bad;
        }
        p.kind = Kind::Transactions;
        p.amount = n * mult;
        return p;
    }
    if (type == "size" || type.empty()) {
        auto size = ccdr::settings::parse_size(number);
        if (size && *size > 0) {
            p.kind = Kind::Bytes;
            p.amount = *size;
            return p;
        }
        if (type == "size") {
            return bad;
        }
        auto age = ccdr::settings::parse_duration(number);
        if (age && age->count() > 0) {
            p.kind = Kind::Age;
            p.age_ms = age->count();
            return p;
        }
        return bad;
    }
    static constexpr struct {
        const char* unit;
        int64_t ms;
    } kUnits[] = {{"second", 1000}, {"seconds", 1000}, {"minute", 60'000}, {"minutes", 60'000},
                  {"hour", 3'600'000}, {"hours", 3'600'000}, {"day", 86'400'000}, {"days", 86'400'000}};
    for (const auto& u : kUnits) {
        if (type == u.unit) {
            auto n = ccdr::settings::parse_int(number, 1, std::numeric_limits<int64_t>::max() / u.ms);
            if (!n) {
                return bad;
            }
            p.kind = Kind::Age;
            p.age_ms = *n * u.ms;
            return p;
        }
    }
    if (type == "files") {
        return ccdr::Status(CCDR_INVALID_SETTING,
                            "'files' retention is not supported by the refhost (it keeps no log files); " +
                                std::string(kExpected));
    }
    return bad;
}

std::string RetentionPolicy::describe() const {
    switch (kind) {
        case Kind::KeepAll: return "keep_all";
        case Kind::KeepNone: return "keep_none";
        case Kind::Transactions: return std::to_string(amount) + " txs";
        case Kind::Bytes: return std::to_string(amount) + " bytes";
        case Kind::Age: return std::to_string(age_ms) + " ms";
    }
    return "?";
}

}  // namespace refhost

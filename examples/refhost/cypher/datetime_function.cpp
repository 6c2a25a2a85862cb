#include "cypher/datetime_function.hpp"

#include "common/clock.hpp"
#include "cypher/evaluator.hpp"
#include "cypher/query_error.hpp"
#include "cypher/values.hpp"

#include <ctime>

namespace refhost::cypher {

namespace {

bool digits_at(const std::string& s, size_t at, size_t n) {
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

int number_at(const std::string& s, size_t at, size_t n) { return std::stoi(s.substr(at, n)); }

}  // namespace

std::optional<DateTime> parse_iso_datetime(const std::string& text) {
    const std::string& s = text;
    if (!digits_at(s, 0, 4) || s.size() < 16 || s[4] != '-' || !digits_at(s, 5, 2) || s[7] != '-' ||
        !digits_at(s, 8, 2) || s[10] != 'T' || !digits_at(s, 11, 2) || s[13] != ':' || !digits_at(s, 14, 2)) {
        return std::nullopt;
    }
    std::tm tm{};
    tm.tm_year = number_at(s, 0, 4) - 1900;
    tm.tm_mon = number_at(s, 5, 2) - 1;
    tm.tm_mday = number_at(s, 8, 2);
    tm.tm_hour = number_at(s, 11, 2);
    tm.tm_min = number_at(s, 14, 2);
    size_t at = 16;
    if (at < s.size() && s[at] == ':') {
        if (!digits_at(s, at + 1, 2)) {
            return std::nullopt;
        }
        tm.tm_sec = number_at(s, at + 1, 2);
        at += 3;
    }
    static constexpr int kDaysIn[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (tm.tm_mon < 0 || tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > kDaysIn[tm.tm_mon] || tm.tm_hour > 23 ||
        tm.tm_min > 59 || tm.tm_sec > 59) {
        return std::nullopt;
    }
    int64_t nanos = 0;
    if (at < s.size() && s[at] == '.') {
        ++at;
        const size_t start = at;
        int64_t scale = 100'000'000;
        while (at < s.size() && s[at] >= '0' && s[at] <= '9' && at - start < 9) {
            nanos += scale * (s[at] - '0');
            scale /= 10;
            ++at;
        }
        if (at == start) {
            return std::nullopt;
        }
    }
    int64_t offset = 0;
    if (at == s.size() || (s[at] == 'Z' && at + 1 == s.size())) {
        // UTC
    } else if (at + 6 == s.size() && (s[at] == '+' || s[at] == '-') && digits_at(s, at + 1, 2) && s[at + 3] == ':' &&
               digits_at(s, at + 4, 2) && number_at(s, at + 1, 2) <= 18 && number_at(s, at + 4, 2) <= 59) {
        offset = (number_at(s, at + 1, 2) * 3600 + number_at(s, at + 4, 2) * 60) * (s[at] == '-' ? -1 : 1);
    } else {
        return std::nullopt;
    }
    const int mday = tm.tm_mday;
    const int64_t local = static_cast<int64_t>(timegm(&tm));
    if (tm.tm_mday != mday) {  // 31 April, 29 February of a common year: timegm rolled it over
        return std::nullopt;
    }
    return DateTime{local - offset, nanos, offset};
}

Value fn_datetime(std::vector<Value>& a, EvalContext& ctx) {
    if (a.empty()) {
        return datetime_from_ms(ctx.timestamp_ms);
    }
    if (a[0].is_null()) {
        return Value();
    }
    if (!a[0].is<std::string>()) {
        throw_error(status::kTypeError, "Invalid input for function 'datetime()': Expected a STRING (ISO-8601 "
                                        "date-time) or no argument, got: " +
                                            type_name(a[0]) + " " + describe_value(a[0]));
    }
    auto parsed = parse_iso_datetime(a[0].as<std::string>());
    if (!parsed) {
        throw_error(status::kArgumentError, "Text cannot be parsed to a DateTime: \"" + a[0].as<std::string>() +
                                                "\" (the refhost reads YYYY-MM-DDTHH:MM[:SS[.fff]][Z|+HH:MM])");
    }
    return *parsed;
}

}  // namespace refhost::cypher

// examples/refhost/shell/render.cpp: value rendering.
#include "shell/render.hpp"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <ctime>
#include <mutex>
#include <optional>
#include <string_view>
#include <type_traits>

namespace refhost::shell {

namespace {

constexpr int64_t kNanosPerSecond = 1'000'000'000;
constexpr int64_t kSecondsPerDay = 86'400;

int64_t floor_div(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0)) ? 1 : 0); }
int64_t floor_mod(int64_t a, int64_t b) { return a - floor_div(a, b) * b; }

std::string two(int64_t v) {
    std::string s = std::to_string(v);
    return s.size() < 2 ? "0" + s : s;
}

// Year, month, day of a day count since 1970-01-01 (proleptic Gregorian),
// by eras of 400 years (146097 days).
struct Civil {
    int64_t year;
    int64_t month;
    int64_t day;
};
Civil civil_from_days(int64_t days) {
    int64_t z = days + 719468;
    int64_t era = floor_div(z, 146097);
    int64_t doe = z - era * 146097;                                        // [0, 146096]
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;  // [0, 399]
    int64_t y = yoe + era * 400;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);  // [0, 365]
    int64_t mp = (5 * doy + 2) / 153;                       // [0, 11], March based
    int64_t d = doy - (153 * mp + 2) / 5 + 1;
    int64_t m = mp < 10 ? mp + 3 : mp - 9;
    return {m <= 2 ? y + 1 : y, m, d};
}

std::string fraction(int64_t nanos) {
    // java.time prints 3, 6 or 9 digits, as few as the value needs.
    if (nanos == 0) {
        return "";
    }
    std::string s = std::to_string(nanos);
    s = std::string(9 - s.size(), '0') + s;
    if (nanos % 1'000'000 == 0) {
        return "." + s.substr(0, 3);
    }
    if (nanos % 1'000 == 0) {
        return "." + s.substr(0, 6);
    }
    return "." + s;
}

std::string quoted(const std::string& s) { return "\"" + s + "\""; }

std::string map_body(const Map& m) {
    std::string out = "{";
    bool first = true;
    for (const auto& [k, v] : m) {
        if (!first) {
            out += ", ";
        }
        first = false;
        out += k + ": " + render(v);
    }
    return out + "}";
}

std::string node(const Node& n) {
    std::string out = "(";
    for (const auto& l : n.labels) {
        out += ":" + l;
    }
    if (!n.properties.empty()) {
        out += (n.labels.empty() ? "" : " ") + map_body(n.properties);
    }
    return out + ")";
}

std::string relationship(const Relationship& r) {
    std::string out = "[:" + r.type;
    if (!r.properties.empty()) {
        out += " " + map_body(r.properties);
    }
    return out + "]";
}

std::string local_date_time(int64_t seconds, int64_t nanos) {
    int64_t days = floor_div(seconds, kSecondsPerDay);
    int64_t secs = floor_mod(seconds, kSecondsPerDay);
    return render_date(days) + "T" + render_local_time(secs * kNanosPerSecond + nanos);
}

}  // namespace

std::string render_date(int64_t days) {
    Civil c = civil_from_days(days);
    std::string year;
    if (c.year > 9999) {
        year = "+" + std::to_string(c.year);
    } else if (c.year < 0) {
        std::string a = std::to_string(-c.year);
        year = "-" + std::string(a.size() < 4 ? 4 - a.size() : 0, '0') + a;
    } else {
        std::string a = std::to_string(c.year);
        year = std::string(4 - a.size(), '0') + a;
    }
    return year + "-" + two(c.month) + "-" + two(c.day);
}

std::string render_local_time(int64_t nanos_of_day) {
    int64_t secs = floor_div(nanos_of_day, kNanosPerSecond);
    int64_t nanos = floor_mod(nanos_of_day, kNanosPerSecond);
    int64_t h = secs / 3600;
    int64_t m = (secs / 60) % 60;
    int64_t s = secs % 60;
    std::string out = two(h) + ":" + two(m);
    if (s != 0 || nanos != 0) {
        out += ":" + two(s) + fraction(nanos);
    }
    return out;
}

std::string render_offset(int64_t offset) {
    if (offset == 0) {
        return "Z";
    }
    int64_t a = offset < 0 ? -offset : offset;
    std::string out = std::string(offset < 0 ? "-" : "+") + two(a / 3600) + ":" + two((a / 60) % 60);
    if (a % 60 != 0) {
        out += ":" + two(a % 60);
    }
    return out;
}

std::optional<int64_t> zone_offset(const std::string& tz_id, int64_t utc_seconds) {
    // The C library knows zones only through TZ; the shell is one thread,
    // the lock keeps it correct if that changes.
    static std::mutex mu;
    std::lock_guard<std::mutex> l(mu);
    if (tz_id.find("..") != std::string::npos || tz_id.empty() || tz_id.front() == '/') {
        return std::nullopt;
    }
    std::string path = "/usr/share/zoneinfo/" + tz_id;
    if (std::FILE* f = std::fopen(path.c_str(), "rb")) {
        std::fclose(f);
    } else {
        return std::nullopt;
    }
    const char* old = std::getenv("TZ");
    std::optional<std::string> saved = old != nullptr ? std::optional<std::string>(old) : std::nullopt;
    setenv("TZ", tz_id.c_str(), 1);
    tzset();
    std::time_t t = static_cast<std::time_t>(utc_seconds);
    std::tm tm{};
    bool ok = localtime_r(&t, &tm) != nullptr;
    if (saved) {
        setenv("TZ", saved->c_str(), 1);
    } else {
        unsetenv("TZ");
    }
    tzset();
    if (!ok) {
        return std::nullopt;
    }
    return static_cast<int64_t>(tm.tm_gmtoff);
}

size_t display_width(const std::string& s) {
    size_t n = 0;
    for (unsigned char c : s) {
        if ((c & 0xC0) != 0x80) {
            ++n;
        }
    }
    return n;
}

std::string render(const Value& v) {
    return std::visit(
        [](const auto& x) -> std::string {
            using T = std::decay_t<decltype(x)>;
            if constexpr (std::is_same_v<T, std::monostate>) {
                return "NULL";
            } else if constexpr (std::is_same_v<T, bool>) {
                return x ? "TRUE" : "FALSE";
            } else if constexpr (std::is_same_v<T, int64_t>) {
                return std::to_string(x);
            } else if constexpr (std::is_same_v<T, double>) {
                return java_double(x);
            } else if constexpr (std::is_same_v<T, std::string>) {
                return quoted(x);
            } else if constexpr (std::is_same_v<T, Bytes>) {
                static constexpr char kHex[] = "0123456789abcdef";
                std::string out = "0x";
                for (uint8_t b : x.data) {
                    out.push_back(kHex[b >> 4]);
                    out.push_back(kHex[b & 0xF]);
                }
                return out;
            } else if constexpr (std::is_same_v<T, List>) {
                std::string out = "[";
                for (size_t i = 0; i < x.size(); ++i) {
                    out += (i == 0 ? "" : ", ") + render(x[i]);
                }
                return out + "]";
            } else if constexpr (std::is_same_v<T, Map>) {
                return map_body(x);
            } else if constexpr (std::is_same_v<T, Node>) {
                return node(x);
            } else if constexpr (std::is_same_v<T, Relationship>) {
                return relationship(x);
            } else if constexpr (std::is_same_v<T, Path>) {
                if (x.nodes.empty()) {
                    return "";
                }
                std::string out = node(x.nodes[0]);
                for (size_t i = 0; i < x.relationships.size() && i + 1 < x.nodes.size(); ++i) {
                    const Relationship& r = x.relationships[i];
                    bool forward = r.start_id == x.nodes[i].id;
                    out += (forward ? "-" : "<-") + relationship(r) + (forward ? "->" : "-") + node(x.nodes[i + 1]);
                }
                return out;
            } else if constexpr (std::is_same_v<T, Date>) {
                return render_date(x.days);
            } else if constexpr (std::is_same_v<T, LocalTime>) {
                return render_local_time(x.nanoseconds);
            } else if constexpr (std::is_same_v<T, Time>) {
                return render_local_time(x.nanoseconds) + render_offset(x.tz_offset_seconds);
            } else if constexpr (std::is_same_v<T, LocalDateTime>) {
                return local_date_time(x.seconds, x.nanoseconds);
            } else if constexpr (std::is_same_v<T, DateTime>) {
                return local_date_time(x.seconds + x.tz_offset_seconds, x.nanoseconds) +
                       render_offset(x.tz_offset_seconds);
            } else if constexpr (std::is_same_v<T, DateTimeZoneId>) {
                auto offset = zone_offset(x.tz_id, x.seconds);
                if (!offset) {
                    return local_date_time(x.seconds, x.nanoseconds) + "Z[" + x.tz_id + "]";
                }
                return local_date_time(x.seconds + *offset, x.nanoseconds) + render_offset(*offset) + "[" + x.tz_id +
                       "]";
            } else if constexpr (std::is_same_v<T, Duration>) {
                // As the Java driver prints an IsoDuration: P{months}M{days}DT{seconds}S.
                int64_t secs = x.seconds + floor_div(x.nanoseconds, kNanosPerSecond);
                int64_t nanos = floor_mod(x.nanoseconds, kNanosPerSecond);
                std::string s;
                if (secs < 0 && nanos > 0) {
                    s = (secs == -1 ? "-0" : std::to_string(secs + 1)) + fraction(kNanosPerSecond - nanos);
                } else {
                    s = std::to_string(secs) + fraction(nanos);
                }
                return "P" + std::to_string(x.months) + "M" + std::to_string(x.days) + "DT" + s + "S";
            } else if constexpr (std::is_same_v<T, Point2D>) {
                return "point({srid:" + std::to_string(x.srid) + ", x:" + java_double(x.x) +
                       ", y:" + java_double(x.y) + "})";
            } else if constexpr (std::is_same_v<T, Point3D>) {
                return "point({srid:" + std::to_string(x.srid) + ", x:" + java_double(x.x) +
                       ", y:" + java_double(x.y) + ", z:" + java_double(x.z) + "})";
            } else {
                static_assert(sizeof(T) == 0, "every Value alternative is rendered");
            }
        },
        v.storage());
}

}  // namespace refhost::shell

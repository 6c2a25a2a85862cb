// examples/refhost/cypher/values.cpp: Cypher value semantics.
#include "cypher/values.hpp"

#include "cypher/query_error.hpp"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>

namespace refhost::cypher {

namespace {

// Compares an integer with a float exactly (doubles above 2^53 are not
// all integers, and integers above 2^53 are not all doubles).
int compare_int_double(int64_t a, double b) {
    if (b >= 9.3e18) {
        return -1;
    }
    if (b < -9.3e18) {
        return 1;
    }
    double da = static_cast<double>(a);
    if (da < b) {
        return -1;
    }
    if (da > b) {
        return 1;
    }
    auto ib = static_cast<int64_t>(b);  // b is integral here
    return a < ib ? -1 : (a > ib ? 1 : 0);
}

// Compares two numbers; nullopt if a NaN is involved.
std::optional<int> compare_numbers(const Value& a, const Value& b) {
    if (a.is<int64_t>() && b.is<int64_t>()) {
        int64_t x = a.as<int64_t>(), y = b.as<int64_t>();
        return x < y ? -1 : (x > y ? 1 : 0);
    }
    if (a.is<int64_t>()) {
        double y = b.as<double>();
        if (std::isnan(y)) {
            return std::nullopt;
        }
        return compare_int_double(a.as<int64_t>(), y);
    }
    if (b.is<int64_t>()) {
        double x = a.as<double>();
        if (std::isnan(x)) {
            return std::nullopt;
        }
        return -compare_int_double(b.as<int64_t>(), x);
    }
    double x = a.as<double>(), y = b.as<double>();
    if (std::isnan(x) || std::isnan(y)) {
        return std::nullopt;
    }
    return x < y ? -1 : (x > y ? 1 : 0);
}

template <typename T>
int cmp(const T& a, const T& b) {
    return a < b ? -1 : (b < a ? 1 : 0);
}

// Same-type temporal comparison; nullopt when the types differ or do not order.
std::optional<int> compare_temporal(const Value& a, const Value& b) {
    if (a.index() != b.index()) {
        return std::nullopt;
    }
    if (auto* x = a.get_if<Date>()) {
        return cmp(x->days, b.as<Date>().days);
    }
    if (auto* x = a.get_if<LocalTime>()) {
        return cmp(x->nanoseconds, b.as<LocalTime>().nanoseconds);
    }
    if (auto* x = a.get_if<Time>()) {
        const auto& y = b.as<Time>();
        return cmp(x->nanoseconds - x->tz_offset_seconds * 1000000000LL,
                   y.nanoseconds - y.tz_offset_seconds * 1000000000LL);
    }
    if (auto* x = a.get_if<LocalDateTime>()) {
        const auto& y = b.as<LocalDateTime>();
        int c = cmp(x->seconds, y.seconds);
        return c != 0 ? c : cmp(x->nanoseconds, y.nanoseconds);
    }
    if (auto* x = a.get_if<DateTime>()) {
        const auto& y = b.as<DateTime>();
        int c = cmp(x->seconds, y.seconds);
        return c != 0 ? c : cmp(x->nanoseconds, y.nanoseconds);
    }
    if (auto* x = a.get_if<DateTimeZoneId>()) {
        const auto& y = b.as<DateTimeZoneId>();
        int c = cmp(x->seconds, y.seconds);
        return c != 0 ? c : cmp(x->nanoseconds, y.nanoseconds);
    }
    return std::nullopt;
}

// The rank of a value's type in Neo4j's ascending ORDER BY order.
int order_rank(const Value& v) {
    const auto& s = v.storage();
    switch (s.index()) {
        case 0: return 16;  // null: last
        case 1: return 12;  // boolean
        case 2:
        case 3: return 13;  // numbers
        case 4: return 11;  // string
        case 5: return 15;  // bytes
        case 6: return 3;   // list
        case 7: return 0;   // map
        case 8: return 1;   // node
        case 9: return 2;   // relationship
        case 10: return 4;  // path
        case 11: return 7;  // date
        case 12: return 9;  // local time
        case 13: return 8;  // time
        case 14: return 6;  // local datetime
        case 15:
        case 16: return 5;  // zoned datetime
        case 17: return 10; // duration
        default: return 14; // points
    }
}

int order_lists(const List& a, const List& b) {
    for (size_t i = 0; i < a.size() && i < b.size(); ++i) {
        int c = order_compare(a[i], b[i]);
        if (c != 0) {
            return c;
        }
    }
    return cmp(a.size(), b.size());
}

std::string two_digits(int64_t v) { return (v < 10 ? "0" : "") + std::to_string(v); }

// Days since 1970-01-01 to a civil date (proleptic Gregorian).
void civil_from_days(int64_t z, int64_t& y, unsigned& m, unsigned& d) {
    z += 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const auto doe = static_cast<unsigned>(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    y = static_cast<int64_t>(yoe) + era * 400;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    d = doy - (153 * mp + 2) / 5 + 1;
    m = mp < 10 ? mp + 3 : mp - 9;
    y += m <= 2 ? 1 : 0;
}

std::string iso_date(int64_t days) {
    int64_t y;
    unsigned m, d;
    civil_from_days(days, y, m, d);
    char buf[32];
    std::snprintf(buf, sizeof buf, "%04lld-%02u-%02u", static_cast<long long>(y), m, d);
    return buf;
}

std::string iso_time(int64_t nanos_of_day) {
    int64_t secs = nanos_of_day / 1000000000LL;
    int64_t nanos = nanos_of_day % 1000000000LL;
    std::string s = two_digits(secs / 3600) + ":" + two_digits(secs / 60 % 60) + ":" + two_digits(secs % 60);
    if (nanos != 0) {
        char buf[16];
        std::snprintf(buf, sizeof buf, ".%09lld", static_cast<long long>(nanos));
        std::string frac = buf;
        while (frac.back() == '0') {
            frac.pop_back();
        }
        s += frac;
    }
    return s;
}

std::string iso_offset(int64_t seconds) {
    if (seconds == 0) {
        return "Z";
    }
    std::string sign = seconds < 0 ? "-" : "+";
    seconds = std::llabs(seconds);
    std::string s = sign + two_digits(seconds / 3600) + ":" + two_digits(seconds / 60 % 60);
    if (seconds % 60 != 0) {
        s += ":" + two_digits(seconds % 60);
    }
    return s;
}

std::string iso_datetime(int64_t seconds, int64_t nanos) {
    int64_t days = seconds >= 0 ? seconds / 86400 : -((-seconds + 86399) / 86400);
    int64_t rem = seconds - days * 86400;
    return iso_date(days) + "T" + iso_time(rem * 1000000000LL + nanos);
}

[[noreturn]] void type_mismatch(const char* verb, const Value& a, const Value& b) {
    throw_error(status::kTypeError, std::string("Cannot ") + verb + " " + type_name(a) + " " + describe_value(a) +
                                  " and " + type_name(b) + " " + describe_value(b));
}

// Integer arithmetic that overflows is an ArithmeticError, as in Neo4j.
template <typename F>
int64_t checked(F op, int64_t x, int64_t y) {
    int64_t r = 0;
    if (op(x, y, &r)) {
        throw_error(status::kArithmeticError, "long overflow");
    }
    return r;
}

}  // namespace

bool is_number(const Value& v) { return v.is<int64_t>() || v.is<double>(); }

double as_double(const Value& v) {
    return v.is<int64_t>() ? static_cast<double>(v.as<int64_t>()) : v.as<double>();
}

Tri cypher_equals(const Value& a, const Value& b) {
    if (a.is_null() || b.is_null()) {
        return Tri::Null;
    }
    if (is_number(a) && is_number(b)) {
        auto c = compare_numbers(a, b);
        return c && *c == 0 ? Tri::True : Tri::False;
    }
    if (a.index() != b.index()) {
        return Tri::False;
    }
    if (auto* x = a.get_if<List>()) {
        const auto& y = b.as<List>();
        if (x->size() != y.size()) {
            return Tri::False;
        }
        bool unknown = false;
        for (size_t i = 0; i < x->size(); ++i) {
            Tri t = cypher_equals((*x)[i], y[i]);
            if (t == Tri::False) {
                return Tri::False;
            }
            unknown = unknown || t == Tri::Null;
        }
        return unknown ? Tri::Null : Tri::True;
    }
    if (auto* x = a.get_if<Map>()) {
        const auto& y = b.as<Map>();
        if (x->size() != y.size()) {
            return Tri::False;
        }
        bool unknown = false;
        for (auto i = x->begin(), j = y.begin(); i != x->end(); ++i, ++j) {
            if (i->first != j->first) {
                return Tri::False;
            }
            Tri t = cypher_equals(i->second, j->second);
            if (t == Tri::False) {
                return Tri::False;
            }
            unknown = unknown || t == Tri::Null;
        }
        return unknown ? Tri::Null : Tri::True;
    }
    if (auto* x = a.get_if<Node>()) {
        return x->id == b.as<Node>().id ? Tri::True : Tri::False;
    }
    if (auto* x = a.get_if<Relationship>()) {
        return x->id == b.as<Relationship>().id ? Tri::True : Tri::False;
    }
    if (auto* x = a.get_if<Path>()) {
        return order_compare(a, b) == 0 && x->nodes.size() == b.as<Path>().nodes.size() ? Tri::True : Tri::False;
    }
    return a == b ? Tri::True : Tri::False;
}

std::optional<int> cypher_compare(const Value& a, const Value& b) {
    if (a.is_null() || b.is_null()) {
        return std::nullopt;
    }
    if (is_number(a) && is_number(b)) {
        return compare_numbers(a, b);
    }
    if (a.index() != b.index()) {
        return std::nullopt;
    }
    if (auto* x = a.get_if<std::string>()) {
        return cmp(*x, b.as<std::string>());
    }
    if (auto* x = a.get_if<bool>()) {
        return cmp(*x, b.as<bool>());
    }
    if (auto* x = a.get_if<List>()) {
        const auto& y = b.as<List>();
        for (size_t i = 0; i < x->size() && i < y.size(); ++i) {
            auto c = cypher_compare((*x)[i], y[i]);
            if (!c) {
                return std::nullopt;
            }
            if (*c != 0) {
                return c;
            }
        }
        return cmp(x->size(), y.size());
    }
    return compare_temporal(a, b);
}

int order_compare(const Value& a, const Value& b) {
    int ra = order_rank(a), rb = order_rank(b);
    if (ra != rb) {
        return ra < rb ? -1 : 1;
    }
    switch (ra) {
        case 16: return 0;
        case 13: {
            bool na = a.is<double>() && std::isnan(a.as<double>());
            bool nb = b.is<double>() && std::isnan(b.as<double>());
            if (na || nb) {
                return na == nb ? 0 : (na ? 1 : -1);  // NaN after every number
            }
            return *compare_numbers(a, b);
        }
        case 12: return cmp(a.as<bool>(), b.as<bool>());
        case 11: return cmp(a.as<std::string>(), b.as<std::string>());
        case 15: return cmp(a.as<Bytes>().data, b.as<Bytes>().data);
        case 3: return order_lists(a.as<List>(), b.as<List>());
        case 0: {
            const auto& x = a.as<Map>();
            const auto& y = b.as<Map>();
            auto i = x.begin();
            auto j = y.begin();
            for (; i != x.end() && j != y.end(); ++i, ++j) {
                int c = cmp(i->first, j->first);
                if (c == 0) {
                    c = order_compare(i->second, j->second);
                }
                if (c != 0) {
                    return c;
                }
            }
            return cmp(x.size(), y.size());
        }
        case 1: return cmp(a.as<Node>().id, b.as<Node>().id);
        case 2: return cmp(a.as<Relationship>().id, b.as<Relationship>().id);
        case 4: {
            const auto& x = a.as<Path>();
            const auto& y = b.as<Path>();
            for (size_t i = 0; i < x.nodes.size() && i < y.nodes.size(); ++i) {
                int c = cmp(x.nodes[i].id, y.nodes[i].id);
                if (c == 0 && i < x.relationships.size() && i < y.relationships.size()) {
                    c = cmp(x.relationships[i].id, y.relationships[i].id);
                }
                if (c != 0) {
                    return c;
                }
            }
            return cmp(x.nodes.size(), y.nodes.size());
        }
        case 5: {
            if (a.index() != b.index()) {
                return a.is<DateTime>() ? -1 : 1;
            }
            return *compare_temporal(a, b);
        }
        case 6:
        case 7:
        case 8:
        case 9: return *compare_temporal(a, b);
        case 10: {
            const auto& x = a.as<Duration>();
            const auto& y = b.as<Duration>();
            for (auto [p, q] : {std::pair{x.months, y.months}, std::pair{x.days, y.days},
                                std::pair{x.seconds, y.seconds}, std::pair{x.nanoseconds, y.nanoseconds}}) {
                if (p != q) {
                    return p < q ? -1 : 1;
                }
            }
            return 0;
        }
        default: {
            auto coords = [](const Value& v) {
                if (auto* p = v.get_if<Point2D>()) {
                    return std::tuple<int64_t, double, double, double>{p->srid, p->x, p->y, 0.0};
                }
                const auto& p3 = v.as<Point3D>();
                return std::tuple<int64_t, double, double, double>{p3.srid, p3.x, p3.y, p3.z};
            };
            return cmp(coords(a), coords(b));
        }
    }
}

bool RowOrder::operator()(const List& a, const List& b) const { return order_lists(a, b) < 0; }

std::string type_name(const Value& v) {
    switch (v.index()) {
        case 0: return "NULL";
        case 1: return "BOOLEAN";
        case 2: return "INTEGER";
        case 3: return "FLOAT";
        case 4: return "STRING";
        case 5: return "BYTES";
        case 6: return "LIST";
        case 7: return "MAP";
        case 8: return "NODE";
        case 9: return "RELATIONSHIP";
        case 10: return "PATH";
        case 11: return "DATE";
        case 12: return "LOCAL TIME";
        case 13: return "ZONED TIME";
        case 14: return "LOCAL DATETIME";
        case 15:
        case 16: return "ZONED DATETIME";
        case 17: return "DURATION";
        default: return "POINT";
    }
}

std::string describe_value(const Value& v) {
    if (v.is<std::string>()) {
        return "'" + v.as<std::string>() + "'";
    }
    if (auto s = to_cypher_string(v)) {
        return *s;
    }
    if (v.is_null()) {
        return "null";
    }
    if (auto* l = v.get_if<List>()) {
        std::string s = "[";
        for (size_t i = 0; i < l->size(); ++i) {
            s += (i ? ", " : "") + describe_value((*l)[i]);
        }
        return s + "]";
    }
    if (auto* m = v.get_if<Map>()) {
        std::string s = "{";
        bool first = true;
        for (const auto& [k, x] : *m) {
            s += (first ? "" : ", ") + k + ": " + describe_value(x);
            first = false;
        }
        return s + "}";
    }
    if (auto* n = v.get_if<Node>()) {
        return "Node[" + std::to_string(n->id) + "]";
    }
    if (auto* r = v.get_if<Relationship>()) {
        return "Relationship[" + std::to_string(r->id) + "]";
    }
    return type_name(v);
}

const Map* properties_of(const Value& v) {
    if (auto* n = v.get_if<Node>()) {
        return &n->properties;
    }
    if (auto* r = v.get_if<Relationship>()) {
        return &r->properties;
    }
    return v.get_if<Map>();
}

std::optional<std::string> to_cypher_string(const Value& v) {
    if (auto* s = v.get_if<std::string>()) {
        return *s;
    }
    if (auto* i = v.get_if<int64_t>()) {
        return std::to_string(*i);
    }
    if (auto* d = v.get_if<double>()) {
        return java_double(*d);
    }
    if (auto* b = v.get_if<bool>()) {
        return *b ? "true" : "false";
    }
    if (auto* x = v.get_if<Date>()) {
        return iso_date(x->days);
    }
    if (auto* x = v.get_if<LocalTime>()) {
        return iso_time(x->nanoseconds);
    }
    if (auto* x = v.get_if<Time>()) {
        return iso_time(x->nanoseconds) + iso_offset(x->tz_offset_seconds);
    }
    if (auto* x = v.get_if<LocalDateTime>()) {
        return iso_datetime(x->seconds, x->nanoseconds);
    }
    if (auto* x = v.get_if<DateTime>()) {
        return iso_datetime(x->seconds + x->tz_offset_seconds, x->nanoseconds) + iso_offset(x->tz_offset_seconds);
    }
    if (auto* x = v.get_if<Duration>()) {
        std::string s = "P";
        if (x->months / 12 != 0) {
            s += std::to_string(x->months / 12) + "Y";
        }
        if (x->months % 12 != 0) {
            s += std::to_string(x->months % 12) + "M";
        }
        if (x->days != 0) {
            s += std::to_string(x->days) + "D";
        }
        if (x->seconds != 0 || x->nanoseconds != 0 || s == "P") {
            s += "T" + std::to_string(x->seconds);
            if (x->nanoseconds != 0) {
                char buf[16];
                std::snprintf(buf, sizeof buf, ".%09lld", static_cast<long long>(x->nanoseconds));
                std::string frac = buf;
                while (frac.back() == '0') {
                    frac.pop_back();
                }
                s += frac;
            }
            s += "S";
        }
        return s;
    }
    return std::nullopt;
}

Value arithmetic(Op op, const Value& a, const Value& b) {
    if (a.is_null() || b.is_null()) {
        return Value();
    }
    if (op == Op::Add) {
        if (a.is<List>() || b.is<List>()) {
            List out;
            if (auto* l = a.get_if<List>()) {
                out = *l;
            } else {
                out.push_back(a);
            }
            if (auto* r = b.get_if<List>()) {
                out.insert(out.end(), r->begin(), r->end());
            } else {
                out.push_back(b);
            }
            return out;
        }
        if (a.is<std::string>() || b.is<std::string>()) {
            auto l = to_cypher_string(a);
            auto r = to_cypher_string(b);
            if (!l || !r || a.is<Duration>() || b.is<Duration>()) {
                type_mismatch("add", a, b);
            }
            return *l + *r;
        }
    }
    if (!is_number(a) || !is_number(b)) {
        const char* verb = op == Op::Add ? "add" : op == Op::Sub ? "subtract" : op == Op::Mul ? "multiply"
                         : op == Op::Div ? "divide" : op == Op::Mod ? "take the modulo of" : "raise";
        type_mismatch(verb, a, b);
    }
    bool ints = a.is<int64_t>() && b.is<int64_t>();
    if (op == Op::Pow) {
        return std::pow(as_double(a), as_double(b));
    }
    if (ints) {
        int64_t x = a.as<int64_t>(), y = b.as<int64_t>();
        switch (op) {
            case Op::Add:
                return checked([](int64_t p, int64_t q, int64_t* r) { return __builtin_add_overflow(p, q, r); }, x, y);
            case Op::Sub:
                return checked([](int64_t p, int64_t q, int64_t* r) { return __builtin_sub_overflow(p, q, r); }, x, y);
            case Op::Mul:
                return checked([](int64_t p, int64_t q, int64_t* r) { return __builtin_mul_overflow(p, q, r); }, x, y);
            case Op::Div:
                if (y == 0) {
                    throw_error(status::kArithmeticError, "/ by zero");
                }
                if (x == std::numeric_limits<int64_t>::min() && y == -1) {
                    throw_error(status::kArithmeticError, "long overflow");
                }
                return x / y;
            case Op::Mod:
                if (y == 0) {
                    throw_error(status::kArithmeticError, "/ by zero");
                }
                if (y == -1) {
                    return int64_t{0};
                }
                return x % y;
            default: break;
        }
    }
    double x = as_double(a), y = as_double(b);
    switch (op) {
        case Op::Add: return x + y;
        case Op::Sub: return x - y;
        case Op::Mul: return x * y;
        case Op::Div: return x / y;
        case Op::Mod: return std::fmod(x, y);
        default: break;
    }
    throw_error(status::kTypeError, "unsupported arithmetic operator");
}

Value negate(const Value& v) {
    if (v.is_null()) {
        return Value();
    }
    if (auto* i = v.get_if<int64_t>()) {
        if (*i == std::numeric_limits<int64_t>::min()) {
            throw_error(status::kArithmeticError, "long overflow");
        }
        return -*i;
    }
    if (auto* d = v.get_if<double>()) {
        return -*d;
    }
    throw_error(status::kTypeError, "Cannot negate " + type_name(v) + " " + describe_value(v));
}

std::optional<std::string> property_value_problem(const Value& v) {
    if (v.is_null()) {
        return std::nullopt;  // setting null removes the property
    }
    auto scalar = [](const Value& x) {
        switch (x.index()) {
            case 0:
            case 6:
            case 7:
            case 8:
            case 9:
            case 10: return false;
            default: return true;
        }
    };
    if (scalar(v)) {
        return std::nullopt;
    }
    if (auto* l = v.get_if<List>()) {
        for (const auto& x : *l) {
            if (x.is_null()) {
                return std::string("Collections containing null values can not be stored in properties.");
            }
            if (!scalar(x)) {
                return "Property values can only be of primitive types or arrays thereof. Encountered: " +
                       describe_value(v) + ".";
            }
            if (x.index() != (*l)[0].index()) {
                return std::string("Collections containing mixed types can not be stored in properties.");
            }
        }
        return std::nullopt;
    }
    return "Property values can only be of primitive types or arrays thereof. Encountered: " + describe_value(v) +
           ".";
}

}  // namespace refhost::cypher

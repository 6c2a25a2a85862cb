#include "store/value_codec.hpp"

#include <type_traits>

namespace refhost::codec {
namespace {

enum Tag : uint8_t {
    kNull = 0,
    kFalse = 1,
    kTrue = 2,
    kInteger = 3,
    kFloat = 4,
    kString = 5,
    kBytes = 6,
    kList = 7,
    kMap = 8,
    kDate = 9,
    kLocalTime = 10,
    kTime = 11,
    kLocalDateTime = 12,
    kDateTime = 13,
    kDateTimeZoneId = 14,
    kDuration = 15,
    kPoint2D = 16,
    kPoint3D = 17,
};

// Nesting limit for lists and maps: a hostile record cannot recurse deeply.
constexpr int kMaxDepth = 64;

bool skip_at(ByteReader& r, int depth);

bool skip_ints(ByteReader& r, int n) {
    int64_t v = 0;
    for (int i = 0; i < n; ++i) {
        if (!r.zigzag(v)) {
            return false;
        }
    }
    return true;
}

bool skip_at(ByteReader& r, int depth) {
    if (depth > kMaxDepth) {
        return false;
    }
    uint8_t tag = 0;
    if (!r.u8(tag)) {
        return false;
    }
    std::span<const uint8_t> b;
    double d = 0;
    switch (tag) {
        case kNull:
        case kFalse:
        case kTrue: return true;
        case kInteger:
        case kDate:
        case kLocalTime: return skip_ints(r, 1);
        case kFloat: return r.f64(d);
        case kString:
        case kBytes: return r.blob(b);
        case kList: {
            uint64_t n = 0;
            if (!r.varint(n) || n > r.remaining()) {
                return false;
            }
            for (uint64_t i = 0; i < n; ++i) {
                if (!skip_at(r, depth + 1)) {
                    return false;
                }
            }
            return true;
        }
        case kMap: {
            uint64_t n = 0;
            if (!r.varint(n) || n > r.remaining()) {
                return false;
            }
            for (uint64_t i = 0; i < n; ++i) {
                if (!r.blob(b) || !skip_at(r, depth + 1)) {
                    return false;
                }
            }
            return true;
        }
        case kTime:
        case kLocalDateTime: return skip_ints(r, 2);
        case kDateTime: return skip_ints(r, 3);
        case kDateTimeZoneId: return skip_ints(r, 2) && r.blob(b);
        case kDuration: return skip_ints(r, 4);
        case kPoint2D: return skip_ints(r, 1) && r.f64(d) && r.f64(d);
        case kPoint3D: return skip_ints(r, 1) && r.f64(d) && r.f64(d) && r.f64(d);
        default: return false;
    }
}

bool decode_at(ByteReader& r, Value& out, int depth);

bool decode_map_at(ByteReader& r, Map& out, int depth) {
    uint64_t n = 0;
    if (!r.varint(n) || n > r.remaining()) {
        return false;
    }
    out.clear();
    std::string_view key;
    for (uint64_t i = 0; i < n; ++i) {
        Value v;
        if (!r.str(key) || !decode_at(r, v, depth + 1)) {
            return false;
        }
        out.insert_or_assign(std::string(key), std::move(v));
    }
    return true;
}

bool decode_at(ByteReader& r, Value& out, int depth) {
    if (depth > kMaxDepth) {
        return false;
    }
    uint8_t tag = 0;
    if (!r.u8(tag)) {
        return false;
    }
    int64_t a = 0, b = 0, c = 0, d = 0;
    double x = 0, y = 0, z = 0;
    std::string_view s;
    std::span<const uint8_t> bytes;
    switch (tag) {
        case kNull: out = Value(); return true;
        case kFalse: out = Value(false); return true;
        case kTrue: out = Value(true); return true;
        case kInteger:
            if (!r.zigzag(a)) {
                return false;
            }
            out = Value(a);
            return true;
        case kFloat:
            if (!r.f64(x)) {
                return false;
            }
            out = Value(x);
            return true;
        case kString:
            if (!r.str(s)) {
                return false;
            }
            out = Value(std::string(s));
            return true;
        case kBytes:
            if (!r.blob(bytes)) {
                return false;
            }
            out = Value(Bytes{std::vector<uint8_t>(bytes.begin(), bytes.end())});
            return true;
        case kList: {
            uint64_t n = 0;
            if (!r.varint(n) || n > r.remaining()) {
                return false;
            }
            List items;
            items.reserve(static_cast<size_t>(n));
            for (uint64_t i = 0; i < n; ++i) {
                Value v;
                if (!decode_at(r, v, depth + 1)) {
                    return false;
                }
                items.push_back(std::move(v));
            }
            out = Value(std::move(items));
            return true;
        }
        case kMap: {
            Map m;
            if (!decode_map_at(r, m, depth)) {
                return false;
            }
            out = Value(std::move(m));
            return true;
        }
        case kDate:
            if (!r.zigzag(a)) {
                return false;
            }
            out = Value(Date{a});
            return true;
        case kLocalTime:
            if (!r.zigzag(a)) {
                return false;
            }
            out = Value(LocalTime{a});
            return true;
        case kTime:
            if (!r.zigzag(a) || !r.zigzag(b)) {
                return false;
            }
            out = Value(Time{a, b});
            return true;
        case kLocalDateTime:
            if (!r.zigzag(a) || !r.zigzag(b)) {
                return false;
            }
            out = Value(LocalDateTime{a, b});
            return true;
        case kDateTime:
            if (!r.zigzag(a) || !r.zigzag(b) || !r.zigzag(c)) {
                return false;
            }
            out = Value(DateTime{a, b, c});
            return true;
        case kDateTimeZoneId:
            if (!r.zigzag(a) || !r.zigzag(b) || !r.str(s)) {
                return false;
            }
            out = Value(DateTimeZoneId{a, b, std::string(s)});
            return true;
        case kDuration:
            if (!r.zigzag(a) || !r.zigzag(b) || !r.zigzag(c) || !r.zigzag(d)) {
                return false;
            }
            out = Value(Duration{a, b, c, d});
            return true;
        case kPoint2D:
            if (!r.zigzag(a) || !r.f64(x) || !r.f64(y)) {
                return false;
            }
            out = Value(Point2D{a, x, y});
            return true;
        case kPoint3D:
            if (!r.zigzag(a) || !r.f64(x) || !r.f64(y) || !r.f64(z)) {
                return false;
            }
            out = Value(Point3D{a, x, y, z});
            return true;
        default: return false;
    }
}

const char* type_name(const Value& v) {
    static constexpr const char* kNames[] = {
        "NULL",         "BOOLEAN",   "INTEGER",   "FLOAT",          "STRING",        "BYTES",
        "LIST",         "MAP",       "NODE",      "RELATIONSHIP",   "PATH",          "DATE",
        "LOCAL TIME",   "ZONED TIME", "LOCAL DATETIME", "ZONED DATETIME", "ZONED DATETIME", "DURATION",
        "POINT",        "POINT"};
    return kNames[v.index()];
}

}  // namespace

std::optional<std::string> property_value_problem(const Value& v) {
    if (v.is<Map>() || v.is<Node>() || v.is<Relationship>() || v.is<Path>()) {
        return std::string("Property values can only be of primitive types or arrays thereof. Encountered: ") +
               type_name(v) + ".";
    }
    if (const List* list = v.get_if<List>()) {
        size_t kind = 0;
        for (const Value& item : *list) {
            if (item.is_null()) {
                return std::string("Collections containing null values can not be stored in properties.");
            }
            if (item.is<List>() || item.is<Map>() || item.is<Node>() || item.is<Relationship>() || item.is<Path>()) {
                return std::string("Property values can only be of primitive types or arrays thereof. Encountered: "
                                   "LIST containing ") +
                       type_name(item) + ".";
            }
            if (kind == 0) {
                kind = item.index();
            } else if (item.index() != kind) {
                return std::string("Neo4j only supports a subset of Cypher types for storage as singleton or array "
                                   "properties. Array properties must be homogeneous: found ") +
                       type_name(item) + " among " + type_name((*list)[0]) + ".";
            }
        }
    }
    return std::nullopt;
}

void encode_value(ByteWriter& w, const Value& v) {
    std::visit(
        [&](const auto& x) {
            using T = std::decay_t<decltype(x)>;
            if constexpr (std::is_same_v<T, std::monostate>) {
                w.u8(kNull);
            } else if constexpr (std::is_same_v<T, bool>) {
                w.u8(x ? kTrue : kFalse);
            } else if constexpr (std::is_same_v<T, int64_t>) {
                w.u8(kInteger);
                w.zigzag(x);
            } else if constexpr (std::is_same_v<T, double>) {
                w.u8(kFloat);
                w.f64(x);
            } else if constexpr (std::is_same_v<T, std::string>) {
                w.u8(kString);
                w.str(x);
            } else if constexpr (std::is_same_v<T, Bytes>) {
                w.u8(kBytes);
                w.blob(x.data);
            } else if constexpr (std::is_same_v<T, List>) {
                w.u8(kList);
                w.varint(x.size());
                for (const Value& item : x) {
                    encode_value(w, item);
                }
            } else if constexpr (std::is_same_v<T, Map>) {
                w.u8(kMap);
                encode_map(w, x);
            } else if constexpr (std::is_same_v<T, Date>) {
                w.u8(kDate);
                w.zigzag(x.days);
            } else if constexpr (std::is_same_v<T, LocalTime>) {
                w.u8(kLocalTime);
                w.zigzag(x.nanoseconds);
            } else if constexpr (std::is_same_v<T, Time>) {
                w.u8(kTime);
                w.zigzag(x.nanoseconds);
                w.zigzag(x.tz_offset_seconds);
            } else if constexpr (std::is_same_v<T, LocalDateTime>) {
                w.u8(kLocalDateTime);
                w.zigzag(x.seconds);
                w.zigzag(x.nanoseconds);
            } else if constexpr (std::is_same_v<T, DateTime>) {
                w.u8(kDateTime);
                w.zigzag(x.seconds);
                w.zigzag(x.nanoseconds);
                w.zigzag(x.tz_offset_seconds);
            } else if constexpr (std::is_same_v<T, DateTimeZoneId>) {
                w.u8(kDateTimeZoneId);
                w.zigzag(x.seconds);
                w.zigzag(x.nanoseconds);
                w.str(x.tz_id);
            } else if constexpr (std::is_same_v<T, Duration>) {
                w.u8(kDuration);
                w.zigzag(x.months);
                w.zigzag(x.days);
                w.zigzag(x.seconds);
                w.zigzag(x.nanoseconds);
            } else if constexpr (std::is_same_v<T, Point2D>) {
                w.u8(kPoint2D);
                w.zigzag(x.srid);
                w.f64(x.x);
                w.f64(x.y);
            } else if constexpr (std::is_same_v<T, Point3D>) {
                w.u8(kPoint3D);
                w.zigzag(x.srid);
                w.f64(x.x);
                w.f64(x.y);
                w.f64(x.z);
            } else {
                // Graph entities are never stored; callers check
                // property_value_problem() first. Written as null so the
                // encoding stays well-formed whatever happens.
                w.u8(kNull);
            }
        },
        v.storage());
}

bool decode_value(ByteReader& r, Value& out) { return decode_at(r, out, 0); }

bool skip_value(ByteReader& r) { return skip_at(r, 0); }

void encode_map(ByteWriter& w, const Map& m) {
    w.varint(m.size());
    for (const auto& [k, v] : m) {
        w.str(k);
        encode_value(w, v);
    }
}

std::vector<uint8_t> encode_map(const Map& m) {
    std::vector<uint8_t> out;
    ByteWriter w(out);
    encode_map(w, m);
    return out;
}

bool decode_map(ByteReader& r, Map& out) { return decode_map_at(r, out, 0); }

bool decode_map(std::span<const uint8_t> bytes, Map& out) {
    ByteReader r(bytes);
    return decode_map_at(r, out, 0) && r.at_end();
}

bool valid_map(std::span<const uint8_t> bytes) {
    ByteReader r(bytes);
    uint64_t n = 0;
    if (!r.varint(n) || n > r.remaining()) {
        return false;
    }
    std::string_view prev;
    for (uint64_t i = 0; i < n; ++i) {
        std::string_view key;
        if (!r.str(key) || (i > 0 && key <= prev) || !skip_value(r)) {
            return false;
        }
        prev = key;
    }
    return r.at_end();
}

}  // namespace refhost::codec

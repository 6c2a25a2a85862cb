#include "store/change_json.hpp"

#include "store/change_record.hpp"
#include "store/value_codec.hpp"

#include <cmath>
#include <cstdio>
#include <type_traits>

namespace refhost {

namespace {

void put_string(std::string& out, std::string_view s) {
    out += '"';
    for (unsigned char ch : s) {
        switch (ch) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\t': out += "\\t"; break;
            default:
                if (ch < 0x20) {
                    char buf[8];
                    std::snprintf(buf, sizeof buf, "\\u%04x", ch);
                    out += buf;
                } else {
                    out += static_cast<char>(ch);
                }
        }
    }
    out += '"';
}

void put_double(std::string& out, double d) {
    if (std::isnan(d)) {
        out += "\"NaN\"";
    } else if (std::isinf(d)) {
        out += d > 0 ? "\"Infinity\"" : "\"-Infinity\"";
    } else {
        char buf[32];
        std::snprintf(buf, sizeof buf, "%.17g", d);
        out += buf;
    }
}

// {"$<type>":{"a":1,"b":2}}
void put_typed(std::string& out, const char* type, std::initializer_list<std::pair<const char*, int64_t>> fields) {
    out += "{\"$";
    out += type;
    out += "\":{";
    bool first = true;
    for (const auto& [k, v] : fields) {
        out += first ? "\"" : ",\"";
        out += k;
        out += "\":" + std::to_string(v);
        first = false;
    }
    out += "}}";
}

void put_value(std::string& out, const Value& v);

void put_map(std::string& out, const Map& m) {
    out += '{';
    bool first = true;
    for (const auto& [k, v] : m) {
        if (!first) {
            out += ',';
        }
        put_string(out, k);
        out += ':';
        put_value(out, v);
        first = false;
    }
    out += '}';
}

void put_point(std::string& out, const char* type, int64_t srid, std::initializer_list<double> coords) {
    out += "{\"$";
    out += type;
    out += "\":{\"srid\":" + std::to_string(srid) + ",\"coordinates\":[";
    bool first = true;
    for (double c : coords) {
        if (!first) {
            out += ',';
        }
        put_double(out, c);
        first = false;
    }
    out += "]}}";
}

void put_value(std::string& out, const Value& v) {
    std::visit(
        [&](const auto& x) {
            using T = std::decay_t<decltype(x)>;
            if constexpr (std::is_same_v<T, std::monostate>) {
                out += "null";
            } else if constexpr (std::is_same_v<T, bool>) {
                out += x ? "true" : "false";
            } else if constexpr (std::is_same_v<T, int64_t>) {
                out += std::to_string(x);
            } else if constexpr (std::is_same_v<T, double>) {
                put_double(out, x);
            } else if constexpr (std::is_same_v<T, std::string>) {
                put_string(out, x);
            } else if constexpr (std::is_same_v<T, Bytes>) {
                static const char* kHex = "0123456789abcdef";
                out += "{\"$bytes\":\"";
                for (uint8_t b : x.data) {
                    out += kHex[b >> 4];
                    out += kHex[b & 15];
                }
                out += "\"}";
            } else if constexpr (std::is_same_v<T, List>) {
                out += '[';
                for (size_t i = 0; i < x.size(); ++i) {
                    if (i > 0) {
                        out += ',';
                    }
                    put_value(out, x[i]);
                }
                out += ']';
            } else if constexpr (std::is_same_v<T, Map>) {
                put_map(out, x);
            } else if constexpr (std::is_same_v<T, Date>) {
                put_typed(out, "date", {{"days", x.days}});
            } else if constexpr (std::is_same_v<T, LocalTime>) {
                put_typed(out, "localTime", {{"nanoseconds", x.nanoseconds}});
            } else if constexpr (std::is_same_v<T, Time>) {
                put_typed(out, "time", {{"nanoseconds", x.nanoseconds}, {"offsetSeconds", x.tz_offset_seconds}});
            } else if constexpr (std::is_same_v<T, LocalDateTime>) {
                put_typed(out, "localDateTime", {{"seconds", x.seconds}, {"nanoseconds", x.nanoseconds}});
            } else if constexpr (std::is_same_v<T, DateTime>) {
                put_typed(out, "dateTime",
                          {{"seconds", x.seconds}, {"nanoseconds", x.nanoseconds}, {"offsetSeconds", x.tz_offset_seconds}});
            } else if constexpr (std::is_same_v<T, DateTimeZoneId>) {
                out += "{\"$dateTime\":{\"seconds\":" + std::to_string(x.seconds) +
                       ",\"nanoseconds\":" + std::to_string(x.nanoseconds) + ",\"zone\":";
                put_string(out, x.tz_id);
                out += "}}";
            } else if constexpr (std::is_same_v<T, Duration>) {
                put_typed(out, "duration",
                          {{"months", x.months}, {"days", x.days}, {"seconds", x.seconds}, {"nanoseconds", x.nanoseconds}});
            } else if constexpr (std::is_same_v<T, Point2D>) {
                put_point(out, "point", x.srid, {x.x, x.y});
            } else if constexpr (std::is_same_v<T, Point3D>) {
                put_point(out, "point", x.srid, {x.x, x.y, x.z});
            } else {
                out += "null";  // graph entities are never stored as properties
            }
        },
        v.storage());
}

const char* op_name(OpCode code) {
    switch (code) {
        case OpCode::CreateNode: return "createNode";
        case OpCode::CreateRelationship: return "createRelationship";
        case OpCode::SetNodeProperty: return "setNodeProperty";
        case OpCode::SetRelationshipProperty: return "setRelationshipProperty";
        case OpCode::ReplaceNodeProperties: return "replaceNodeProperties";
        case OpCode::ReplaceRelationshipProperties: return "replaceRelationshipProperties";
        case OpCode::AddLabels: return "addLabels";
        case OpCode::RemoveLabels: return "removeLabels";
        case OpCode::DeleteNode: return "deleteNode";
        case OpCode::DeleteRelationship: return "deleteRelationship";
    }
    return "unknown";
}

}  // namespace

ccdr::Result<std::string> change_record_json(std::span<const uint8_t> record) {
    std::string out = "[";
    ChangeRecordReader reader(record);
    ChangeOp op;
    bool first = true;
    while (reader.next(op)) {
        out += first ? "{\"op\":\"" : ",{\"op\":\"";
        first = false;
        out += op_name(op.code);
        out += "\",\"id\":" + std::to_string(op.id);
        switch (op.code) {
            case OpCode::CreateNode:
            case OpCode::AddLabels:
            case OpCode::RemoveLabels: {
                out += ",\"labels\":[";
                LabelIterator labels(op.labels, op.label_count);
                std::string_view label;
                bool first_label = true;
                while (labels.next(label)) {
                    if (!first_label) {
                        out += ',';
                    }
                    put_string(out, label);
                    first_label = false;
                }
                out += ']';
                break;
            }
            default: break;
        }
        if (op.code == OpCode::CreateRelationship) {
            out += ",\"type\":";
            put_string(out, op.name);
            out += ",\"start\":" + std::to_string(op.start) + ",\"end\":" + std::to_string(op.end);
        }
        if (op.code == OpCode::SetNodeProperty || op.code == OpCode::SetRelationshipProperty) {
            out += ",\"key\":";
            put_string(out, op.name);
            Value v;
            codec::ByteReader r(op.payload);
            if (!codec::decode_value(r, v)) {
                return ccdr::Status(CCDR_CORRUPT, "a property value of entity " + std::to_string(op.id) +
                                                      " does not decode");
            }
            out += ",\"value\":";
            put_value(out, v);
        }
        if (op.code == OpCode::CreateNode || op.code == OpCode::CreateRelationship ||
            op.code == OpCode::ReplaceNodeProperties || op.code == OpCode::ReplaceRelationshipProperties) {
            Map props;
            if (!codec::decode_map(op.payload, props)) {
                return ccdr::Status(CCDR_CORRUPT, "the properties of entity " + std::to_string(op.id) +
                                                      " do not decode");
            }
            out += ",\"properties\":";
            put_map(out, props);
        }
        out += '}';
    }
    if (reader.failed()) {
        return ccdr::Status(CCDR_CORRUPT, "the change record does not decode: " + reader.error());
    }
    out += ']';
    return out;
}

}  // namespace refhost

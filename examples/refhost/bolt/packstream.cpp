// examples/refhost/bolt/packstream.cpp: PackStream v1 encoder and decoder.
#include "bolt/packstream.hpp"

#include <bit>
#include <cstring>
#include <map>
#include <string>
#include <type_traits>

namespace refhost::bolt {

namespace {

// Marker bytes (PackStream v1).
constexpr uint8_t kNull = 0xC0;
constexpr uint8_t kFloat = 0xC1;
constexpr uint8_t kFalse = 0xC2;
constexpr uint8_t kTrue = 0xC3;
constexpr uint8_t kInt8 = 0xC8;
constexpr uint8_t kInt16 = 0xC9;
constexpr uint8_t kInt32 = 0xCA;
constexpr uint8_t kInt64 = 0xCB;
constexpr uint8_t kBytes8 = 0xCC;
constexpr uint8_t kBytes16 = 0xCD;
constexpr uint8_t kBytes32 = 0xCE;
constexpr uint8_t kString8 = 0xD0;
constexpr uint8_t kString16 = 0xD1;
constexpr uint8_t kString32 = 0xD2;
constexpr uint8_t kList8 = 0xD4;
constexpr uint8_t kList16 = 0xD5;
constexpr uint8_t kList32 = 0xD6;
constexpr uint8_t kMap8 = 0xD8;
constexpr uint8_t kMap16 = 0xD9;
constexpr uint8_t kMap32 = 0xDA;
constexpr uint8_t kTinyString = 0x80;
constexpr uint8_t kTinyList = 0x90;
constexpr uint8_t kTinyMap = 0xA0;
constexpr uint8_t kTinyStruct = 0xB0;

std::string hex(uint8_t b) {
    static constexpr char kDigits[] = "0123456789ABCDEF";
    return std::string{'0', 'x', kDigits[b >> 4], kDigits[b & 0xF]};
}

const char* type_name(const Value& v) {
    static constexpr const char* kNames[] = {
        "Null",     "Boolean",   "Integer",       "Float",         "String",   "Bytes",          "List",
        "Map",      "Node",      "Relationship",  "Path",          "Date",     "LocalTime",      "Time",
        "LocalDateTime", "DateTime", "DateTimeZoneId", "Duration", "Point2D", "Point3D"};
    static_assert(std::size(kNames) == std::variant_size_v<Value::Storage>);
    return kNames[v.index()];
}

}  // namespace

// ---------------------------------------------------------------- writer ---

void PackWriter::be(uint64_t v, int bytes) {
    for (int i = bytes - 1; i >= 0; --i) {
        out_.push_back(static_cast<uint8_t>(v >> (8 * i)));
    }
}

void PackWriter::null() { out_.push_back(kNull); }

void PackWriter::boolean(bool v) { out_.push_back(v ? kTrue : kFalse); }

void PackWriter::integer(int64_t v) {
    if (v >= -16 && v <= 127) {
        out_.push_back(static_cast<uint8_t>(v));
    } else if (v >= INT8_MIN && v <= INT8_MAX) {
        out_.push_back(kInt8);
        be(static_cast<uint64_t>(v), 1);
    } else if (v >= INT16_MIN && v <= INT16_MAX) {
        out_.push_back(kInt16);
        be(static_cast<uint64_t>(v), 2);
    } else if (v >= INT32_MIN && v <= INT32_MAX) {
        out_.push_back(kInt32);
        be(static_cast<uint64_t>(v), 4);
    } else {
        out_.push_back(kInt64);
        be(static_cast<uint64_t>(v), 8);
    }
}

void PackWriter::floating(double v) {
    out_.push_back(kFloat);
    be(std::bit_cast<uint64_t>(v), 8);
}

void PackWriter::sized_header(size_t size, uint8_t tiny_base, uint8_t m8, uint8_t m16, uint8_t m32, bool has_tiny) {
    if (has_tiny && size < 16) {
        out_.push_back(static_cast<uint8_t>(tiny_base + size));
    } else if (size <= 0xFF) {
        out_.push_back(m8);
        be(size, 1);
    } else if (size <= 0xFFFF) {
        out_.push_back(m16);
        be(size, 2);
    } else {
        out_.push_back(m32);
        be(size, 4);
    }
}

void PackWriter::string(std::string_view s) {
    sized_header(s.size(), kTinyString, kString8, kString16, kString32, true);
    out_.insert(out_.end(), s.begin(), s.end());
}

void PackWriter::bytes(std::span<const uint8_t> b) {
    sized_header(b.size(), 0, kBytes8, kBytes16, kBytes32, false);
    out_.insert(out_.end(), b.begin(), b.end());
}

void PackWriter::list_header(size_t size) { sized_header(size, kTinyList, kList8, kList16, kList32, true); }

void PackWriter::map_header(size_t size) { sized_header(size, kTinyMap, kMap8, kMap16, kMap32, true); }

void PackWriter::struct_header(size_t fields, uint8_t tag) {
    out_.push_back(static_cast<uint8_t>(kTinyStruct + (fields & 0x0F)));
    out_.push_back(tag);
}

void PackWriter::list(const List& l) {
    list_header(l.size());
    for (const auto& v : l) {
        value(v);
    }
}

void PackWriter::map(const Map& m) {
    map_header(m.size());
    for (const auto& [k, v] : m) {
        string(k);
        value(v);
    }
}

void PackWriter::node(const Node& n) {
    struct_header(4, tag::kNode);
    integer(n.id);
    list_header(n.labels.size());
    for (const auto& l : n.labels) {
        string(l);
    }
    map(n.properties);
    string(n.element_id);
}

void PackWriter::relationship(const Relationship& r) {
    struct_header(8, tag::kRelationship);
    integer(r.id);
    integer(r.start_id);
    integer(r.end_id);
    string(r.type);
    map(r.properties);
    string(r.element_id);
    string(r.start_element_id);
    string(r.end_element_id);
}

// A path is sent as its distinct nodes, its distinct relationships (unbound)
// and a list of alternating (relationship, node) indices: relationship
// indices count from 1 and are negative when the step goes against the
// relationship's direction.
void PackWriter::path(const Path& p) {
    std::vector<const Node*> nodes;
    std::map<int64_t, size_t> node_index;
    for (const auto& n : p.nodes) {
        if (node_index.emplace(n.id, nodes.size()).second) {
            nodes.push_back(&n);
        }
    }
    std::vector<const Relationship*> rels;
    std::map<int64_t, size_t> rel_index;
    for (const auto& r : p.relationships) {
        if (rel_index.emplace(r.id, rels.size()).second) {
            rels.push_back(&r);
        }
    }
    size_t steps = p.nodes.empty() ? 0 : std::min(p.relationships.size(), p.nodes.size() - 1);

    struct_header(3, tag::kPath);
    list_header(nodes.size());
    for (const Node* n : nodes) {
        node(*n);
    }
    list_header(rels.size());
    for (const Relationship* r : rels) {
        struct_header(4, tag::kUnboundRelationship);
        integer(r->id);
        string(r->type);
        map(r->properties);
        string(r->element_id);
    }
    list_header(2 * steps);
    for (size_t i = 0; i < steps; ++i) {
        const Relationship& r = p.relationships[i];
        auto ri = static_cast<int64_t>(rel_index[r.id] + 1);
        integer(r.start_id == p.nodes[i].id ? ri : -ri);
        integer(static_cast<int64_t>(node_index[p.nodes[i + 1].id]));
    }
}

void PackWriter::value(const Value& v) {
    std::visit(
        [this](const auto& x) {
            using T = std::decay_t<decltype(x)>;
            if constexpr (std::is_same_v<T, std::monostate>) {
                null();
            } else if constexpr (std::is_same_v<T, bool>) {
                boolean(x);
            } else if constexpr (std::is_same_v<T, int64_t>) {
                integer(x);
            } else if constexpr (std::is_same_v<T, double>) {
                floating(x);
            } else if constexpr (std::is_same_v<T, std::string>) {
                string(x);
            } else if constexpr (std::is_same_v<T, Bytes>) {
                bytes(x.data);
            } else if constexpr (std::is_same_v<T, List>) {
                list(x);
            } else if constexpr (std::is_same_v<T, Map>) {
                map(x);
            } else if constexpr (std::is_same_v<T, Node>) {
                node(x);
            } else if constexpr (std::is_same_v<T, Relationship>) {
                relationship(x);
            } else if constexpr (std::is_same_v<T, Path>) {
                path(x);
            } else if constexpr (std::is_same_v<T, Date>) {
                struct_header(1, tag::kDate);
                integer(x.days);
            } else if constexpr (std::is_same_v<T, LocalTime>) {
                struct_header(1, tag::kLocalTime);
                integer(x.nanoseconds);
            } else if constexpr (std::is_same_v<T, Time>) {
                struct_header(2, tag::kTime);
                integer(x.nanoseconds);
                integer(x.tz_offset_seconds);
            } else if constexpr (std::is_same_v<T, LocalDateTime>) {
                struct_header(2, tag::kLocalDateTime);
                integer(x.seconds);
                integer(x.nanoseconds);
            } else if constexpr (std::is_same_v<T, DateTime>) {
                struct_header(3, tag::kDateTime);
                integer(x.seconds);
                integer(x.nanoseconds);
                integer(x.tz_offset_seconds);
            } else if constexpr (std::is_same_v<T, DateTimeZoneId>) {
                struct_header(3, tag::kDateTimeZoneId);
                integer(x.seconds);
                integer(x.nanoseconds);
                string(x.tz_id);
            } else if constexpr (std::is_same_v<T, Duration>) {
                struct_header(4, tag::kDuration);
                integer(x.months);
                integer(x.days);
                integer(x.seconds);
                integer(x.nanoseconds);
            } else if constexpr (std::is_same_v<T, Point2D>) {
                struct_header(3, tag::kPoint2D);
                integer(x.srid);
                floating(x.x);
                floating(x.y);
            } else if constexpr (std::is_same_v<T, Point3D>) {
                struct_header(4, tag::kPoint3D);
                integer(x.srid);
                floating(x.x);
                floating(x.y);
                floating(x.z);
            } else {
                static_assert(sizeof(T) == 0, "every Value alternative has a PackStream form");
            }
        },
        v.storage());
}

std::vector<uint8_t> encode_value(const Value& v) {
    std::vector<uint8_t> out;
    PackWriter(out).value(v);
    return out;
}

// ---------------------------------------------------------------- reader ---

Error PackReader::error(size_t at, std::string what) const {
    return make_error(status::kRequestInvalid,
                      "PackStream: " + what + " (at byte " + std::to_string(at) + " of " +
                          std::to_string(data_.size()) + ")");
}

Outcome<uint64_t> PackReader::be(int bytes) {
    if (remaining() < static_cast<size_t>(bytes)) {
        return error(pos_, "truncated: " + std::to_string(bytes) + " bytes needed, " + std::to_string(remaining()) +
                               " left");
    }
    uint64_t v = 0;
    for (int i = 0; i < bytes; ++i) {
        v = (v << 8) | data_[pos_++];
    }
    return v;
}

Outcome<Value> PackReader::value() { return value_at(0); }

Outcome<StructHeader> PackReader::struct_header() {
    size_t start = pos_;
    if (remaining() < 2) {
        return error(start, "truncated structure header");
    }
    uint8_t marker = data_[pos_];
    if ((marker & 0xF0) != kTinyStruct) {
        return error(start, "expected a structure, found marker " + hex(marker));
    }
    pos_ += 2;
    return StructHeader{static_cast<size_t>(marker & 0x0F), data_[start + 1]};
}

Outcome<Value> PackReader::string_of(uint64_t size, size_t start) {
    if (size > remaining()) {
        return error(start, "string of " + std::to_string(size) + " bytes declared, " + std::to_string(remaining()) +
                                " left");
    }
    std::string s(reinterpret_cast<const char*>(data_.data() + pos_), size);
    if (!is_valid_utf8(s)) {
        return error(start, "string of " + std::to_string(size) + " bytes is not valid UTF-8");
    }
    pos_ += size;
    return Value(std::move(s));
}

Outcome<Value> PackReader::list_of(uint64_t size, size_t depth, size_t start) {
    // Every element takes at least one byte: a count beyond what is left is
    // refused before anything is reserved.
    if (size > remaining()) {
        return error(start, "list of " + std::to_string(size) + " elements declared, " +
                                std::to_string(remaining()) + " bytes left");
    }
    List l;
    l.reserve(size);
    for (uint64_t i = 0; i < size; ++i) {
        auto v = value_at(depth + 1);
        if (!v) {
            return v.error();
        }
        l.push_back(std::move(v.value()));
    }
    return Value(std::move(l));
}

Outcome<Value> PackReader::map_of(uint64_t size, size_t depth, size_t start) {
    if (size > remaining() / 2) {
        return error(start, "map of " + std::to_string(size) + " entries declared, " + std::to_string(remaining()) +
                                " bytes left");
    }
    Map m;
    for (uint64_t i = 0; i < size; ++i) {
        size_t key_at = pos_;
        auto k = value_at(depth + 1);
        if (!k) {
            return k.error();
        }
        if (!k->is<std::string>()) {
            return error(key_at, std::string("map key must be a String, found ") + type_name(k.value()));
        }
        auto v = value_at(depth + 1);
        if (!v) {
            return v.error();
        }
        // A repeated key keeps its last value, as PackStream specifies.
        m[k->as<std::string>()] = std::move(v.value());
    }
    return Value(std::move(m));
}

Outcome<Value> PackReader::value_at(size_t depth) {
    size_t start = pos_;
    if (depth > limits_.max_depth) {
        return error(start, "nesting deeper than " + std::to_string(limits_.max_depth) + " levels");
    }
    if (at_end()) {
        return error(start, "truncated: a value was expected");
    }
    uint8_t m = data_[pos_++];
    if (m <= 0x7F) {
        return Value(int64_t{m});
    }
    if (m >= 0xF0) {
        return Value(int64_t{static_cast<int8_t>(m)});
    }
    switch (m & 0xF0) {
        case kTinyString:
            return string_of(m & 0x0F, start);
        case kTinyList:
            return list_of(m & 0x0F, depth, start);
        case kTinyMap:
            return map_of(m & 0x0F, depth, start);
        case kTinyStruct:
            if (at_end()) {
                return error(start, "truncated structure: no tag byte");
            }
            return structure(m & 0x0F, data_[pos_++], depth, start);
        default:
            break;
    }
    switch (m) {
        case kNull:
            return Value();
        case kTrue:
            return Value(true);
        case kFalse:
            return Value(false);
        case kFloat: {
            auto b = be(8);
            if (!b) {
                return b.error();
            }
            return Value(std::bit_cast<double>(b.value()));
        }
        case kInt8:
        case kInt16:
        case kInt32:
        case kInt64: {
            int bytes = 1 << (m - kInt8);
            auto b = be(bytes);
            if (!b) {
                return b.error();
            }
            int shift = 64 - 8 * bytes;
            // Sign-extend from the encoded width.
            auto v = static_cast<int64_t>(b.value() << shift) >> shift;
            return Value(v);
        }
        case kBytes8:
        case kBytes16:
        case kBytes32: {
            auto n = be(1 << (m - kBytes8));
            if (!n) {
                return n.error();
            }
            if (n.value() > remaining()) {
                return error(start, "byte array of " + std::to_string(n.value()) + " bytes declared, " +
                                        std::to_string(remaining()) + " left");
            }
            Bytes b;
            b.data.assign(data_.begin() + static_cast<std::ptrdiff_t>(pos_),
                          data_.begin() + static_cast<std::ptrdiff_t>(pos_ + n.value()));
            pos_ += n.value();
            return Value(std::move(b));
        }
        case kString8:
        case kString16:
        case kString32: {
            auto n = be(1 << (m - kString8));
            if (!n) {
                return n.error();
            }
            return string_of(n.value(), start);
        }
        case kList8:
        case kList16:
        case kList32: {
            auto n = be(1 << (m - kList8));
            if (!n) {
                return n.error();
            }
            return list_of(n.value(), depth, start);
        }
        case kMap8:
        case kMap16:
        case kMap32: {
            auto n = be(1 << (m - kMap8));
            if (!n) {
                return n.error();
            }
            return map_of(n.value(), depth, start);
        }
        default:
            return error(start, "unknown marker " + hex(m));
    }
}

namespace {

// Field checks for structures: each returns an error message or "".
struct Fields {
    const List& f;
    std::string problem;

    template <typename T>
    const T* get(size_t i, const char* what) {
        if (const T* p = f[i].get_if<T>()) {
            return p;
        }
        if (problem.empty()) {
            problem = std::string("field ") + std::to_string(i) + " (" + what + ") has type " + type_name(f[i]);
        }
        return nullptr;
    }
    int64_t integer(size_t i, const char* what) {
        const int64_t* p = get<int64_t>(i, what);
        return p != nullptr ? *p : 0;
    }
    double coordinate(size_t i, const char* what) {
        // The JavaScript driver packs coordinates as floats, others may send integers.
        if (const auto* d = f[i].get_if<double>()) {
            return *d;
        }
        if (const auto* n = f[i].get_if<int64_t>()) {
            return static_cast<double>(*n);
        }
        get<double>(i, what);
        return 0;
    }
    std::string string(size_t i, const char* what) {
        const std::string* p = get<std::string>(i, what);
        return p != nullptr ? *p : std::string();
    }
    Map map(size_t i, const char* what) {
        const Map* p = get<Map>(i, what);
        return p != nullptr ? *p : Map();
    }
    std::vector<std::string> strings(size_t i, const char* what) {
        std::vector<std::string> out;
        if (const List* l = get<List>(i, what)) {
            for (const auto& v : *l) {
                if (const auto* s = v.get_if<std::string>()) {
                    out.push_back(*s);
                } else if (problem.empty()) {
                    problem = std::string("field ") + std::to_string(i) + " (" + what + ") holds a " + type_name(v);
                }
            }
        }
        return out;
    }
};

struct UnboundRelationship {
    int64_t id = 0;
    std::string type;
    Map properties;
    std::string element_id;
};

size_t expected_fields(uint8_t t) {
    switch (t) {
        case tag::kNode:
            return 4;
        case tag::kRelationship:
            return 8;
        case tag::kUnboundRelationship:
            return 4;
        case tag::kPath:
            return 3;
        case tag::kDate:
        case tag::kLocalTime:
            return 1;
        case tag::kTime:
        case tag::kLocalDateTime:
            return 2;
        case tag::kDateTime:
        case tag::kDateTimeZoneId:
        case tag::kPoint2D:
            return 3;
        case tag::kDuration:
        case tag::kPoint3D:
            return 4;
        default:
            return 0;
    }
}

}  // namespace

Outcome<Value> PackReader::structure(size_t count, uint8_t t, size_t depth, size_t start) {
    size_t expected = expected_fields(t);
    if (expected == 0) {
        return error(start, "unknown structure tag " + hex(t) + " with " + std::to_string(count) + " fields");
    }
    if (count != expected) {
        return error(start, "structure " + hex(t) + " has " + std::to_string(count) + " fields, " +
                                std::to_string(expected) + " expected");
    }
    bool graph = t == tag::kNode || t == tag::kRelationship || t == tag::kUnboundRelationship || t == tag::kPath;
    if (graph && !limits_.allow_graph_types) {
        return error(start, "nodes, relationships and paths are not allowed here (structure " + hex(t) + ")");
    }
    if (t == tag::kUnboundRelationship) {
        return error(start, "an unbound relationship (0x72) may only appear inside a path");
    }

    if (t == tag::kPath) {
        return path(depth, start);
    }

    List fields;
    fields.reserve(count);
    for (size_t i = 0; i < count; ++i) {
        auto v = value_at(depth + 1);
        if (!v) {
            return v.error();
        }
        fields.push_back(std::move(v.value()));
    }
    Fields f{fields, {}};
    Value out;
    switch (t) {
        case tag::kNode:
            out = Node{f.integer(0, "id"), f.strings(1, "labels"), f.map(2, "properties"), f.string(3, "element_id")};
            break;
        case tag::kRelationship:
            out = Relationship{f.integer(0, "id"),         f.integer(1, "start_id"),
                               f.integer(2, "end_id"),     f.string(3, "type"),
                               f.map(4, "properties"),     f.string(5, "element_id"),
                               f.string(6, "start_element_id"), f.string(7, "end_element_id")};
            break;
        case tag::kDate:
            out = Date{f.integer(0, "days")};
            break;
        case tag::kLocalTime:
            out = LocalTime{f.integer(0, "nanoseconds")};
            break;
        case tag::kTime:
            out = Time{f.integer(0, "nanoseconds"), f.integer(1, "tz_offset_seconds")};
            break;
        case tag::kLocalDateTime:
            out = LocalDateTime{f.integer(0, "seconds"), f.integer(1, "nanoseconds")};
            break;
        case tag::kDateTime:
            out = DateTime{f.integer(0, "seconds"), f.integer(1, "nanoseconds"), f.integer(2, "tz_offset_seconds")};
            break;
        case tag::kDateTimeZoneId:
            out = DateTimeZoneId{f.integer(0, "seconds"), f.integer(1, "nanoseconds"), f.string(2, "tz_id")};
            break;
        case tag::kDuration:
            out = Duration{f.integer(0, "months"), f.integer(1, "days"), f.integer(2, "seconds"),
                           f.integer(3, "nanoseconds")};
            break;
        case tag::kPoint2D:
            out = Point2D{f.integer(0, "srid"), f.coordinate(1, "x"), f.coordinate(2, "y")};
            break;
        case tag::kPoint3D:
            out = Point3D{f.integer(0, "srid"), f.coordinate(1, "x"), f.coordinate(2, "y"), f.coordinate(3, "z")};
            break;
        default:
            break;
    }
    if (!f.problem.empty()) {
        return error(start, "structure " + hex(t) + ": " + f.problem);
    }
    return out;
}

Outcome<uint64_t> PackReader::list_size() {
    size_t at = pos_;
    if (at_end()) {
        return error(at, "truncated: a List was expected");
    }
    uint8_t m = data_[pos_++];
    uint64_t n = 0;
    if ((m & 0xF0) == kTinyList) {
        n = m & 0x0F;
    } else if (m >= kList8 && m <= kList32) {
        auto b = be(1 << (m - kList8));
        if (!b) {
            return b.error();
        }
        n = b.value();
    } else {
        return error(at, "a List was expected, found marker " + hex(m));
    }
    if (n > remaining()) {
        return error(at, "list of " + std::to_string(n) + " elements declared, " + std::to_string(remaining()) +
                             " bytes left");
    }
    return n;
}

// Path: its distinct nodes, its distinct unbound relationships (which exist
// only here, so they are read structure by structure), then the indices.
Outcome<Value> PackReader::path(size_t depth, size_t start) {
    auto nodes_v = value_at(depth + 1);
    if (!nodes_v) {
        return nodes_v.error();
    }
    const List* node_list = nodes_v->get_if<List>();
    if (node_list == nullptr) {
        return error(start, std::string("path field 0 (nodes) has type ") + type_name(nodes_v.value()));
    }
    std::vector<Node> nodes;
    for (const auto& v : *node_list) {
        if (!v.is<Node>()) {
            return error(start, std::string("path node list holds a ") + type_name(v));
        }
        nodes.push_back(v.as<Node>());
    }
    if (nodes.empty()) {
        return error(start, "path without nodes");
    }

    auto rel_count = list_size();
    if (!rel_count) {
        return rel_count.error();
    }
    std::vector<UnboundRelationship> rels;
    for (uint64_t i = 0; i < rel_count.value(); ++i) {
        size_t at = pos_;
        auto h = struct_header();
        if (!h) {
            return h.error();
        }
        if (h->tag != tag::kUnboundRelationship || h->fields != 4) {
            return error(at, "path relationship must be an unbound relationship (0x72, 4 fields), found " +
                                 hex(h->tag) + " with " + std::to_string(h->fields) + " fields");
        }
        List fields;
        for (int k = 0; k < 4; ++k) {
            auto v = value_at(depth + 2);
            if (!v) {
                return v.error();
            }
            fields.push_back(std::move(v.value()));
        }
        Fields f{fields, {}};
        UnboundRelationship r{f.integer(0, "id"), f.string(1, "type"), f.map(2, "properties"),
                              f.string(3, "element_id")};
        if (!f.problem.empty()) {
            return error(at, "unbound relationship " + f.problem);
        }
        rels.push_back(std::move(r));
    }

    auto idx_v = value_at(depth + 1);
    if (!idx_v) {
        return idx_v.error();
    }
    const List* idx = idx_v->get_if<List>();
    if (idx == nullptr) {
        return error(start, std::string("path field 2 (indices) has type ") + type_name(idx_v.value()));
    }
    if (idx->size() % 2 != 0) {
        return error(start, "path has an odd number of indices (" + std::to_string(idx->size()) + ")");
    }
    Path p;
    p.nodes.push_back(nodes[0]);
    for (size_t i = 0; i < idx->size(); i += 2) {
        const auto* ri = (*idx)[i].get_if<int64_t>();
        const auto* ni = (*idx)[i + 1].get_if<int64_t>();
        if (ri == nullptr || ni == nullptr) {
            return error(start, "path indices must be integers");
        }
        int64_t rabs = *ri < 0 ? -*ri : *ri;
        if (*ri == 0 || rabs > static_cast<int64_t>(rels.size())) {
            return error(start, "path relationship index " + std::to_string(*ri) + " out of range 1.." +
                                    std::to_string(rels.size()));
        }
        if (*ni < 0 || *ni >= static_cast<int64_t>(nodes.size())) {
            return error(start, "path node index " + std::to_string(*ni) + " out of range 0.." +
                                    std::to_string(nodes.size() - 1));
        }
        const Node& prev = p.nodes.back();
        const Node& next = nodes[static_cast<size_t>(*ni)];
        const UnboundRelationship& u = rels[static_cast<size_t>(rabs - 1)];
        const Node& from = *ri > 0 ? prev : next;
        const Node& to = *ri > 0 ? next : prev;
        p.relationships.push_back(
            Relationship{u.id, from.id, to.id, u.type, u.properties, u.element_id, from.element_id, to.element_id});
        p.nodes.push_back(next);
    }
    return Value(std::move(p));
}

Outcome<Value> decode_value(std::span<const uint8_t> data, DecodeLimits limits) {
    PackReader r(data, limits);
    auto v = r.value();
    if (!v) {
        return v;
    }
    if (!r.at_end()) {
        return make_error(status::kRequestInvalid, "PackStream: " + std::to_string(r.remaining()) +
                                                                 " bytes left after a complete value");
    }
    return v;
}

bool is_valid_utf8(std::string_view s) {
    size_t i = 0;
    const size_t n = s.size();
    while (i < n) {
        auto c = static_cast<uint8_t>(s[i]);
        if (c < 0x80) {
            ++i;
            continue;
        }
        size_t len = 0;
        uint32_t cp = 0;
        uint32_t min = 0;
        if ((c & 0xE0) == 0xC0) {
            len = 2;
            cp = c & 0x1F;
            min = 0x80;
        } else if ((c & 0xF0) == 0xE0) {
            len = 3;
            cp = c & 0x0F;
            min = 0x800;
        } else if ((c & 0xF8) == 0xF0) {
            len = 4;
            cp = c & 0x07;
            min = 0x10000;
        } else {
            return false;
        }
        if (i + len > n) {
            return false;
        }
        for (size_t k = 1; k < len; ++k) {
            auto cc = static_cast<uint8_t>(s[i + k]);
            if ((cc & 0xC0) != 0x80) {
                return false;
            }
            cp = (cp << 6) | (cc & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
            return false;
        }
        i += len;
    }
    return true;
}

}  // namespace refhost::bolt

// examples/refhost/common/value.hpp: the refhost's value type: everything a
// Cypher expression, a property, a parameter or a PackStream field can hold.
// Shared by the store, the Cypher engine and the Bolt server.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace refhost {

class Value;
using List = std::vector<Value>;
using Map = std::map<std::string, Value>;  // keys sorted; PackStream map order is not significant

struct Bytes {
    std::vector<uint8_t> data;
    bool operator==(const Bytes&) const = default;
};

// Graph entities as they appear in results (ids are the store's stable ids).
struct Node {
    int64_t id = 0;
    std::vector<std::string> labels;
    Map properties;
    std::string element_id;  // "4:<store-id>:<id>" as Neo4j 5 writes it
    bool operator==(const Node&) const;
};

struct Relationship {
    int64_t id = 0;
    int64_t start_id = 0;
    int64_t end_id = 0;
    std::string type;
    Map properties;
    std::string element_id;
    std::string start_element_id;
    std::string end_element_id;
    bool operator==(const Relationship&) const;
};

struct Path {
    std::vector<Node> nodes;
    std::vector<Relationship> relationships;  // relationships[i] joins nodes[i] and nodes[i+1]
    bool operator==(const Path&) const;
};

// Temporal and spatial values, with PackStream 5.x field meanings.
struct Date { int64_t days = 0; bool operator==(const Date&) const = default; };  // since 1970-01-01
struct LocalTime { int64_t nanoseconds = 0; bool operator==(const LocalTime&) const = default; };  // of day
struct Time {
    int64_t nanoseconds = 0;     // of day, local
    int64_t tz_offset_seconds = 0;
    bool operator==(const Time&) const = default;
};
struct LocalDateTime {
    int64_t seconds = 0;  // since epoch, local
    int64_t nanoseconds = 0;
    bool operator==(const LocalDateTime&) const = default;
};
struct DateTime {  // Bolt 5 (utc) form: seconds are UTC
    int64_t seconds = 0;
    int64_t nanoseconds = 0;
    int64_t tz_offset_seconds = 0;
    bool operator==(const DateTime&) const = default;
};
struct DateTimeZoneId {
    int64_t seconds = 0;  // UTC
    int64_t nanoseconds = 0;
    std::string tz_id;
    bool operator==(const DateTimeZoneId&) const = default;
};
struct Duration {
    int64_t months = 0;
    int64_t days = 0;
    int64_t seconds = 0;
    int64_t nanoseconds = 0;
    bool operator==(const Duration&) const = default;
};
struct Point2D {
    int64_t srid = 0;
    double x = 0;
    double y = 0;
    bool operator==(const Point2D&) const = default;
};
struct Point3D {
    int64_t srid = 0;
    double x = 0;
    double y = 0;
    double z = 0;
    bool operator==(const Point3D&) const = default;
};

class Value {
public:
    using Storage = std::variant<std::monostate, bool, int64_t, double, std::string, Bytes, List, Map, Node,
                                 Relationship, Path, Date, LocalTime, Time, LocalDateTime, DateTime, DateTimeZoneId,
                                 Duration, Point2D, Point3D>;

    Value() = default;
    template <typename T, typename = std::enable_if_t<std::is_constructible_v<Storage, T&&> &&
                                                      !std::is_same_v<std::decay_t<T>, Value>>>
    Value(T&& v) : v_(std::forward<T>(v)) {}  // NOLINT: implicit by design
    Value(int v) : v_(int64_t{v}) {}
    Value(const char* s) : v_(std::string(s)) {}

    bool is_null() const { return v_.index() == 0; }
    template <typename T>
    bool is() const { return std::holds_alternative<T>(v_); }
    template <typename T>
    const T& as() const { return std::get<T>(v_); }
    template <typename T>
    T& as() { return std::get<T>(v_); }
    template <typename T>
    const T* get_if() const { return std::get_if<T>(&v_); }

    const Storage& storage() const { return v_; }
    Storage& storage() { return v_; }
    size_t index() const { return v_.index(); }

    bool operator==(const Value& o) const { return v_ == o.v_; }

private:
    Storage v_;
};

inline bool Node::operator==(const Node& o) const {
    return id == o.id && labels == o.labels && properties == o.properties && element_id == o.element_id;
}
inline bool Relationship::operator==(const Relationship& o) const {
    return id == o.id && start_id == o.start_id && end_id == o.end_id && type == o.type && properties == o.properties;
}
inline bool Path::operator==(const Path& o) const { return nodes == o.nodes && relationships == o.relationships; }

}  // namespace refhost

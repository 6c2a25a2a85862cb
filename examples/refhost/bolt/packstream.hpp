// examples/refhost/bolt/packstream.hpp: PackStream v1, the value encoding of
// Bolt 5 (bolt-and-neo4j.md §6.4). Every refhost::Value type has a form:
// scalars and collections by marker, graph, temporal and spatial values as
// structures with the 5.x tags (DateTime is the UTC form 0x49).
//
// The decoder is written for hostile input: every length is checked against
// the bytes that remain before anything is allocated, recursion is bounded,
// strings must be valid UTF-8, and structures must have the field count and
// field types their tag requires. Bad input is an Error (code
// Neo.ClientError.Request.Invalid) naming the offset and the numbers.
#pragma once

#include "common/error.hpp"
#include "common/value.hpp"

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace refhost::bolt {

// Structure tags (Bolt 5).
namespace tag {
inline constexpr uint8_t kNode = 0x4E;                 // 'N' id, labels, properties, element_id
inline constexpr uint8_t kRelationship = 0x52;         // 'R' id, start, end, type, properties, 3 element ids
inline constexpr uint8_t kUnboundRelationship = 0x72;  // 'r' id, type, properties, element_id
inline constexpr uint8_t kPath = 0x50;                 // 'P' nodes, unbound relationships, indices
inline constexpr uint8_t kDate = 0x44;                 // 'D' days since the epoch
inline constexpr uint8_t kTime = 0x54;                 // 'T' nanoseconds of day, tz offset seconds
inline constexpr uint8_t kLocalTime = 0x74;            // 't' nanoseconds of day
inline constexpr uint8_t kDateTime = 0x49;             // 'I' UTC seconds, nanoseconds, tz offset seconds
inline constexpr uint8_t kDateTimeZoneId = 0x69;       // 'i' UTC seconds, nanoseconds, tz id
inline constexpr uint8_t kLocalDateTime = 0x64;        // 'd' seconds, nanoseconds
inline constexpr uint8_t kDuration = 0x45;             // 'E' months, days, seconds, nanoseconds
inline constexpr uint8_t kPoint2D = 0x58;              // 'X' srid, x, y
inline constexpr uint8_t kPoint3D = 0x59;              // 'Y' srid, x, y, z
}  // namespace tag

// Appends PackStream to a byte vector. Sizes beyond PackStream's 32-bit
// lengths cannot be produced by the refhost (messages are bounded far below).
class PackWriter {
public:
    explicit PackWriter(std::vector<uint8_t>& out) : out_(out) {}

    void null();
    void boolean(bool v);
    void integer(int64_t v);
    void floating(double v);
    void string(std::string_view s);
    void bytes(std::span<const uint8_t> b);
    void list_header(size_t size);
    void map_header(size_t size);
    void struct_header(size_t fields, uint8_t tag);
    void value(const Value& v);
    void list(const List& l);
    void map(const Map& m);

private:
    void node(const Node& n);
    void relationship(const Relationship& r);
    void path(const Path& p);
    void sized_header(size_t size, uint8_t tiny_base, uint8_t m8, uint8_t m16, uint8_t m32, bool has_8bit);
    void be(uint64_t v, int bytes);

    std::vector<uint8_t>& out_;
};

struct DecodeLimits {
    size_t max_depth = 64;  // nesting of lists, maps and structures
    // Bolt refuses nodes, relationships and paths in query parameters; the
    // server decodes requests with this off, the client results with it on.
    bool allow_graph_types = true;
};

struct StructHeader {
    size_t fields = 0;
    uint8_t tag = 0;
};

// Reads PackStream from a borrowed buffer, which must outlive the reader.
class PackReader {
public:
    PackReader(std::span<const uint8_t> data, DecodeLimits limits = {}) : data_(data), limits_(limits) {}

    Outcome<Value> value();
    Outcome<StructHeader> struct_header();
    size_t offset() const { return pos_; }
    bool at_end() const { return pos_ == data_.size(); }
    size_t remaining() const { return data_.size() - pos_; }

private:
    Outcome<Value> value_at(size_t depth);
    Outcome<Value> structure(size_t fields, uint8_t tag, size_t depth, size_t start);
    Outcome<Value> path(size_t depth, size_t start);
    Outcome<uint64_t> list_size();
    Outcome<uint64_t> be(int bytes);
    Outcome<Value> string_of(uint64_t size, size_t start);
    Outcome<Value> list_of(uint64_t size, size_t depth, size_t start);
    Outcome<Value> map_of(uint64_t size, size_t depth, size_t start);
    Error error(size_t at, std::string what) const;

    std::span<const uint8_t> data_;
    DecodeLimits limits_;
    size_t pos_ = 0;
};

// One value that must fill `data` exactly.
Outcome<Value> decode_value(std::span<const uint8_t> data, DecodeLimits limits = {});
std::vector<uint8_t> encode_value(const Value& v);

// True when `s` is well-formed UTF-8 (no overlong forms, no surrogates,
// nothing above U+10FFFF).
bool is_valid_utf8(std::string_view s);

}  // namespace refhost::bolt

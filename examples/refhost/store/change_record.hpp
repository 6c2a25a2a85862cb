// examples/refhost/store/change_record.hpp: the logical change record of one
// write transaction: the payload the transaction log keeps, intra-cluster
// replication copies, and the plugin ships (opaque to it). Writing a
// mutation and applying it share this one form: the writer member applies
// the bytes it just recorded, so every member applies exactly the same thing.
//
// Format (compact, deterministic; docs/refhost.md has the table):
//   record  := version:u8 (= 1), op*
//   op      := code:u8, fields
//   1 create node      id, label count, label*, properties
//   2 create rel       id, type, start id, end id, properties
//   3 set node prop    id, key, value   (value null = remove)
//   4 set rel prop     id, key, value
//   5 replace node props  id, properties
//   6 replace rel props   id, properties
//   7 add labels       id, label count, label*
//   8 remove labels    id, label count, label*
//   9 delete node      id   (its relationships are deleted by earlier ops)
//  10 delete rel       id
// ids are varints, strings length-prefixed, properties a length-prefixed
// property map (value_codec.hpp), a value one encoded value.
#pragma once

#include "common/value.hpp"
#include "store/bytes.hpp"

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace refhost {

enum class OpCode : uint8_t {
    CreateNode = 1,
    CreateRelationship = 2,
    SetNodeProperty = 3,
    SetRelationshipProperty = 4,
    ReplaceNodeProperties = 5,
    ReplaceRelationshipProperties = 6,
    AddLabels = 7,
    RemoveLabels = 8,
    DeleteNode = 9,
    DeleteRelationship = 10,
};

constexpr uint8_t kChangeRecordVersion = 1;

// Appends ops to a record. The first op writes the version byte.
class ChangeRecordWriter {
public:
    void create_node(int64_t id, const std::vector<std::string>& labels, const Map& properties);
    // The same, with the property map already encoded (bench and tests).
    void create_node_encoded(int64_t id, std::span<const std::string> labels, std::span<const uint8_t> properties);
    void create_relationship(int64_t id, std::string_view type, int64_t start, int64_t end, const Map& properties);
    void set_node_property(int64_t id, std::string_view key, const Value& value);
    void set_relationship_property(int64_t id, std::string_view key, const Value& value);
    void replace_node_properties(int64_t id, const Map& properties);
    void replace_relationship_properties(int64_t id, const Map& properties);
    void add_labels(int64_t id, const std::vector<std::string>& labels);
    void remove_labels(int64_t id, const std::vector<std::string>& labels);
    void delete_node(int64_t id);
    void delete_relationship(int64_t id);

    const std::vector<uint8_t>& bytes() const { return buf_; }
    bool empty() const { return buf_.size() <= 1; }
    size_t size() const { return buf_.size(); }
    // Drops everything from `size` on (undoing a mutation that failed).
    void truncate(size_t size) { buf_.resize(size); }
    void clear() { buf_.clear(); }

private:
    codec::ByteWriter begin_op(OpCode code);
    std::vector<uint8_t> buf_;
};

// One decoded op; views point into the record.
struct ChangeOp {
    OpCode code = OpCode::CreateNode;
    int64_t id = 0;
    int64_t start = 0;                 // create relationship
    int64_t end = 0;                   // create relationship
    std::string_view name;             // relationship type, or property key
    std::span<const uint8_t> payload;  // encoded property map, or one encoded value
    uint64_t label_count = 0;
    std::span<const uint8_t> labels;   // label_count length-prefixed strings
};

// Iterates the labels of an op without allocating.
class LabelIterator {
public:
    LabelIterator(std::span<const uint8_t> labels, uint64_t count) : r_(labels), left_(count) {}
    bool next(std::string_view& label) {
        if (left_ == 0) {
            return false;
        }
        --left_;
        return r_.str(label);
    }

private:
    codec::ByteReader r_;
    uint64_t left_;
};

// Reads a record op by op, validating as it goes: next() is false at the
// end or on malformed input (then error() says where and why).
class ChangeRecordReader {
public:
    explicit ChangeRecordReader(std::span<const uint8_t> record);
    bool next(ChangeOp& op);
    bool failed() const { return !error_.empty(); }
    const std::string& error() const { return error_; }
    // The offset of the next byte to read: after a successful next(), where
    // the next op starts.
    size_t position() const { return r_.position(); }

private:
    bool fail(std::string why);
    codec::ByteReader r_;
    std::string error_;
};

}  // namespace refhost

#include "store/change_record.hpp"

#include "store/value_codec.hpp"

namespace refhost {

codec::ByteWriter ChangeRecordWriter::begin_op(OpCode code) {
    if (buf_.empty()) {
        buf_.push_back(kChangeRecordVersion);
    }
    buf_.push_back(static_cast<uint8_t>(code));
    return codec::ByteWriter(buf_);
}

namespace {

void put_props(codec::ByteWriter& w, const Map& properties) {
    // Length-prefixed so a reader can take the encoded map as one slice.
    size_t len_pos = w.size();
    w.u8(0);  // room for a one-byte length; widened below if needed
    size_t start = w.size();
    codec::encode_map(w, properties);
    size_t len = w.size() - start;
    auto& buf = w.buffer();
    if (len < 0x80) {
        buf[len_pos] = static_cast<uint8_t>(len);
        return;
    }
    std::vector<uint8_t> prefix;
    codec::ByteWriter pw(prefix);
    pw.varint(len);
    buf.erase(buf.begin() + static_cast<std::ptrdiff_t>(len_pos));
    buf.insert(buf.begin() + static_cast<std::ptrdiff_t>(len_pos), prefix.begin(), prefix.end());
}

template <typename Labels>
void put_labels(codec::ByteWriter& w, const Labels& labels) {
    w.varint(labels.size());
    for (const auto& l : labels) {
        w.str(l);
    }
}

}  // namespace

void ChangeRecordWriter::create_node(int64_t id, const std::vector<std::string>& labels, const Map& properties) {
    auto w = begin_op(OpCode::CreateNode);
    w.varint(static_cast<uint64_t>(id));
    put_labels(w, labels);
    put_props(w, properties);
}

void ChangeRecordWriter::create_node_encoded(int64_t id, std::span<const std::string> labels,
                                             std::span<const uint8_t> properties) {
    auto w = begin_op(OpCode::CreateNode);
    w.varint(static_cast<uint64_t>(id));
    put_labels(w, labels);
    w.blob(properties);
}

void ChangeRecordWriter::create_relationship(int64_t id, std::string_view type, int64_t start, int64_t end,
                                             const Map& properties) {
    auto w = begin_op(OpCode::CreateRelationship);
    w.varint(static_cast<uint64_t>(id));
    w.str(type);
    w.varint(static_cast<uint64_t>(start));
    w.varint(static_cast<uint64_t>(end));
    put_props(w, properties);
}

void ChangeRecordWriter::set_node_property(int64_t id, std::string_view key, const Value& value) {
    auto w = begin_op(OpCode::SetNodeProperty);
    w.varint(static_cast<uint64_t>(id));
    w.str(key);
    codec::encode_value(w, value);
}

void ChangeRecordWriter::set_relationship_property(int64_t id, std::string_view key, const Value& value) {
    auto w = begin_op(OpCode::SetRelationshipProperty);
    w.varint(static_cast<uint64_t>(id));
    w.str(key);
    codec::encode_value(w, value);
}

void ChangeRecordWriter::replace_node_properties(int64_t id, const Map& properties) {
    auto w = begin_op(OpCode::ReplaceNodeProperties);
    w.varint(static_cast<uint64_t>(id));
    put_props(w, properties);
}

void ChangeRecordWriter::replace_relationship_properties(int64_t id, const Map& properties) {
    auto w = begin_op(OpCode::ReplaceRelationshipProperties);
    w.varint(static_cast<uint64_t>(id));
    put_props(w, properties);
}

void ChangeRecordWriter::add_labels(int64_t id, const std::vector<std::string>& labels) {
    auto w = begin_op(OpCode::AddLabels);
    w.varint(static_cast<uint64_t>(id));
    put_labels(w, labels);
}

void ChangeRecordWriter::remove_labels(int64_t id, const std::vector<std::string>& labels) {
    auto w = begin_op(OpCode::RemoveLabels);
    w.varint(static_cast<uint64_t>(id));
    put_labels(w, labels);
}

void ChangeRecordWriter::delete_node(int64_t id) {
    auto w = begin_op(OpCode::DeleteNode);
    w.varint(static_cast<uint64_t>(id));
}

void ChangeRecordWriter::delete_relationship(int64_t id) {
    auto w = begin_op(OpCode::DeleteRelationship);
    w.varint(static_cast<uint64_t>(id));
}

ChangeRecordReader::ChangeRecordReader(std::span<const uint8_t> record) : r_(record) {
    uint8_t version = 0;
    if (!r_.u8(version)) {
        fail("empty change record");
    } else if (version != kChangeRecordVersion) {
        fail("change record version " + std::to_string(version) + " is not supported (expected " +
             std::to_string(kChangeRecordVersion) + ")");
    }
}

bool ChangeRecordReader::fail(std::string why) {
    if (error_.empty()) {
        error_ = std::move(why);
    }
    return false;
}

bool ChangeRecordReader::next(ChangeOp& op) {
    if (failed() || r_.at_end()) {
        return false;
    }
    size_t at = r_.position();
    auto bad = [&](const char* what) { return fail(std::string("malformed change record at byte ") +
                                                   std::to_string(at) + ": " + what); };
    uint8_t code = 0;
    uint64_t id = 0;
    if (!r_.u8(code) || !r_.varint(id) || id > static_cast<uint64_t>(INT64_MAX)) {
        return bad("truncated op header");
    }
    op = ChangeOp{};
    op.code = static_cast<OpCode>(code);
    op.id = static_cast<int64_t>(id);
    auto read_labels = [&]() {
        if (!r_.varint(op.label_count) || op.label_count > r_.remaining()) {
            return false;
        }
        size_t start = r_.position();
        std::string_view l;
        for (uint64_t i = 0; i < op.label_count; ++i) {
            if (!r_.str(l) || l.empty()) {
                return false;
            }
        }
        op.labels = r_.since(start);
        return true;
    };
    auto read_props = [&]() { return r_.blob(op.payload) && codec::valid_map(op.payload); };
    auto read_value = [&]() {
        size_t start = r_.position();
        if (!codec::skip_value(r_)) {
            return false;
        }
        op.payload = r_.since(start);
        return true;
    };
    uint64_t start = 0, end = 0;
    switch (op.code) {
        case OpCode::CreateNode:
            if (!read_labels() || !read_props()) {
                return bad("bad create-node op");
            }
            return true;
        case OpCode::CreateRelationship:
            if (!r_.str(op.name) || op.name.empty() || !r_.varint(start) || !r_.varint(end) ||
                start > static_cast<uint64_t>(INT64_MAX) || end > static_cast<uint64_t>(INT64_MAX) || !read_props()) {
                return bad("bad create-relationship op");
            }
            op.start = static_cast<int64_t>(start);
            op.end = static_cast<int64_t>(end);
            return true;
        case OpCode::SetNodeProperty:
        case OpCode::SetRelationshipProperty:
            if (!r_.str(op.name) || !read_value()) {
                return bad("bad set-property op");
            }
            return true;
        case OpCode::ReplaceNodeProperties:
        case OpCode::ReplaceRelationshipProperties:
            if (!read_props()) {
                return bad("bad replace-properties op");
            }
            return true;
        case OpCode::AddLabels:
        case OpCode::RemoveLabels:
            if (!read_labels()) {
                return bad("bad label op");
            }
            return true;
        case OpCode::DeleteNode:
        case OpCode::DeleteRelationship: return true;
    }
    return bad("unknown op code");
}

}  // namespace refhost

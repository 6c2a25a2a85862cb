// ccdr/value.hpp: an owning C++ value (ccdr::Value) and its conversions to and
// from the ABI's borrowed ccdr_value trees.
//
// Value -> ccdr_value: an AbiValueBuilder owns the arrays of a converted tree;
// the tree borrows strings from the Values, so both must outlive the call.
// ccdr_value -> Value: Value::from_abi copies everything.
#pragma once

#include <ccdr/abi.h>
#include <ccdr/span.hpp>

#include <cstdint>
#include <deque>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace ccdr {

class Value;
using ValueList = std::vector<Value>;
// A map keeps its keys in insertion order (procedures print them that way).
using ValueMap = std::vector<std::pair<std::string, Value>>;
struct Bytes {
    std::vector<uint8_t> data;
    bool operator==(const Bytes&) const = default;
};

class Value {
public:
    using Storage = std::variant<std::monostate, bool, int64_t, double, std::string, Bytes, ValueList, ValueMap>;

    Value() = default;
    Value(std::nullptr_t) {}
    Value(bool b) : v_(b) {}
    Value(int v) : v_(int64_t{v}) {}
    Value(int64_t v) : v_(v) {}
    Value(uint32_t v) : v_(int64_t{v}) {}
    Value(double v) : v_(v) {}
    Value(const char* s) : v_(std::string(s)) {}
    Value(std::string s) : v_(std::move(s)) {}
    Value(std::string_view s) : v_(std::string(s)) {}
    Value(Bytes b) : v_(std::move(b)) {}
    Value(ValueList l) : v_(std::move(l)) {}
    Value(ValueMap m) : v_(std::move(m)) {}

    static Value list(std::initializer_list<Value> items) { return Value(ValueList(items)); }
    static Value map(std::initializer_list<std::pair<std::string, Value>> entries) {
        return Value(ValueMap(entries));
    }

    ccdr_value_type type() const { return static_cast<ccdr_value_type>(v_.index()); }
    bool is_null() const { return v_.index() == 0; }
    bool is_bool() const { return std::holds_alternative<bool>(v_); }
    bool is_int() const { return std::holds_alternative<int64_t>(v_); }
    bool is_float() const { return std::holds_alternative<double>(v_); }
    bool is_string() const { return std::holds_alternative<std::string>(v_); }
    bool is_bytes() const { return std::holds_alternative<Bytes>(v_); }
    bool is_list() const { return std::holds_alternative<ValueList>(v_); }
    bool is_map() const { return std::holds_alternative<ValueMap>(v_); }

    bool as_bool() const { return std::get<bool>(v_); }
    int64_t as_int() const { return std::get<int64_t>(v_); }
    double as_float() const { return std::get<double>(v_); }
    const std::string& as_string() const { return std::get<std::string>(v_); }
    const Bytes& as_bytes() const { return std::get<Bytes>(v_); }
    const ValueList& as_list() const { return std::get<ValueList>(v_); }
    const ValueMap& as_map() const { return std::get<ValueMap>(v_); }
    ValueList& as_list() { return std::get<ValueList>(v_); }
    ValueMap& as_map() { return std::get<ValueMap>(v_); }

    // The entry of a map by key, or nullptr (also when this is not a map).
    const Value* find(std::string_view key) const {
        if (!is_map()) {
            return nullptr;
        }
        for (const auto& [k, v] : as_map()) {
            if (k == key) {
                return &v;
            }
        }
        return nullptr;
    }

    const Storage& storage() const { return v_; }
    bool operator==(const Value& other) const { return v_ == other.v_; }

    // A deep copy of a borrowed ABI value.
    static Value from_abi(const ccdr_value& v) {
        switch (v.type) {
            case CCDR_VALUE_BOOLEAN: return Value(v.as.boolean != 0);
            case CCDR_VALUE_INTEGER: return Value(v.as.integer);
            case CCDR_VALUE_FLOAT: return Value(v.as.floating);
            case CCDR_VALUE_STRING: return Value(to_string(v.as.string));
            case CCDR_VALUE_BYTES: {
                auto s = to_span(v.as.bytes);
                return Value(Bytes{std::vector<uint8_t>(s.begin(), s.end())});
            }
            case CCDR_VALUE_LIST: {
                ValueList items;
                items.reserve(v.as.list.count);
                for (size_t i = 0; i < v.as.list.count; ++i) {
                    items.push_back(from_abi(v.as.list.items[i]));
                }
                return Value(std::move(items));
            }
            case CCDR_VALUE_MAP: {
                ValueMap entries;
                entries.reserve(v.as.map.count);
                for (size_t i = 0; i < v.as.map.count; ++i) {
                    entries.emplace_back(to_string(v.as.map.entries[i].key), from_abi(v.as.map.entries[i].value));
                }
                return Value(std::move(entries));
            }
            default: return Value();
        }
    }

    // Cypher-like text, for messages and logs: "foo", 3, [1, 2], {a: 1}.
    std::string to_display() const {
        switch (type()) {
            case CCDR_VALUE_NULL: return "NULL";
            case CCDR_VALUE_BOOLEAN: return as_bool() ? "TRUE" : "FALSE";
            case CCDR_VALUE_INTEGER: return std::to_string(as_int());
            case CCDR_VALUE_FLOAT: {
                std::string s = std::to_string(as_float());
                return s;
            }
            case CCDR_VALUE_STRING: return "\"" + as_string() + "\"";
            case CCDR_VALUE_BYTES: return "<" + std::to_string(as_bytes().data.size()) + " bytes>";
            case CCDR_VALUE_LIST: {
                std::string s = "[";
                for (size_t i = 0; i < as_list().size(); ++i) {
                    s += (i ? ", " : "") + as_list()[i].to_display();
                }
                return s + "]";
            }
            case CCDR_VALUE_MAP: {
                std::string s = "{";
                bool first = true;
                for (const auto& [k, v] : as_map()) {
                    s += (first ? "" : ", ") + k + ": " + v.to_display();
                    first = false;
                }
                return s + "}";
            }
        }
        return "?";
    }

private:
    Storage v_;
};

// Converts Values into ABI views. Owns the arrays; borrows strings and bytes
// from the Values, which must outlive the views. Not copyable: views point
// into it.
class AbiValueBuilder {
public:
    AbiValueBuilder() = default;
    AbiValueBuilder(const AbiValueBuilder&) = delete;
    AbiValueBuilder& operator=(const AbiValueBuilder&) = delete;

    ccdr_value build(const Value& v) {
        ccdr_value out{};
        out.type = static_cast<uint32_t>(v.type());
        switch (v.type()) {
            case CCDR_VALUE_NULL: break;
            case CCDR_VALUE_BOOLEAN: out.as.boolean = v.as_bool() ? 1 : 0; break;
            case CCDR_VALUE_INTEGER: out.as.integer = v.as_int(); break;
            case CCDR_VALUE_FLOAT: out.as.floating = v.as_float(); break;
            case CCDR_VALUE_STRING: out.as.string = to_abi(v.as_string()); break;
            case CCDR_VALUE_BYTES: out.as.bytes = to_abi(std::span<const uint8_t>(v.as_bytes().data)); break;
            case CCDR_VALUE_LIST: {
                const ccdr_value* items = build_array(v.as_list());
                out.as.list.items = items;
                out.as.list.count = v.as_list().size();
                break;
            }
            case CCDR_VALUE_MAP: {
                auto& entries = entries_.emplace_back();
                entries.reserve(v.as_map().size());
                for (const auto& [k, item] : v.as_map()) {
                    entries.push_back(ccdr_map_entry{to_abi(k), build(item)});
                }
                out.as.map.entries = entries.data();
                out.as.map.count = entries.size();
                break;
            }
        }
        return out;
    }

    // A contiguous array of views of `values` (for argument lists and rows).
    const ccdr_value* build_array(const std::vector<Value>& values) {
        std::vector<ccdr_value> items;
        items.reserve(values.size());
        for (const auto& item : values) {
            items.push_back(build(item));
        }
        return arrays_.emplace_back(std::move(items)).data();
    }

    // Map entries for a ccdr_database_spec's options and similar.
    const ccdr_map_entry* build_entries(const ValueMap& map) {
        auto& entries = entries_.emplace_back();
        entries.reserve(map.size());
        for (const auto& [k, item] : map) {
            entries.push_back(ccdr_map_entry{to_abi(k), build(item)});
        }
        return entries.data();
    }

private:
    // deque: growing it never moves the vectors already handed out.
    std::deque<std::vector<ccdr_value>> arrays_;
    std::deque<std::vector<ccdr_map_entry>> entries_;
};

}  // namespace ccdr

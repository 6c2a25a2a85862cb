#include "common/value_conv.hpp"

#include <type_traits>

namespace refhost {

const char* abi_unrepresentable(const Value& v) {
    if (const List* l = v.get_if<List>()) {
        for (const auto& item : *l) {
            if (const char* bad = abi_unrepresentable(item)) {
                return bad;
            }
        }
        return nullptr;
    }
    if (const Map* m = v.get_if<Map>()) {
        for (const auto& [k, item] : *m) {
            if (const char* bad = abi_unrepresentable(item)) {
                return bad;
            }
        }
        return nullptr;
    }
    static constexpr const char* kNames[] = {nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr,
                                             nullptr, "NODE", "RELATIONSHIP", "PATH", "DATE", "LOCAL TIME",
                                             "ZONED TIME", "LOCAL DATETIME", "ZONED DATETIME", "ZONED DATETIME",
                                             "DURATION", "POINT", "POINT"};
    return kNames[v.index()];
}

ccdr::Value to_ccdr(const Value& v) {
    return std::visit(
        [](const auto& x) -> ccdr::Value {
            using T = std::decay_t<decltype(x)>;
            if constexpr (std::is_same_v<T, std::monostate>) {
                return ccdr::Value();
            } else if constexpr (std::is_same_v<T, bool> || std::is_same_v<T, int64_t> ||
                                 std::is_same_v<T, double> || std::is_same_v<T, std::string>) {
                return ccdr::Value(x);
            } else if constexpr (std::is_same_v<T, Bytes>) {
                return ccdr::Value(ccdr::Bytes{x.data});
            } else if constexpr (std::is_same_v<T, List>) {
                ccdr::ValueList out;
                for (const auto& item : x) {
                    out.push_back(to_ccdr(item));
                }
                return ccdr::Value(std::move(out));
            } else if constexpr (std::is_same_v<T, Map>) {
                ccdr::ValueMap out;
                for (const auto& [k, item] : x) {
                    out.emplace_back(k, to_ccdr(item));
                }
                return ccdr::Value(std::move(out));
            } else {
                // No ABI type: callers check abi_unrepresentable() first.
                return ccdr::Value();
            }
        },
        v.storage());
}

Value from_ccdr(const ccdr::Value& v) {
    switch (v.type()) {
        case CCDR_VALUE_NULL: return Value();
        case CCDR_VALUE_BOOLEAN: return Value(v.as_bool());
        case CCDR_VALUE_INTEGER: return Value(v.as_int());
        case CCDR_VALUE_FLOAT: return Value(v.as_float());
        case CCDR_VALUE_STRING: return Value(v.as_string());
        case CCDR_VALUE_BYTES: return Value(Bytes{v.as_bytes().data});
        case CCDR_VALUE_LIST: {
            List out;
            for (const auto& item : v.as_list()) {
                out.push_back(from_ccdr(item));
            }
            return Value(std::move(out));
        }
        case CCDR_VALUE_MAP: return Value(map_from_ccdr(v.as_map()));
    }
    return Value();
}

Map map_from_ccdr(const ccdr::ValueMap& m) {
    Map out;
    for (const auto& [k, item] : m) {
        out.insert_or_assign(k, from_ccdr(item));
    }
    return out;
}

}  // namespace refhost

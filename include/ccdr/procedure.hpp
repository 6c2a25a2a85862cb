// ccdr/procedure.hpp: a host's owning copy of a registered procedure, with
// the argument binding every host does the same way (arity, declared types,
// the exact FLOAT -> INTEGER conversion drivers need, defaults) and the call
// through the ABI with a row sink.
#pragma once

#include <ccdr/abi.h>
#include <ccdr/span.hpp>
#include <ccdr/status.hpp>
#include <ccdr/value.hpp>

#include <cmath>
#include <optional>
#include <string>
#include <vector>

namespace ccdr {

inline const char* type_name(ccdr_type t) {
    switch (t) {
        case CCDR_TYPE_ANY: return "ANY";
        case CCDR_TYPE_BOOLEAN: return "BOOLEAN";
        case CCDR_TYPE_INTEGER: return "INTEGER";
        case CCDR_TYPE_FLOAT: return "FLOAT";
        case CCDR_TYPE_STRING: return "STRING";
        case CCDR_TYPE_BYTES: return "BYTES";
        case CCDR_TYPE_LIST: return "LIST<ANY>";
        case CCDR_TYPE_MAP: return "MAP";
        case CCDR_TYPE_LIST_OF_STRING: return "LIST<STRING>";
        case CCDR_TYPE_LIST_OF_INTEGER: return "LIST<INTEGER>";
        case CCDR_TYPE_LIST_OF_MAP: return "LIST<MAP>";
    }
    return "ANY";
}

inline const char* value_type_name(const Value& v) {
    switch (v.type()) {
        case CCDR_VALUE_NULL: return "NULL";
        case CCDR_VALUE_BOOLEAN: return "BOOLEAN";
        case CCDR_VALUE_INTEGER: return "INTEGER";
        case CCDR_VALUE_FLOAT: return "FLOAT";
        case CCDR_VALUE_STRING: return "STRING";
        case CCDR_VALUE_BYTES: return "BYTES";
        case CCDR_VALUE_LIST: return "LIST";
        case CCDR_VALUE_MAP: return "MAP";
    }
    return "?";
}

// Converts `v` to the declared type when that is exact; nullopt otherwise.
// NULL passes for every type (the procedure decides what NULL means).
inline std::optional<Value> coerce(const Value& v, ccdr_type t) {
    auto integral = [](const Value& x) -> std::optional<Value> {
        if (x.is_int()) {
            return x;
        }
        if (x.is_float() && std::isfinite(x.as_float()) && std::trunc(x.as_float()) == x.as_float() &&
            std::fabs(x.as_float()) < 9.0e15) {
            return Value(static_cast<int64_t>(x.as_float()));
        }
        return std::nullopt;
    };
    auto list_of = [&](auto element) -> std::optional<Value> {
        if (!v.is_list()) {
            return std::nullopt;
        }
        ValueList out;
        for (const auto& item : v.as_list()) {
            auto c = element(item);
            if (!c) {
                return std::nullopt;
            }
            out.push_back(std::move(*c));
        }
        return Value(std::move(out));
    };
    if (v.is_null() || t == CCDR_TYPE_ANY) {
        return v;
    }
    switch (t) {
        case CCDR_TYPE_BOOLEAN: return v.is_bool() ? std::optional<Value>(v) : std::nullopt;
        case CCDR_TYPE_INTEGER: return integral(v);
        case CCDR_TYPE_FLOAT:
            if (v.is_float()) {
                return v;
            }
            return v.is_int() ? std::optional<Value>(Value(static_cast<double>(v.as_int()))) : std::nullopt;
        case CCDR_TYPE_STRING: return v.is_string() ? std::optional<Value>(v) : std::nullopt;
        case CCDR_TYPE_BYTES: return v.is_bytes() ? std::optional<Value>(v) : std::nullopt;
        case CCDR_TYPE_LIST: return v.is_list() ? std::optional<Value>(v) : std::nullopt;
        case CCDR_TYPE_MAP: return v.is_map() ? std::optional<Value>(v) : std::nullopt;
        case CCDR_TYPE_LIST_OF_STRING:
            return list_of([](const Value& x) { return x.is_string() ? std::optional<Value>(x) : std::nullopt; });
        case CCDR_TYPE_LIST_OF_INTEGER: return list_of(integral);
        case CCDR_TYPE_LIST_OF_MAP:
            return list_of([](const Value& x) { return x.is_map() ? std::optional<Value>(x) : std::nullopt; });
        default: return std::nullopt;
    }
}

struct ProcedureField {
    std::string name;
    ccdr_type type = CCDR_TYPE_ANY;
    bool optional = false;
    Value default_value;
    std::string description;
};

struct Procedure {
    std::string name;
    std::string description;
    std::vector<ProcedureField> args;
    std::vector<ProcedureField> outputs;
    ccdr_procedure_mode mode = CCDR_MODE_READ;
    bool admin_only = false;
    ccdr_procedure_fn fn = nullptr;
    void* user_data = nullptr;

    static Result<Procedure> copy(const ccdr_procedure_def& def) {
        Procedure p;
        p.name = to_string(def.name);
        p.description = to_string(def.description);
        if (p.name.empty() || p.name.find('.') == std::string::npos) {
            return Status(CCDR_INVALID_ARGUMENT, "procedure name '" + p.name + "' is not qualified (ns.name)");
        }
        if (def.fn == nullptr) {
            return Status(CCDR_INVALID_ARGUMENT, "procedure " + p.name + " has no function");
        }
        if (def.mode < CCDR_MODE_READ || def.mode > CCDR_MODE_DBMS) {
            return Status(CCDR_INVALID_ARGUMENT, "procedure " + p.name + " has an unknown mode");
        }
        auto fields = [](const ccdr_field* f, size_t n) {
            std::vector<ProcedureField> out;
            for (size_t i = 0; i < n; ++i) {
                out.push_back(ProcedureField{to_string(f[i].name), static_cast<ccdr_type>(f[i].type),
                                             (f[i].flags & CCDR_FIELD_OPTIONAL) != 0,
                                             Value::from_abi(f[i].default_value), to_string(f[i].description)});
            }
            return out;
        };
        p.args = fields(def.args, def.arg_count);
        p.outputs = fields(def.outputs, def.output_count);
        p.mode = static_cast<ccdr_procedure_mode>(def.mode);
        p.admin_only = def.admin_only != 0;
        p.fn = def.fn;
        p.user_data = def.user_data;
        return p;
    }

    // "name(a :: STRING, b = 1 :: INTEGER) :: (x :: STRING)", as SHOW PROCEDURES prints it.
    std::string signature() const {
        auto list = [](const std::vector<ProcedureField>& fs, bool with_default) {
            std::string s;
            for (size_t i = 0; i < fs.size(); ++i) {
                s += (i ? ", " : "") + fs[i].name;
                if (with_default && fs[i].optional) {
                    s += " = " + fs[i].default_value.to_display();
                }
                s += std::string(" :: ") + type_name(fs[i].type);
            }
            return s;
        };
        return name + "(" + list(args, true) + ") :: (" + list(outputs, false) + ")";
    }

    // Checks arity and types, converts exactly, fills defaults.
    Result<ValueList> bind(ValueList given) const {
        size_t required = 0;
        for (const auto& a : args) {
            required += a.optional ? 0 : 1;
        }
        if (given.size() < required || given.size() > args.size()) {
            return Status(CCDR_PROCEDURE_CALL_FAILED,
                          "Procedure call does not provide the required number of arguments: got " +
                              std::to_string(given.size()) + " expected " +
                              (required == args.size() ? std::to_string(required)
                                                       : "at least " + std::to_string(required) + " (total: " +
                                                             std::to_string(args.size()) + ")") +
                              ". Procedure " + signature());
        }
        ValueList out;
        for (size_t i = 0; i < args.size(); ++i) {
            if (i >= given.size()) {
                out.push_back(args[i].default_value);
                continue;
            }
            auto c = coerce(given[i], args[i].type);
            if (!c) {
                return Status(CCDR_PROCEDURE_CALL_FAILED, "Type mismatch for argument '" + args[i].name + "' of " +
                                                              name + ": expected " + type_name(args[i].type) +
                                                              " but was " + value_type_name(given[i]));
            }
            out.push_back(std::move(*c));
        }
        return out;
    }

    // Calls the procedure with bound arguments; collects its rows.
    Result<std::vector<ValueList>> invoke(const ValueList& bound, std::string_view user, std::string_view database,
                                          bool is_admin) const {
        AbiValueBuilder builder;
        const ccdr_value* argv = builder.build_array(bound);
        ccdr_call_info call{};
        call.hdr = ccdr_header CCDR_HEADER_INIT(ccdr_call_info);
        call.user = to_abi(user);
        call.database = to_abi(database);
        call.is_admin = is_admin ? 1 : 0;
        struct Collector {
            std::vector<ValueList> rows;
            size_t width = 0;
            bool bad_width = false;
        } collector{{}, outputs.size(), false};
        ccdr_row_sink sink{CCDR_HEADER_INIT(ccdr_row_sink), &collector,
                           [](void* c, const ccdr_value* values, size_t count) -> ccdr_status {
                               auto* col = static_cast<Collector*>(c);
                               if (count != col->width) {
                                   col->bad_width = true;
                                   return CCDR_STOPPED;
                               }
                               ValueList row;
                               for (size_t i = 0; i < count; ++i) {
                                   row.push_back(Value::from_abi(values[i]));
                               }
                               col->rows.push_back(std::move(row));
                               return CCDR_OK;
                           }};
        auto err = make_error();
        ccdr_status st = fn(user_data, &call, argv, bound.size(), &sink, &err);
        if (st != CCDR_OK) {
            return Status::from_abi(st, err);
        }
        if (collector.bad_width) {
            return Status(CCDR_INTERNAL, "procedure " + name + " emitted a row of the wrong width");
        }
        return std::move(collector.rows);
    }
};

}  // namespace ccdr

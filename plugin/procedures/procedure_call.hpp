// plugin/procedures/procedure_call.hpp: what every internal.dbms procedure
// of this plugin does alike around its own logic: the declaration handed to
// register_procedure, a failed call's status, the one-database-name argument,
// and the ABI body that converts the arguments, calls the procedure, emits
// its rows and turns an exception into a status (no exception may cross the
// ABI).
#pragma once

#include "procedures/database_name.hpp"
#include "procedures/procedure_fields.hpp"

#include <ccdr/span.hpp>
#include <ccdr/status.hpp>
#include <ccdr/value.hpp>

#include <array>
#include <exception>
#include <span>
#include <string>
#include <string_view>

namespace ccdr::plugin {

// A failed call; the host adds Neo4j's "Failed to invoke procedure" prefix.
inline Status procedure_failed(const std::string& why) { return {CCDR_PROCEDURE_CALL_FAILED, why}; }

// The declaration of an admin-only procedure; the texts and fields must be
// static (register_procedure borrows them).
inline ccdr_procedure_def admin_procedure(std::string_view name, std::string_view description,
                                          std::span<const ccdr_field> args, std::span<const ccdr_field> outputs,
                                          ccdr_procedure_mode mode, ccdr_procedure_fn fn, void* user_data) {
    ccdr_procedure_def def{};
    def.hdr = ccdr_header CCDR_HEADER_INIT(ccdr_procedure_def);
    def.name = static_text(name);
    def.description = static_text(description);
    def.args = args.data();
    def.arg_count = args.size();
    def.outputs = outputs.empty() ? nullptr : outputs.data();
    def.output_count = outputs.size();
    def.mode = mode;
    def.admin_only = 1;
    def.fn = fn;
    def.user_data = user_data;
    return def;
}

// The normalised name of a procedure whose one argument is databaseName, or
// the failed call that says what is wrong with the arguments.
inline Result<std::string> database_name_argument(const ValueList& args) {
    if (args.size() != 1) {
        return procedure_failed("expected 1 argument, got " + std::to_string(args.size()));
    }
    if (!args[0].is_string()) {
        return procedure_failed("databaseName must be a STRING, got " + args[0].to_display());
    }
    Status name_ok = check_database_name(args[0].as_string());
    if (!name_ok) {
        return procedure_failed(name_ok.message());
    }
    return normalize_database_name(args[0].as_string());
}

// The body of a procedure with N output columns: `call(values)` returns
// Result<std::vector<R>>, `to_row(r)` a std::array<Value, N>.
template <size_t N, class Call, class ToRow>
ccdr_status run_procedure(const ccdr_value* args, size_t n, const ccdr_row_sink* rows, ccdr_error* err, Call call,
                          ToRow to_row) {
    try {
        ValueList values;
        for (size_t i = 0; i < n; ++i) {
            values.push_back(Value::from_abi(args[i]));
        }
        auto result = call(values);
        if (!result) {
            return result.status().fill(err);
        }
        for (const auto& r : *result) {
            const std::array<Value, N> row = to_row(r);
            AbiValueBuilder builder;
            std::array<ccdr_value, N> abi{};
            for (size_t i = 0; i < N; ++i) {
                abi[i] = builder.build(row[i]);
            }
            if (rows->emit(rows->ctx, abi.data(), abi.size()) != CCDR_OK) {
                break;
            }
        }
        return CCDR_OK;
    } catch (const std::exception& e) {
        return Status(CCDR_INTERNAL, std::string("unexpected exception: ") + e.what()).fill(err);
    } catch (...) {
        return Status(CCDR_INTERNAL, "unexpected exception").fill(err);
    }
}

}  // namespace ccdr::plugin

// ccdr/status.hpp: errors as values. A Status is a ccdr_status code plus a
// message; Result<T> holds either a T or a non-OK Status. Both convert to and
// from the ABI's ccdr_error at the C boundary.
#pragma once

#include <ccdr/abi.h>

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace ccdr {

class [[nodiscard]] Status {
public:
    Status() = default;  // OK
    Status(ccdr_status code, std::string message) : code_(code), message_(std::move(message)) {}

    static Status ok() { return {}; }

    bool is_ok() const { return code_ == CCDR_OK; }
    explicit operator bool() const { return is_ok(); }
    ccdr_status code() const { return code_; }
    const std::string& message() const { return message_; }
    // The Neo4j status code a client sees, e.g. "Neo.ClientError.Procedure.ProcedureCallFailed".
    const char* neo4j_code() const { return ccdr_status_neo4j_code(code_); }

    // Copies code and message into an ABI error (which may be null), truncating
    // the message to fit. Returns the code, for `return st.fill(err);`.
    ccdr_status fill(ccdr_error* err) const {
        if (err != nullptr) {
            if (err->hdr.struct_size >= offsetof(ccdr_error, status) + sizeof(err->status)) {
                err->status = code_;
            }
            if (err->hdr.struct_size >= offsetof(ccdr_error, message) + sizeof(err->message)) {
                size_t n = std::min(message_.size(), sizeof(err->message) - 1);
                std::memcpy(err->message, message_.data(), n);
                err->message[n] = '\0';
            }
        }
        return code_;
    }

    // Builds a Status from a code returned across the ABI and the error it filled.
    static Status from_abi(ccdr_status code, const ccdr_error& err) {
        if (code == CCDR_OK) {
            return {};
        }
        return {code, std::string(err.message, strnlen(err.message, sizeof(err.message)))};
    }

    // Prefixes the message with context: "loading x: " + message.
    Status with_context(std::string_view context) const {
        if (is_ok()) {
            return *this;
        }
        return {code_, std::string(context) + ": " + message_};
    }

private:
    ccdr_status code_ = CCDR_OK;
    std::string message_;
};

// A zero-initialised error with its header set, ready to pass to an ABI call.
inline ccdr_error make_error() {
    ccdr_error err{};
    err.hdr = ccdr_header CCDR_HEADER_INIT(ccdr_error);
    return err;
}

template <typename T>
class [[nodiscard]] Result {
public:
    Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
    Result(Status status) : v_(std::move(status)) {}  // NOLINT: implicit by design
    Result(ccdr_status code, std::string message) : v_(Status(code, std::move(message))) {}

    bool is_ok() const { return std::holds_alternative<T>(v_); }
    explicit operator bool() const { return is_ok(); }

    const T& value() const& { return std::get<T>(v_); }
    T& value() & { return std::get<T>(v_); }
    T&& value() && { return std::get<T>(std::move(v_)); }
    const T& operator*() const& { return value(); }
    T& operator*() & { return value(); }
    const T* operator->() const { return &std::get<T>(v_); }
    T* operator->() { return &std::get<T>(v_); }

    Status status() const { return is_ok() ? Status() : std::get<Status>(v_); }

private:
    std::variant<T, Status> v_;
};

}  // namespace ccdr

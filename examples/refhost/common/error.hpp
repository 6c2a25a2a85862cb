// examples/refhost/common/error.hpp: errors as clients see them: a Neo4j
// status code, its GQLSTATUS, and a message. Returned as values inside the
// refhost; Bolt turns them into FAILURE messages. A ccdr::Status becomes one
// in common/client_error.hpp, on the DBMS side only.
#pragma once

#include "common/status_codes.hpp"

#include <string>
#include <utility>
#include <variant>

namespace refhost {

struct Error {
    std::string code;        // e.g. "Neo.ClientError.Statement.SyntaxError"
    std::string message;
    std::string gql_status;  // e.g. "42001"; "50N42" (general processing exception) when unknown
};

// Either a T or an Error.
template <typename T>
class [[nodiscard]] Outcome {
public:
    Outcome(T v) : v_(std::move(v)) {}      // NOLINT
    Outcome(Error e) : v_(std::move(e)) {}  // NOLINT
    bool ok() const { return v_.index() == 0; }
    explicit operator bool() const { return ok(); }
    T& value() { return std::get<0>(v_); }
    const T& value() const { return std::get<0>(v_); }
    T* operator->() { return &std::get<0>(v_); }
    T& operator*() { return std::get<0>(v_); }
    const Error& error() const { return std::get<1>(v_); }

private:
    std::variant<T, Error> v_;
};

struct Unit {};
using Done = Outcome<Unit>;  // success carries nothing
inline Done done() { return Unit{}; }

}  // namespace refhost

namespace refhost {

// The GQLSTATUS that goes with a Neo4j status code (common/status_codes.hpp).
inline std::string gql_status_for(const std::string& code) { return status::gql_for(code); }

// Codes are named by their constants (status::kSyntaxError), never as text:
// a client-visible code is spelled once, in common/status_codes.hpp.
inline Error make_error(const status::Code& code, std::string message) {
    return Error{code.neo4j, std::move(message), code.gql};
}

}  // namespace refhost

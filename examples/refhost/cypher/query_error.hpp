// examples/refhost/cypher/query_error.hpp: the engine's internal error path.
// Deep recursion (parser, evaluator, matcher) throws QueryError; Engine::run
// catches it and returns the refhost::Error inside as a value, so nothing
// outside the engine ever sees an exception.
#pragma once

#include "common/error.hpp"

#include <string>
#include <utility>

namespace refhost::cypher {

class QueryError {
public:
    explicit QueryError(Error e) : error_(std::move(e)) {}
    QueryError(std::string code, std::string message) : error_(make_error(std::move(code), std::move(message))) {}
    const Error& error() const { return error_; }

private:
    Error error_;
};

// Neo4j status codes the engine raises itself.
namespace codes {
inline constexpr const char* kSyntax = "Neo.ClientError.Statement.SyntaxError";
inline constexpr const char* kType = "Neo.ClientError.Statement.TypeError";
inline constexpr const char* kArgument = "Neo.ClientError.Statement.ArgumentError";
inline constexpr const char* kArithmetic = "Neo.ClientError.Statement.ArithmeticError";
inline constexpr const char* kParameterMissing = "Neo.ClientError.Statement.ParameterMissing";
inline constexpr const char* kAccessMode = "Neo.ClientError.Statement.AccessMode";
inline constexpr const char* kNotSystemDatabase = "Neo.ClientError.Statement.NotSystemDatabaseError";
inline constexpr const char* kEntityNotFound = "Neo.ClientError.Statement.EntityNotFound";
inline constexpr const char* kForbidden = "Neo.ClientError.Security.Forbidden";
inline constexpr const char* kProcedureNotFound = "Neo.ClientError.Procedure.ProcedureNotFound";
inline constexpr const char* kUnknown = "Neo.DatabaseError.General.UnknownError";
}  // namespace codes

[[noreturn]] inline void throw_error(const char* code, std::string message) {
    throw QueryError(code, std::move(message));
}

}  // namespace refhost::cypher

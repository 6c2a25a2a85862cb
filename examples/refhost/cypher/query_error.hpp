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
    QueryError(const status::Code& code, std::string message) : error_(make_error(code, std::move(message))) {}
    const Error& error() const { return error_; }

private:
    Error error_;
};

// Codes are the constants of common/status_codes.hpp (status::kSyntaxError ...).
[[noreturn]] inline void throw_error(const status::Code& code, std::string message) {
    throw QueryError(code, std::move(message));
}

}  // namespace refhost::cypher

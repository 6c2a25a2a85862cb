// examples/refhost/cypher/parser.hpp: tokens to an unchecked Statement.
#pragma once

#include "cypher/ast.hpp"

#include <string_view>

namespace refhost::cypher {

// Throws QueryError: SyntaxError "Invalid input 'x': expected ... (line L,
// column C (offset: O))" with the offending line and a caret.
Statement parse(std::string_view query);

}  // namespace refhost::cypher

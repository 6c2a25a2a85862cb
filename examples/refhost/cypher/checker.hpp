// examples/refhost/cypher/checker.hpp: semantic analysis before anything
// runs: variables in scope, variable kinds, functions and their arity,
// aggregation (slots, grouping keys), `RETURN *`, ORDER BY scope, clause
// order, and the parameters a query needs. Errors are SyntaxErrors with the
// position, as Neo4j reports its semantic errors.
#pragma once

#include "cypher/ast.hpp"

#include <string_view>

namespace refhost::cypher {

// Completes `st` (fills the checker's fields) or throws QueryError.
void check(Statement& st, std::string_view query);

}  // namespace refhost::cypher

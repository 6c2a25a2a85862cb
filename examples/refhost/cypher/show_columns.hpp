// examples/refhost/cypher/show_columns.hpp: the columns of the SHOW commands,
// in Neo4j's `YIELD *` order, and the ones returned without YIELD.
#pragma once

#include "cypher/ast.hpp"

#include <string>
#include <vector>

namespace refhost::cypher {

struct ShowColumns {
    std::vector<std::string> all;       // YIELD * order
    std::vector<std::string> defaults;  // without YIELD
};

ShowColumns show_columns(ShowKind kind);

}  // namespace refhost::cypher

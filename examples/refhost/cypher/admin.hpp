// examples/refhost/cypher/admin.hpp: CREATE/DROP/START/STOP DATABASE through
// DbmsApi, with Neo4j's admin check and WAIT result rows.
#pragma once

#include "cypher/ast.hpp"
#include "cypher/engine.hpp"

namespace refhost::cypher {

QueryResult run_admin(const AdminCommand& c, const Map& params, QueryContext& qc);

}  // namespace refhost::cypher

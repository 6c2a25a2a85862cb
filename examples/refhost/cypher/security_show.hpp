// examples/refhost/cypher/security_show.hpp: the rows of SHOW USERS, SHOW
// CURRENT USER and SHOW [ALL | POPULATED] ROLES [WITH USERS], from DbmsApi's
// user administration, one value per column of the clause's all_columns.
// SHOW USERS and SHOW ROLES need the admin role (Neo4j's SHOW USER and SHOW
// ROLE privileges); SHOW CURRENT USER needs none.
#pragma once

#include "common/value.hpp"
#include "cypher/ast.hpp"
#include "cypher/engine.hpp"

#include <vector>

namespace refhost::cypher {

std::vector<List> security_show_rows(const ShowClause& show, QueryContext& qc);

}  // namespace refhost::cypher

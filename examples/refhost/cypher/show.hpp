// examples/refhost/cypher/show.hpp: the rows of SHOW DATABASE(S), SHOW
// DEFAULT/HOME DATABASE, SHOW SERVERS and SHOW PROCEDURES, one value per
// column of show_columns(kind).all.
#pragma once

#include "common/value.hpp"
#include "cypher/ast.hpp"
#include "cypher/engine.hpp"

#include <optional>
#include <string>
#include <vector>

namespace refhost::cypher {

// `database`: SHOW DATABASE <name>, already resolved from a parameter.
// SHOW SERVERS needs the admin role (Forbidden otherwise); SHOW USERS and
// SHOW ROLES are security_show.hpp's.
std::vector<List> show_rows(const ShowClause& show, const std::optional<std::string>& database, QueryContext& qc);

// Neo4j's message for an administration privilege the user lacks.
std::string permission_denied(const std::string& command);

}  // namespace refhost::cypher

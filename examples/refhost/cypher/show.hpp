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

// `database`: SHOW DATABASE <name>, already resolved from a parameter;
// `transaction_ids`: SHOW/TERMINATE TRANSACTIONS ids, resolved likewise.
// SHOW SERVERS needs the admin role (Forbidden otherwise); SHOW and
// TERMINATE TRANSACTIONS reach a user's own transactions, an admin's all;
// SHOW USERS and SHOW ROLES are security_show.hpp's.
std::vector<List> show_rows(const ShowClause& show, const std::optional<std::string>& database,
                            const std::vector<std::string>& transaction_ids, QueryContext& qc);

// Neo4j's message for an administration privilege the user lacks.
std::string permission_denied(const std::string& command);

}  // namespace refhost::cypher

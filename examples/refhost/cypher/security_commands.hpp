// examples/refhost/cypher/security_commands.hpp: CREATE/ALTER/DROP USER,
// GRANT/REVOKE ROLE and ALTER CURRENT USER SET PASSWORD through DbmsApi's
// user administration (dbms/user_admin.hpp), with Neo4j's privilege check:
// every command but ALTER CURRENT USER needs the admin role
// (Neo.ClientError.Security.Forbidden, "Permission denied for CREATE USER.
// ..."). Names and passwords are resolved from literals or parameters;
// everything is checked before anything changes, so a refused command
// changes nothing.
#pragma once

#include "cypher/ast.hpp"
#include "cypher/engine.hpp"

namespace refhost::cypher {

QueryResult run_security(const SecurityCommand& c, const Map& params, QueryContext& qc);

}  // namespace refhost::cypher

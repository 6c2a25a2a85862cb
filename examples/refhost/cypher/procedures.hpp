// examples/refhost/cypher/procedures.hpp: CALL targets. Built-in procedures
// (routing table, components, labels, relationship types, property keys) and
// plugin procedures through DbmsApi. A query's procedures are resolved, and
// their YIELD columns checked, before any clause runs.
#pragma once

#include "common/value.hpp"
#include "cypher/ast.hpp"
#include "cypher/engine.hpp"
#include "store/graph.hpp"

#include <map>
#include <string>
#include <vector>

namespace refhost::cypher {

struct ProcedureEnv {
    QueryContext& qc;
    GraphReader* graph;  // null on the system database
};

struct BuiltinProcedure {
    std::string name;
    std::string signature;
    std::string description;
    std::string mode;  // "READ", "DBMS"
    size_t min_args = 0;
    size_t max_args = 0;
    std::vector<std::string> outputs;
    std::vector<List> (*run)(const List& args, ProcedureEnv& env) = nullptr;
};

const std::vector<BuiltinProcedure>& builtin_procedures();

struct ResolvedProcedure {
    const BuiltinProcedure* builtin = nullptr;  // or a plugin procedure:
    std::string name;
    std::string mode;
    std::vector<std::string> outputs;
};

// Finds every CALL's procedure: ProcedureNotFound for unknown names,
// SyntaxError for a YIELD of a column the procedure does not have or a wrong
// argument count of a built-in, Forbidden for an admin-only plugin procedure
// and a non-admin user.
using ResolvedProcedures = std::map<const CallClause*, ResolvedProcedure>;
ResolvedProcedures resolve_procedures(const Query& q, QueryContext& qc, std::string_view query_text);

// Calls the procedure; returns its rows (values in `outputs` order) and sets
// `columns` to the names the procedure reports.
std::vector<List> call_procedure(const ResolvedProcedure& p, const List& args, ProcedureEnv& env,
                                 std::vector<std::string>& columns);

// The output column names of a signature "name(...) :: (a :: T, b :: U)".
std::vector<std::string> signature_outputs(const std::string& signature);

}  // namespace refhost::cypher

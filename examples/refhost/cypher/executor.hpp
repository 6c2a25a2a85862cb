// examples/refhost/cypher/executor.hpp: runs a checked Query clause by
// clause over a table of rows (eager: each clause consumes its input table
// and produces the next). Writes go through the transaction's GraphWriter;
// its errors come back unchanged.
#pragma once

#include "cypher/ast.hpp"
#include "cypher/engine.hpp"
#include "cypher/evaluator.hpp"
#include "cypher/procedures.hpp"

#include <set>
#include <string>
#include <vector>

namespace refhost::cypher {

struct Table {
    std::vector<std::string> names;  // one per column of every row
    std::vector<List> rows;
};

class Executor {
public:
    Executor(const Query& q, QueryContext& qc, const Map& params, const ResolvedProcedures& procedures);
    // Runs every clause; the result's columns and rows (summary fields are
    // the caller's).
    Table run();

private:
    void run_clause(const Clause& c);
    // match.cpp
    void match(const MatchClause& m);
    // updates.cpp
    void create(const CreateClause& c);
    void set(const SetClause& c);
    void remove(const RemoveClause& c);
    void remove_and_delete(const DeleteClause& c);
    void refresh_entities();
    void refresh_row(List& row);
    // projection.cpp
    void project(const Projection& p);
    // executor.cpp
    void unwind(const UnwindClause& u);
    void call(const CallClause& c);
    void show(const ShowClause& s);
    void filter(const Expr* where);
    size_t slot(const std::string& name) const;
    size_t add_column(const std::string& name);
    GraphWriter& graph();
    Env env_of(const List& row) const { return Env{&table_.names, &row, nullptr, nullptr}; }

    const Query& query_;
    QueryContext& qc_;
    const ResolvedProcedures& procedures_;
    EvalContext ctx_;
    Table table_;
    std::set<int64_t> deleted_nodes_;
    std::set<int64_t> deleted_relationships_;
};

// Milliseconds since the epoch (timestamp()).
int64_t now_ms();

}  // namespace refhost::cypher

// examples/refhost/cypher/engine.hpp: the Cypher front end as the Bolt server
// sees it: one call runs one query to completion and returns its whole result
// (the refhost's results are small; Bolt's PULL n streams from it).
#pragma once

#include "common/error.hpp"
#include "common/value.hpp"
#include "dbms/dbms_api.hpp"

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace refhost::cypher {

// Where and as whom a query runs.
struct QueryContext {
    DbmsApi& dbms;
    size_t server = 0;            // the logical server the client is connected to
    const AuthUser& user;
    std::string database;         // the session's database ("system" for administration)
    AccessMode mode = AccessMode::Write;
    // The open transaction on `database` (explicit, or the Bolt layer's
    // auto-commit one). Null for the system database, where only
    // administration, SHOW and CALL run.
    Transaction* tx = nullptr;
};

struct QueryResult {
    std::vector<std::string> columns;
    std::vector<List> rows;
    // Bolt summary `type`: "r" read only, "w" write only, "rw" read-write,
    // "s" schema/administration.
    std::string type = "r";
    GraphWriter::Stats stats;
    bool contains_updates = false;
    bool contains_system_updates = false;
    int64_t system_updates = 0;
};

class Engine {
public:
    virtual ~Engine() = default;
    // Parses and runs `query`. Anything outside the subset is a SyntaxError
    // with the position, before anything executes. A write in a READ
    // transaction is Neo.ClientError.Statement.AccessMode; administration
    // needs the admin role (Neo.ClientError.Security.Forbidden); other errors
    // as DESIGN.md §6.
    virtual Outcome<QueryResult> run(std::string_view query, const Map& parameters, QueryContext& ctx) = 0;
    // Whether `query` changes the graph (CREATE, SET, REMOVE, DELETE): the
    // Bolt server takes the database's write lock for it before it runs, so
    // that no worker waits for the lock. False for anything run() refuses.
    virtual bool updates_graph(std::string_view query) = 0;
};

std::unique_ptr<Engine> make_engine();

}  // namespace refhost::cypher

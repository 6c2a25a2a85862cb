// test/unit/cypher/admin_test.cpp: administration commands and SHOW through
// the fake DBMS.
#include "harness.hpp"

using namespace refhost;
using namespace refhost::cypher;
using namespace refhost::cypher::test;

namespace {

const std::vector<std::string> kDefaultColumns = {
    "name", "type", "aliases", "access", "address", "role", "writer", "requestedStatus", "currentStatus",
    "statusMessage", "default", "home", "constituents"};
const std::vector<std::string> kAllColumns = {
    "name", "type", "aliases", "access", "databaseID", "serverID", "address", "role", "writer", "requestedStatus",
    "currentStatus", "statusMessage", "default", "home", "currentPrimariesCount", "currentSecondariesCount",
    "requestedPrimariesCount", "requestedSecondariesCount", "creationTime", "lastStartTime", "lastStopTime", "store",
    "lastCommittedTxn", "replicationLag", "constituents", "options"};

QueryResult sys(Harness& h, std::string_view q, const Map& params = {}) {
    return h.ok(q, params, AccessMode::Write, "system");
}

}  // namespace

TEST_CASE("CREATE DATABASE with topology and WAIT", "[cypher][admin]") {
    Harness h;
    auto r = sys(h, "CREATE DATABASE foo TOPOLOGY 3 PRIMARIES 1 SECONDARY");
    CHECK(h.dbms.calls.back() == "create foo if_not_exists=0 topology=3/1 wait=0");
    CHECK(r.type == "s");
    CHECK(r.contains_system_updates);
    CHECK(r.system_updates == 1);
    CHECK(r.columns.empty());
    sys(h, "create database bar if not exists topology 1 primary");
    CHECK(h.dbms.calls.back() == "create bar if_not_exists=1 topology=1/0 wait=0");
    sys(h, "CREATE DATABASE baz NOWAIT");
    CHECK(h.dbms.calls.back() == "create baz if_not_exists=0 topology=default wait=0");
    r = sys(h, "CREATE DATABASE qux TOPOLOGY 2 PRIMARIES 0 SECONDARIES WAIT");
    CHECK(h.dbms.calls.back() == "create qux if_not_exists=0 topology=2/0 wait=1");
    CHECK(r.columns == std::vector<std::string>{"address", "state", "message", "success"});
    REQUIRE(r.rows.size() == 2);
    CHECK(r.rows[0] == List{"127.0.0.1:7687", "CaughtUp", "caught up", true});
    sys(h, "CREATE DATABASE quux WAIT 30 SECONDS");
    CHECK(h.dbms.calls.back() == "create quux if_not_exists=0 topology=default wait=1");
    // IF NOT EXISTS on an existing database changes nothing.
    r = sys(h, "CREATE DATABASE foo IF NOT EXISTS");
    CHECK(r.system_updates == 0);
    CHECK_FALSE(r.contains_system_updates);
    // Errors from the DBMS come back unchanged.
    auto e = h.fails("CREATE DATABASE foo", {}, AccessMode::Write, "system");
    CHECK(e.code == "Neo.ClientError.Database.ExistingDatabaseFound");
    // Parameters for the name and the counts (a driver may send counts as floats).
    sys(h, "CREATE DATABASE $name TOPOLOGY $p PRIMARIES $s SECONDARIES",
        {{"name", "Param-DB"}, {"p", 2.0}, {"s", int64_t{1}}});
    CHECK(h.dbms.calls.back() == "create param-db if_not_exists=0 topology=2/1 wait=0");
    CHECK(h.fails("CREATE DATABASE $name", {{"name", int64_t{1}}}, AccessMode::Write, "system").code ==
          "Neo.ClientError.Statement.TypeError");
    CHECK(h.fails("CREATE DATABASE x TOPOLOGY $p PRIMARIES", {{"p", 1.5}}, AccessMode::Write, "system").code ==
          "Neo.ClientError.Statement.TypeError");
}

TEST_CASE("database names with dashes, quoted and unquoted, names are lower-cased", "[cypher][admin]") {
    Harness h;
    sys(h, "CREATE DATABASE `foo-replica`");
    CHECK(h.dbms.calls.back() == "create foo-replica if_not_exists=0 topology=default wait=0");
    sys(h, "CREATE DATABASE foo-new-replica");
    CHECK(h.dbms.calls.back() == "create foo-new-replica if_not_exists=0 topology=default wait=0");
    sys(h, "CREATE DATABASE Db.Two-3");
    CHECK(h.dbms.calls.back() == "create db.two-3 if_not_exists=0 topology=default wait=0");
    auto r = sys(h, "SHOW DATABASE foo-new-replica");
    REQUIRE(r.rows.size() == 1);
    CHECK(r.rows[0][0] == Value("foo-new-replica"));
    r = sys(h, "SHOW DATABASE `foo-replica` YIELD name");
    CHECK(r.rows == std::vector<List>{{"foo-replica"}});
    sys(h, "STOP DATABASE foo-replica");
    CHECK(h.dbms.calls.back() == "stop foo-replica wait=0");
    sys(h, "START DATABASE `foo-replica` WAIT");
    CHECK(h.dbms.calls.back() == "start foo-replica wait=1");
    sys(h, "DROP DATABASE foo-new-replica IF EXISTS DESTROY DATA WAIT");
    CHECK(h.dbms.calls.back() == "drop foo-new-replica if_exists=1 wait=1");
    // Spaces split a name: `foo - bar` is not a name.
    auto e = h.fails("CREATE DATABASE foo - bar", {}, AccessMode::Write, "system");
    CHECK(e.code == "Neo.ClientError.Statement.SyntaxError");
    CHECK_THAT(e.message, Catch::Contains("Invalid input '-'"));
}

TEST_CASE("DROP, START, STOP with WAIT rows", "[cypher][admin]") {
    Harness h;
    sys(h, "CREATE DATABASE foo TOPOLOGY 2 PRIMARIES");
    auto r = sys(h, "STOP DATABASE foo WAIT");
    CHECK(h.dbms.calls.back() == "stop foo wait=1");
    CHECK(r.columns == std::vector<std::string>{"address", "state", "message", "success"});
    CHECK(r.rows.size() == 2);
    r = sys(h, "DROP DATABASE foo WAIT");
    CHECK(r.rows.size() == 2);  // one per member that hosted it
    CHECK(r.rows[1] == List{"127.0.0.1:7688", "CaughtUp", "caught up", true});
    r = sys(h, "DROP DATABASE foo IF EXISTS");
    CHECK(r.system_updates == 0);
    auto e = h.fails("DROP DATABASE foo", {}, AccessMode::Write, "system");
    CHECK(e.code == "Neo.ClientError.Database.DatabaseNotFound");
}

TEST_CASE("ALTER DATABASE SET ACCESS and SET TOPOLOGY", "[cypher][admin]") {
    Harness h;
    sys(h, "CREATE DATABASE foo TOPOLOGY 2 PRIMARIES");
    auto r = sys(h, "ALTER DATABASE foo SET ACCESS READ ONLY");
    CHECK(h.dbms.calls.back() == "alter foo access read-only if_exists=0 wait=0");
    CHECK(r.system_updates == 1);
    sys(h, "CYPHER 25 alter database foo set access read write WAIT");
    CHECK(h.dbms.calls.back() == "alter foo access read-write if_exists=0 wait=1");
    sys(h, "ALTER DATABASE foo SET TOPOLOGY 3 PRIMARIES 1 SECONDARY");
    CHECK(h.dbms.calls.back() == "alter foo topology 3+1 if_exists=0 wait=0");
    sys(h, "ALTER DATABASE `foo` IF EXISTS SET ACCESS READ ONLY SET TOPOLOGY $p PRIMARIES", Map{{"p", Value(2)}});
    CHECK(h.dbms.calls.back() == "alter foo access read-only if_exists=1 wait=0");
    const size_t calls = h.dbms.calls.size();
    struct Case {
        const char* query;
        const char* code;
        const char* text;
    };
    for (auto c : {Case{"ALTER DATABASE foo SET ACCESS READ", "Neo.ClientError.Statement.SyntaxError", "ONLY"},
                   Case{"ALTER DATABASE foo SET ACCESS WRITE", "Neo.ClientError.Statement.SyntaxError", "READ"},
                   Case{"ALTER DATABASE foo", "Neo.ClientError.Statement.SyntaxError", "SET"},
                   Case{"ALTER DATABASE foo SET COLOUR blue", "Neo.ClientError.Statement.SyntaxError", "ACCESS"},
                   Case{"ALTER DATABASE foo SET ACCESS READ ONLY SET ACCESS READ WRITE",
                        "Neo.ClientError.Statement.SyntaxError", "Duplicate SET ACCESS clause"},
                   Case{"ALTER DATABASE foo SET OPTION txLogEnrichment 'FULL'", "", "SET OPTION"}}) {
        INFO(c.query);
        auto e = h.fails(c.query, {}, AccessMode::Write, "system");
        if (*c.code != 0) {
            CHECK(e.code == c.code);
        }
        CHECK_THAT(e.message, Catch::Contains(c.text));
    }
    CHECK(h.dbms.calls.size() == calls);  // nothing reached the DBMS
    auto denied = h.fails("ALTER DATABASE foo SET ACCESS READ ONLY", {}, AccessMode::Write, "system", &h.reader);
    CHECK(denied.code == "Neo.ClientError.Security.Forbidden");
    CHECK_THAT(denied.message, Catch::StartsWith("Permission denied for ALTER DATABASE."));
}

TEST_CASE("administration needs the admin role", "[cypher][admin]") {
    Harness h;
    struct Case {
        const char* query;
        const char* command;
    };
    for (auto c : {Case{"CREATE DATABASE foo", "CREATE DATABASE"}, Case{"DROP DATABASE neo4j", "DROP DATABASE"},
                   Case{"START DATABASE neo4j", "START DATABASE"}, Case{"STOP DATABASE neo4j", "STOP DATABASE"},
                   Case{"SHOW SERVERS", "SHOW SERVERS"}}) {
        INFO(c.query);
        auto e = h.fails(c.query, {}, AccessMode::Write, "system", &h.reader);
        CHECK(e.code == "Neo.ClientError.Security.Forbidden");
        CHECK(e.message == std::string("Permission denied for ") + c.command +
                               ". Try executing SHOW USER PRIVILEGES to determine the missing or denied privileges. "
                               "In case of missing privileges, they need to be granted (See GRANT). In case of "
                               "denied privileges, they need to be revoked (See REVOKE) and granted.");
    }
    CHECK(h.dbms.calls.empty());
    // A reader may list databases.
    CHECK_FALSE(h.ok("SHOW DATABASES", {}, AccessMode::Read, "system", &h.reader).rows.empty());
}

TEST_CASE("administration sent to another database runs as on system", "[cypher][admin]") {
    Harness h;
    auto r = h.ok("CREATE DATABASE other", {}, AccessMode::Write, "neo4j");
    CHECK(r.type == "s");
    CHECK(h.dbms.calls.back() == "create other if_not_exists=0 topology=default wait=0");
    CHECK(h.ok("SHOW DATABASES", {}, AccessMode::Read, "neo4j").rows.size() == 7);
}

TEST_CASE("SHOW DATABASES: Neo4j's default columns, in order", "[cypher][show]") {
    Harness h;
    auto r = sys(h, "SHOW DATABASES");
    CHECK(r.columns == kDefaultColumns);
    CHECK(r.type == "r");
    REQUIRE(r.rows.size() == 6);  // neo4j and system, three members each
    const auto& row = r.rows[0];
    CHECK(row == List{"neo4j", "standard", List{}, "read-write", "127.0.0.1:7687", "primary", true, "online", "online",
                      "", true, true, List{}});
    CHECK(r.rows[1][6] == Value(false));  // one writer
    CHECK(sys(h, "SHOW DATABASE").columns == kDefaultColumns);
    r = sys(h, "SHOW DATABASE neo4j");
    CHECK(r.rows.size() == 3);
    CHECK(sys(h, "SHOW DATABASE nothing").rows.empty());
    r = sys(h, "SHOW DATABASES WHERE name = 'system' AND address ENDS WITH '7689'");
    CHECK(r.columns == kDefaultColumns);
    REQUIRE(r.rows.size() == 1);
    CHECK(r.rows[0][0] == Value("system"));
    // WHERE without YIELD may test the YIELD-only columns too.
    CHECK(sys(h, "SHOW DATABASES WHERE lastCommittedTxn = 7 AND requestedPrimariesCount = 3").rows.size() == 6);
}

TEST_CASE("SHOW DATABASES YIELD: every column, aliases, ORDER BY, SKIP, LIMIT, WHERE, RETURN", "[cypher][show]") {
    Harness h;
    auto r = sys(h, "SHOW DATABASE neo4j YIELD *");
    CHECK(r.columns == kAllColumns);
    REQUIRE(r.rows.size() == 3);
    const auto& row = r.rows[0];
    CHECK(row[4] == Value("id-neo4j"));           // databaseID
    CHECK(row[5] == Value("server-0"));           // serverID
    CHECK(row[14] == Value(int64_t{3}));          // currentPrimariesCount
    CHECK(row[18] == Value(DateTime{1767225600, 0, 0}));  // creationTime
    CHECK(row[20].is_null());                     // lastStopTime
    CHECK(row[21] == Value("sqlite-graph-1.0"));  // store
    CHECK(row[22] == Value(int64_t{7}));          // lastCommittedTxn
    CHECK(row[23] == Value(int64_t{0}));          // replicationLag
    CHECK(row[25] == Value(Map{}));               // options
    r = sys(h, "SHOW DATABASES YIELD name, address AS a, writer ORDER BY a DESC SKIP 1 LIMIT 3 WHERE writer = false");
    CHECK(r.columns == std::vector<std::string>{"name", "a", "writer"});
    // Sorted (stable) by address descending, one skipped, three kept, then filtered.
    CHECK(r.rows == std::vector<List>{{"system", "127.0.0.1:7689", false},
                                      {"neo4j", "127.0.0.1:7688", false},
                                      {"system", "127.0.0.1:7688", false}});
    r = sys(h, "SHOW DATABASES YIELD name, writer ORDER BY name LIMIT 4 WHERE writer");
    CHECK(r.rows == std::vector<List>{{"neo4j", true}, {"system", true}});
    r = sys(h, "SHOW DATABASES YIELD name, currentStatus WHERE name STARTS WITH 'sys' "
               "RETURN name, count(*) AS members");
    CHECK(r.columns == std::vector<std::string>{"name", "members"});
    CHECK(r.rows == std::vector<List>{{"system", int64_t{3}}});
    auto e = h.fails("SHOW DATABASES YIELD nope", {}, AccessMode::Write, "system");
    CHECK(e.code == "Neo.ClientError.Statement.SyntaxError");
    CHECK_THAT(e.message, Catch::Contains("Trying to YIELD non-existing column: `nope`"));
    CHECK(sys(h, "SHOW DATABASE $db YIELD name", {{"db", "SYSTEM"}}).rows.size() == 3);
}

TEST_CASE("SHOW DEFAULT DATABASE and SHOW HOME DATABASE leave out default and home", "[cypher][show]") {
    Harness h;
    auto r = sys(h, "SHOW DEFAULT DATABASE");
    std::vector<std::string> expected = {"name", "type", "aliases", "access", "address", "role", "writer",
                                         "requestedStatus", "currentStatus", "statusMessage", "constituents"};
    CHECK(r.columns == expected);
    CHECK(r.rows.size() == 3);
    CHECK(r.rows[0][0] == Value("neo4j"));
    r = sys(h, "SHOW HOME DATABASE YIELD *");
    CHECK(std::find(r.columns.begin(), r.columns.end(), "home") == r.columns.end());
    CHECK(r.columns.size() == kAllColumns.size() - 2);
    CHECK(r.rows.size() == 3);
}

TEST_CASE("SHOW SERVERS and SHOW PROCEDURES", "[cypher][show]") {
    Harness h;
    auto r = sys(h, "SHOW SERVERS");
    CHECK(r.columns == std::vector<std::string>{"name", "address", "state", "health", "hosting"});
    REQUIRE(r.rows.size() == 3);
    CHECK(r.rows[0] == List{"server-0", "127.0.0.1:7687", "Enabled", "Available", List{"neo4j", "system"}});
    r = sys(h, "SHOW SERVERS YIELD *");
    CHECK(r.columns ==
          std::vector<std::string>{"serverId", "name", "address", "state", "health", "hosting", "modeConstraint"});
    h.dbms.procedures.push_back(ProcedureInfo{"internal.dbms.x", "internal.dbms.x(a :: STRING) :: (r :: STRING)",
                                              "does x", "WRITE", true});
    r = sys(h, "SHOW PROCEDURES");
    CHECK(r.columns == std::vector<std::string>{"name", "description", "mode", "worksOnSystem"});
    std::vector<Value> names;
    for (const auto& row : r.rows) {
        names.push_back(row[0]);
    }
    CHECK(names == std::vector<Value>{"db.labels", "db.propertyKeys", "db.relationshipTypes",
                                      "dbms.cluster.routing.getRoutingTable", "dbms.components",
                                      "dbms.routing.getRoutingTable", "internal.dbms.x"});
    r = sys(h, "SHOW PROCEDURES YIELD name, signature, admin WHERE name = 'internal.dbms.x'");
    CHECK(r.rows == std::vector<List>{{"internal.dbms.x", "internal.dbms.x(a :: STRING) :: (r :: STRING)", true}});
}

TEST_CASE("SHOW TRANSACTIONS: default and YIELD columns, ids, WHERE", "[cypher][show][transactions]") {
    Harness h;
    TransactionRow a;
    a.database = "neo4j";
    a.transaction_id = "neo4j-transaction-7";
    a.current_query_id = "query-3";
    a.connection_id = "bolt-2";
    a.client_address = "127.0.0.1:5000";
    a.username = "neo4j";
    a.current_query = "CREATE (n)";
    a.start_time = "2026-12-05T10:00:00.000Z";
    a.status = "Running";
    a.elapsed_time = Duration{0, 0, 2, 500'000'000};
    a.active_lock_count = 1;
    TransactionRow b = a;
    b.transaction_id = "neo4j-transaction-8";
    b.username = "alice";
    b.current_query.reset();
    b.current_query_id.reset();
    b.status = "Blocked by: [neo4j-transaction-7]";
    b.active_lock_count = 0;
    h.dbms.transactions = {a, b};

    auto r = h.ok("SHOW TRANSACTIONS");
    CHECK(r.columns == std::vector<std::string>{"database", "transactionId", "currentQueryId", "connectionId",
                                                "clientAddress", "username", "currentQuery", "startTime", "status",
                                                "elapsedTime"});
    REQUIRE(r.rows.size() == 2);
    CHECK(r.rows[0] == List{"neo4j", "neo4j-transaction-7", "query-3", "bolt-2", "127.0.0.1:5000", "neo4j",
                            "CREATE (n)", "2026-12-05T10:00:00.000Z", "Running", Duration{0, 0, 2, 500'000'000}});
    CHECK(r.rows[1][2].is_null());  // no query runs: currentQueryId is null
    CHECK(r.rows[1][8] == Value("Blocked by: [neo4j-transaction-7]"));

    r = h.ok("SHOW TRANSACTIONS YIELD *");
    CHECK(r.columns.size() == 19);
    CHECK(r.columns[16] == "activeLockCount");
    CHECK(r.rows[0][16] == Value(int64_t{1}));

    r = h.ok("SHOW TRANSACTION 'neo4j-transaction-8'");
    REQUIRE(r.rows.size() == 1);
    CHECK(r.rows[0][1] == Value("neo4j-transaction-8"));
    r = h.ok("SHOW TRANSACTIONS $ids YIELD transactionId, username WHERE username = 'neo4j' RETURN transactionId",
             Map{{"ids", List{"neo4j-transaction-7", "neo4j-transaction-8"}}});
    CHECK(r.rows == std::vector<List>{{"neo4j-transaction-7"}});
    r = h.ok("SHOW TRANSACTIONS WHERE status STARTS WITH 'Blocked'");
    REQUIRE(r.rows.size() == 1);
    // A user sees their own only; on the system database too.
    r = h.ok("SHOW TRANSACTIONS", {}, AccessMode::Write, "neo4j", &h.reader);
    REQUIRE(r.rows.size() == 1);
    CHECK(r.rows[0][5] == Value("alice"));
    CHECK(h.ok("SHOW TRANSACTIONS", {}, AccessMode::Write, "system").rows.size() == 2);

    auto bad = h.fails("SHOW TRANSACTIONS $id", Map{{"id", Value(int64_t{3})}});
    CHECK(bad.code == "Neo.ClientError.Statement.TypeError");
    CHECK(h.fails("SHOW TRANSACTIONS 'a',").code == "Neo.ClientError.Statement.SyntaxError");
}

TEST_CASE("TERMINATE TRANSACTIONS: rows per id, YIELD, and who may end what", "[cypher][show][transactions]") {
    Harness h;
    TransactionRow a;
    a.database = "neo4j";
    a.transaction_id = "neo4j-transaction-7";
    a.username = "bob";
    h.dbms.transactions = {a};
    auto r = h.ok("TERMINATE TRANSACTIONS 'neo4j-transaction-7', 'neo4j-transaction-99'");
    CHECK(r.columns == std::vector<std::string>{"transactionId", "username", "message"});
    CHECK(r.rows == std::vector<List>{{"neo4j-transaction-7", "bob", "Transaction terminated."},
                                      {"neo4j-transaction-99", Value(), "Transaction not found."}});
    CHECK(h.dbms.terminated == std::vector<std::string>{"neo4j-transaction-7"});
    r = h.ok("TERMINATE TRANSACTION $id YIELD message WHERE message = 'Transaction terminated.' RETURN message",
             Map{{"id", "neo4j-transaction-7"}});
    CHECK(r.rows == std::vector<List>{{"Transaction terminated."}});
    // alice may not end bob's transaction: for her it does not exist.
    r = h.ok("TERMINATE TRANSACTION 'neo4j-transaction-7'", {}, AccessMode::Write, "neo4j", &h.reader);
    CHECK(r.rows == std::vector<List>{{"neo4j-transaction-7", Value(), "Transaction not found."}});
    auto no_yield = h.fails("TERMINATE TRANSACTION 'x' WHERE message = 'y'");
    CHECK(no_yield.code == "Neo.ClientError.Statement.SyntaxError");
    CHECK(no_yield.message.find("WHERE` clause without `YIELD` clause") != std::string::npos);
    CHECK(h.fails("TERMINATE TRANSACTIONS").code == "Neo.ClientError.Statement.SyntaxError");
}

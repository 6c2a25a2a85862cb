// test/unit/bolt/query_kind_test.cpp: which queries the Bolt server sends to
// the system database before the engine parses them, with and without a
// leading CYPHER 5 / CYPHER 25 (issue 17 item 3).
#include "bolt/query_kind.hpp"

#include <catch2/catch.hpp>

using refhost::bolt::administration_command;

TEST_CASE("administration commands are found after CYPHER 5 and CYPHER 25", "[bolt][query_kind]") {
    CHECK(administration_command("CREATE DATABASE foo") == "CREATE DATABASE");
    CHECK(administration_command("CYPHER 25 CREATE DATABASE foo") == "CREATE DATABASE");
    CHECK(administration_command("cypher 5 show databases") == "SHOW DATABASES");
    CHECK(administration_command("/* v */ CYPHER 25\n// next\nDROP USER bob") == "DROP USER");
    CHECK(administration_command("CYPHER 5 CREATE OR REPLACE DATABASE foo") == "CREATE OR REPLACE DATABASE");
    CHECK(administration_command("CYPHER 25 SHOW HOME DATABASE") == "SHOW HOME DATABASE");
    CHECK(administration_command("CYPHER 5 GRANT ROLE reader TO bob") == "GRANT");
    CHECK_FALSE(administration_command("CYPHER 25 MATCH (n) RETURN n"));
    CHECK_FALSE(administration_command("CYPHER 5 CALL internal.dbms.createReplicaDatabase('x', 1, 0, {})"));
}

TEST_CASE("another CYPHER version is left for the engine to refuse", "[bolt][query_kind]") {
    // Not an administration command: the session runs it where it was sent
    // and the engine answers with the version's SyntaxError, not with
    // "run it on system".
    for (const char* q : {"CYPHER 4 CREATE DATABASE foo", "CYPHER 26 SHOW DATABASES", "CYPHER 0 DROP USER bob",
                          "CYPHER 5.0 SHOW DATABASES", "CYPHER CREATE DATABASE foo"}) {
        INFO(q);
        CHECK_FALSE(administration_command(q));
    }
}

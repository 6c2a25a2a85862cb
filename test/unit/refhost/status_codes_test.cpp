// test/unit/refhost/status_codes_test.cpp: the refhost's one table of Neo4j
// status codes (common/status_codes.hpp).
#include "common/status_codes.hpp"

#include <catch2/catch.hpp>

#include <set>
#include <string>

using namespace refhost;

TEST_CASE("every status code is in the table once, with a five-character GQLSTATUS", "[refhost][status]") {
    std::set<std::string> seen;
    for (const status::Code* c : status::kAll) {
        INFO(c->neo4j);
        CHECK(std::string(c->neo4j).rfind("Neo.", 0) == 0);
        CHECK(std::string(c->gql).size() == 5);
        CHECK(seen.insert(c->neo4j).second);
        CHECK(status::find(c->neo4j) == c);
        CHECK(std::string(status::gql_for(c->neo4j)) == c->gql);
    }
    CHECK(status::find("Neo.ClientError.Nothing.Like.This") == nullptr);
    CHECK(std::string(status::gql_for("Neo.ClientError.Nothing.Like.This")) == "50N42");
}

TEST_CASE("the classification of a code comes from its second part", "[refhost][status]") {
    CHECK(std::string(status::classification(status::kDatabaseUnavailable.neo4j)) == "TRANSIENT_ERROR");
    CHECK(std::string(status::classification(status::kStorageDamageDetected.neo4j)) == "DATABASE_ERROR");
    CHECK(std::string(status::classification(status::kSyntaxError.neo4j)) == "CLIENT_ERROR");
}

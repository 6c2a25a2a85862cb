// test/unit/refhost/status_codes_test.cpp: the refhost's one table of Neo4j
// status codes (common/status_codes.hpp) and the one conversion of a
// ccdr::Status into a client error (common/client_error.hpp).
#include "common/client_error.hpp"
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

TEST_CASE("a variant with a finer GQLSTATUS shares its name with a code of the table", "[refhost][status]") {
    for (const status::Code* v : status::kVariants) {
        INFO(v->neo4j << " " << v->gql);
        CHECK(std::string(v->gql).size() == 5);
        REQUIRE(status::find(v->neo4j) != nullptr);
        CHECK(status::find(v->neo4j) != v);
    }
}

TEST_CASE("the classification of a code comes from its second part", "[refhost][status]") {
    CHECK(std::string(status::classification(status::kDatabaseUnavailable.neo4j)) == "TRANSIENT_ERROR");
    CHECK(std::string(status::classification(status::kStorageDamageDetected.neo4j)) == "DATABASE_ERROR");
    CHECK(std::string(status::classification(status::kSyntaxError.neo4j)) == "CLIENT_ERROR");
}

TEST_CASE("every ccdr_status reaches a client as a code of the table, by the ABI's mapping", "[refhost][status]") {
    for (int s = CCDR_READ_ONLY_DATABASE; s <= CCDR_INTERNAL; ++s) {
        auto code = static_cast<ccdr_status>(s);
        INFO("ccdr_status " << s << ": " << ccdr_status_neo4j_code(code));
        const status::Code* c = status::find(ccdr_status_neo4j_code(code));
        REQUIRE(c != nullptr);
        CHECK(&status_code_of(code) == c);
        Error e = client_error(ccdr::Status(code, "why"));
        CHECK(e.code == ccdr_status_neo4j_code(code));
        CHECK(e.gql_status == c->gql);
        CHECK(e.message == "why");
    }
    Error denied = client_error(ccdr::Status(CCDR_READ_ONLY_DATABASE, "read only"));
    CHECK(denied.code == "Neo.ClientError.General.ForbiddenOnReadOnlyDatabase");
    CHECK(denied.gql_status == "08N08");
}

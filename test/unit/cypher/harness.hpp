// test/unit/cypher/harness.hpp: runs queries through the Cypher engine
// against the fake DBMS and its in-memory graph.
#pragma once

#include "cypher/engine.hpp"
#include "cypher/values.hpp"
#include "support/refhost_fakes.hpp"

#include <catch2/catch.hpp>

#include <memory>
#include <string>

namespace Catch {
template <>
struct StringMaker<refhost::Value> {
    static std::string convert(const refhost::Value& v) {
        return refhost::cypher::type_name(v) + " " + refhost::cypher::describe_value(v);
    }
};
}  // namespace Catch

namespace refhost::cypher::test {

struct Harness {
    refhost::test::FakeDbms dbms;
    std::unique_ptr<Engine> engine = make_engine();
    AuthUser admin{"neo4j", {"admin"}};
    AuthUser reader{"alice", {"reader"}};

    Outcome<QueryResult> run(std::string_view query, const Map& params = {}, AccessMode mode = AccessMode::Write,
                             const std::string& database = "neo4j", const AuthUser* user = nullptr) {
        refhost::test::MemoryTransaction tx(dbms.graph, database, mode);
        QueryContext ctx{dbms, 0, user ? *user : admin, database, mode, database == "system" ? nullptr : &tx};
        return engine->run(query, params, ctx);
    }

    QueryResult ok(std::string_view query, const Map& params = {}, AccessMode mode = AccessMode::Write,
                   const std::string& database = "neo4j", const AuthUser* user = nullptr) {
        auto r = run(query, params, mode, database, user);
        INFO("query: " << query);
        INFO("error: " << (r.ok() ? std::string() : r.error().code + ": " + r.error().message));
        REQUIRE(r.ok());
        return std::move(r.value());
    }

    Error fails(std::string_view query, const Map& params = {}, AccessMode mode = AccessMode::Write,
                const std::string& database = "neo4j", const AuthUser* user = nullptr) {
        auto r = run(query, params, mode, database, user);
        INFO("query: " << query);
        REQUIRE_FALSE(r.ok());
        return r.error();
    }

    // The single value of a one-row, one-column result.
    Value scalar(std::string_view query, const Map& params = {}) {
        auto r = ok(query, params);
        INFO("query: " << query);
        REQUIRE(r.rows.size() == 1);
        REQUIRE(r.rows[0].size() == 1);
        return r.rows[0][0];
    }
};

}  // namespace refhost::cypher::test

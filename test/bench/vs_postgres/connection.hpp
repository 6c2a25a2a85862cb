// test/bench/vs_postgres/connection.hpp: one client connection of the
// vs-postgres load tool, to either system. The tool drives ccdr (a refhost
// cluster over Bolt) and PostgreSQL (libpq) through this one interface so
// both see the same work: one ~200-byte record per auto-commit transaction.
#pragma once

#include "common/error.hpp"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace vs_postgres {

using refhost::Error;
using refhost::Outcome;
using refhost::Unit;

// An error of the tool itself (not from a server).
inline Error bench_error(std::string message) { return Error{"BenchError", std::move(message), "50N42"}; }

enum class System { Ccdr, Postgres };

struct Endpoint {
    System system = System::Ccdr;
    std::string host = "127.0.0.1";
    uint16_t port = 0;
    std::string database;  // ccdr: the database name; PostgreSQL: the dbname
    std::string password;  // ccdr only (user neo4j); PostgreSQL trusts loopback
    // ccdr: ask the server for the database's writer (ROUTE) and connect
    // there, as a routing driver would; the clusters have several servers.
    bool find_writer = false;
};

// What a commit returns so its visibility on the replica can be recognised:
// ccdr's transactions are one stream ordered by tx id (from the bookmark);
// PostgreSQL's are one stream per client, ordered by that client's seq.
struct Token {
    int stream = 0;
    int64_t position = 0;
};

class Connection {
public:
    virtual ~Connection() = default;
    // One auto-commit transaction writing one record (client, seq, ~200 bytes).
    virtual Outcome<Token> insert(int client, int64_t seq) = 0;
    // On a replica: per stream, the highest position visible to readers.
    virtual Outcome<std::vector<int64_t>> visible(int clients) = 0;
    // Upstream: the position of the last commit (ccdr tx id, PostgreSQL WAL
    // byte position); replica: what it has applied, in the same unit.
    virtual Outcome<int64_t> position(bool replica) = 0;
    // Promotes this replica (internal.dbms.promoteReplicaDatabase / pg_promote).
    virtual Outcome<Unit> promote() = 0;
};

Outcome<std::unique_ptr<Connection>> connect_ccdr(const Endpoint& e);
Outcome<std::unique_ptr<Connection>> connect_postgres(const Endpoint& e);

inline Outcome<std::unique_ptr<Connection>> connect(const Endpoint& e) {
    return e.system == System::Ccdr ? connect_ccdr(e) : connect_postgres(e);
}

// The record's text fields, the same on both systems (≈ 200 bytes in all).
inline std::string record_name(int64_t seq) { return "customer-" + std::to_string(seq); }
inline std::string record_email(int64_t seq) { return "customer" + std::to_string(seq) + "@example.com"; }
inline const std::string& record_city() {
    static const std::string city = "Frankfurt am Main";
    return city;
}
inline const std::string& record_note() {
    static const std::string note(70, 'n');
    return note;
}

}  // namespace vs_postgres

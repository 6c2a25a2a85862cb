// The PostgreSQL side of the load tool: one libpq connection, the insert as
// a prepared statement (what an efficient client does).
#include "vs_postgres/connection.hpp"

#include <libpq-fe.h>

#include <cstdio>

namespace vs_postgres {
namespace {

const char* kInsert =
    "INSERT INTO rec (client, seq, name, email, city, score, balance, note) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";

Error pg_error(PGconn* c, const std::string& what) {
    std::string msg = PQerrorMessage(c);
    while (!msg.empty() && msg.back() == '\n') {
        msg.pop_back();
    }
    return Error{"PostgresError", what + ": " + msg, "50N42"};
}

class PostgresConnection final : public Connection {
public:
    explicit PostgresConnection(PGconn* conn) : conn_(conn) {}
    ~PostgresConnection() override { PQfinish(conn_); }
    PostgresConnection(const PostgresConnection&) = delete;
    PostgresConnection& operator=(const PostgresConnection&) = delete;

    Outcome<Token> insert(int client, int64_t seq) override {
        if (!prepared_) {
            PGresult* p = PQprepare(conn_, "ins", kInsert, 8, nullptr);
            bool ok = PQresultStatus(p) == PGRES_COMMAND_OK;
            PQclear(p);
            if (!ok) {
                return pg_error(conn_, "PREPARE");
            }
            prepared_ = true;
        }
        const std::string c = std::to_string(client);
        const std::string s = std::to_string(seq);
        const std::string name = record_name(seq);
        const std::string email = record_email(seq);
        const std::string score = std::to_string(seq * 7);
        char balance[32];
        std::snprintf(balance, sizeof balance, "%.1f", 1234.5 + static_cast<double>(seq));
        const char* values[8] = {c.c_str(),   s.c_str(),           name.c_str(),  email.c_str(),
                                 record_city().c_str(), score.c_str(), balance, record_note().c_str()};
        PGresult* r = PQexecPrepared(conn_, "ins", 8, values, nullptr, nullptr, 0);
        bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
        PQclear(r);
        if (!ok) {
            return pg_error(conn_, "INSERT");
        }
        return Token{client, seq};
    }

    Outcome<std::vector<int64_t>> visible(int clients) override {
        // One index probe per client ((client, seq) is the primary key), as
        // a prepared statement parsed once, as an efficient poller would.
        if (!poll_prepared_) {
            std::string sql = "SELECT ";
            for (int c = 0; c < clients; ++c) {
                sql += (c ? ", " : "") + std::string("(SELECT coalesce(max(seq), -1) FROM rec WHERE client = ") +
                       std::to_string(c) + ")";
            }
            PGresult* p = PQprepare(conn_, "poll", sql.c_str(), 0, nullptr);
            bool ok = PQresultStatus(p) == PGRES_COMMAND_OK;
            PQclear(p);
            if (!ok) {
                return pg_error(conn_, "PREPARE poll");
            }
            poll_prepared_ = true;
        }
        PGresult* r = PQexecPrepared(conn_, "poll", 0, nullptr, nullptr, nullptr, 0);
        if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1) {
            PQclear(r);
            return pg_error(conn_, "SELECT max(seq)");
        }
        std::vector<int64_t> out;
        for (int c = 0; c < clients; ++c) {
            out.push_back(std::stoll(PQgetvalue(r, 0, c)));
        }
        PQclear(r);
        return out;
    }

    Outcome<int64_t> position(bool replica) override {
        const char* sql = replica ? "SELECT (pg_last_wal_replay_lsn() - '0/0')::bigint"
                                  : "SELECT (pg_current_wal_lsn() - '0/0')::bigint";
        PGresult* r = PQexec(conn_, sql);
        if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1 || PQgetisnull(r, 0, 0)) {
            PQclear(r);
            return pg_error(conn_, sql);
        }
        int64_t v = std::stoll(PQgetvalue(r, 0, 0));
        PQclear(r);
        return v;
    }

    Outcome<Unit> promote() override {
        // wait => false: pg_promote's own wait polls ten times a second, which
        // would hide the real promotion time; the caller polls with writes.
        PGresult* r = PQexec(conn_, "SELECT pg_promote(false)");
        bool ok = PQresultStatus(r) == PGRES_TUPLES_OK;
        PQclear(r);
        if (!ok) {
            return pg_error(conn_, "pg_promote");
        }
        return Unit{};
    }

private:
    PGconn* conn_;
    bool prepared_ = false;
    bool poll_prepared_ = false;
};

}  // namespace

Outcome<std::unique_ptr<Connection>> connect_postgres(const Endpoint& e) {
    const std::string info = "host=" + e.host + " port=" + std::to_string(e.port) + " dbname=" + e.database +
                             " user=postgres sslmode=disable connect_timeout=5";
    PGconn* c = PQconnectdb(info.c_str());
    if (PQstatus(c) != CONNECTION_OK) {
        Error err = pg_error(c, "connect " + info);
        PQfinish(c);
        return err;
    }
    return std::unique_ptr<Connection>(new PostgresConnection(c));
}

}  // namespace vs_postgres

// The ccdr side of the load tool: a Bolt connection to one refhost server.
#include "bolt/client.hpp"
#include "vs_postgres/connection.hpp"

namespace vs_postgres {
namespace {

using refhost::Map;
using refhost::Value;
using refhost::bolt::BoltClient;

const std::string kInsert =
    "CREATE (:Rec {client: $client, seq: $seq, name: $name, email: $email, city: $city, "
    "score: $score, balance: $balance, note: $note})";

// Bookmarks are "refhost:<database>:<store id>:<tx id>" (dbms/bookmark.hpp).
Outcome<int64_t> tx_of_bookmark(const std::string& bookmark) {
    auto colon = bookmark.rfind(':');
    if (colon == std::string::npos || colon + 1 == bookmark.size()) {
        return bench_error("a bookmark without a tx id: '" + bookmark + "'");
    }
    return static_cast<int64_t>(std::stoll(bookmark.substr(colon + 1)));
}

class CcdrConnection final : public Connection {
public:
    CcdrConnection(std::unique_ptr<BoltClient> client, std::string database)
        : client_(std::move(client)), database_(std::move(database)) {}

    Outcome<Token> insert(int client, int64_t seq) override {
        Map params{{"client", Value(int64_t{client})},
                   {"seq", Value(seq)},
                   {"name", Value(record_name(seq))},
                   {"email", Value(record_email(seq))},
                   {"city", Value(record_city())},
                   {"score", Value(seq * 7)},
                   {"balance", Value(1234.5 + static_cast<double>(seq))},
                   {"note", Value(record_note())}};
        auto r = client_->run_all(kInsert, params, Map{{"db", Value(database_)}});
        if (!r) {
            return r.error();
        }
        auto it = r.value().summary.find("bookmark");
        if (it == r.value().summary.end() || !it->second.is<std::string>()) {
            return bench_error("the commit returned no bookmark");
        }
        auto tx = tx_of_bookmark(it->second.as<std::string>());
        if (!tx) {
            return tx.error();
        }
        return Token{0, tx.value()};
    }

    Outcome<std::vector<int64_t>> visible(int /*clients*/) override {
        auto tx = last_committed("min");
        if (!tx) {
            return tx.error();
        }
        return std::vector<int64_t>{tx.value()};
    }

    Outcome<int64_t> position(bool replica) override { return last_committed(replica ? "min" : "max"); }

    Outcome<Unit> promote() override {
        auto r = client_->run_all("CALL internal.dbms.promoteReplicaDatabase($name)",
                                  Map{{"name", Value(database_)}}, Map{{"db", Value(std::string("system"))}});
        if (!r) {
            return r.error();
        }
        return Unit{};
    }

private:
    // lastCommittedTxn of every member of the database, aggregated: what the
    // replica's readers see is what its slowest member has applied.
    Outcome<int64_t> last_committed(const char* aggregate) {
        auto r = client_->run_all("SHOW DATABASE `" + database_ + "` YIELD lastCommittedTxn RETURN " + aggregate +
                                      "(lastCommittedTxn) AS tx",
                                  Map{}, Map{{"db", Value(std::string("system"))}});
        if (!r) {
            return r.error();
        }
        const auto& rows = r.value().records;
        if (rows.empty() || rows[0].empty() || !rows[0][0].is<int64_t>()) {
            return bench_error("SHOW DATABASE " + database_ + " gave no lastCommittedTxn");
        }
        return rows[0][0].as<int64_t>();
    }

    std::unique_ptr<BoltClient> client_;
    std::string database_;
};

Outcome<std::unique_ptr<BoltClient>> open_client(const std::string& host, uint16_t port, const std::string& password) {
    auto client = BoltClient::connect(host, port);
    if (!client) {
        return client.error();
    }
    auto ok = client.value()->logon({"basic", "neo4j", password});
    if (!ok) {
        return ok.error();
    }
    return std::move(client.value());
}

}  // namespace

Outcome<std::unique_ptr<Connection>> connect_ccdr(const Endpoint& e) {
    auto client = open_client(e.host, e.port, e.password);
    if (!client) {
        return client.error();
    }
    if (e.find_writer) {
        auto table = client.value()->route(e.database);
        if (!table) {
            return table.error();
        }
        if (table.value().writers.empty()) {
            return bench_error("database " + e.database + " has no writer");
        }
        const std::string& w = table.value().writers.front();
        const auto colon = w.rfind(':');
        const auto port = static_cast<uint16_t>(std::stoi(w.substr(colon + 1)));
        if (port != e.port) {
            client = open_client(w.substr(0, colon), port, e.password);
            if (!client) {
                return client.error();
            }
        }
    }
    return std::unique_ptr<Connection>(new CcdrConnection(std::move(client.value()), e.database));
}

}  // namespace vs_postgres

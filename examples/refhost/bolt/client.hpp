// examples/refhost/bolt/client.hpp: a small blocking Bolt 5 client, used by
// ccdr-shell, integration tests and benchmarks. One object is one
// connection; it is not thread-safe. After a FAILURE it sends RESET itself,
// so the connection is ready for the next request and the caller only sees
// the error (with the server's Neo4j code).
//
// Errors that do not come from the server carry the codes the JavaScript
// driver uses: "ServiceUnavailable" (cannot connect, connection lost, timed
// out) and "ProtocolError" (the server said something that is not Bolt).
#pragma once

#include "bolt/chunking.hpp"
#include "bolt/client_tls.hpp"
#include "bolt/handshake.hpp"
#include "bolt/message.hpp"
#include "common/error.hpp"
#include "common/value.hpp"

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace refhost::bolt {

struct ClientOptions {
    std::string user_agent = "ccdr-bolt-client/1.0";
    std::chrono::milliseconds connect_timeout{10'000};
    // 0 waits as long as the server takes (administration with WAIT can be slow).
    std::chrono::milliseconds io_timeout{0};
    bool offer_manifest = true;
    BoltVersion max_version{5, 8};
    // The routing context sent in HELLO (neo4j:// URIs): {address: "host:port"}.
    std::optional<Map> routing;
    size_t max_message_size = 256u << 20;
    // Set: Bolt over TLS (bolt+s / bolt+ssc and the neo4j forms).
    std::optional<ClientTls> tls;
};

struct AuthToken {
    std::string scheme = "basic";  // or "none"
    std::string principal;
    std::string credentials;
};

struct RoutingInfo {
    int64_t ttl_seconds = 0;
    std::string database;
    std::vector<std::string> writers;
    std::vector<std::string> readers;
    std::vector<std::string> routers;
};

// A whole result: RUN's metadata, the records, and the final summary.
struct ResultSet {
    std::vector<std::string> fields;
    std::vector<List> records;
    Map run_metadata;
    Map summary;
};

class BoltClient {
public:
    // Connects, negotiates a version; no HELLO yet.
    static Outcome<std::unique_ptr<BoltClient>> connect(const std::string& host, uint16_t port,
                                                        const ClientOptions& options = {});
    ~BoltClient();
    BoltClient(const BoltClient&) = delete;
    BoltClient& operator=(const BoltClient&) = delete;

    BoltVersion version() const { return version_; }
    bool is_open() const { return fd_ >= 0; }
    // HELLO's SUCCESS metadata (server, connection_id, hints), after logon().
    const Map& server_metadata() const { return server_metadata_; }

    // HELLO, then LOGON from 5.1 on (5.0 carries the credentials in HELLO).
    Done logon(const AuthToken& auth);
    Outcome<RoutingInfo> route(const std::string& database, const std::vector<std::string>& bookmarks = {});
    Outcome<Map> begin(const Map& extra = {});
    Outcome<Map> run(const std::string& query, const Map& params = {}, const Map& extra = {});
    struct Batch {
        std::vector<List> records;
        Map metadata;
        bool has_more() const;
    };
    Outcome<Batch> pull(int64_t n = -1, int64_t qid = -1);
    Outcome<Map> discard(int64_t n = -1, int64_t qid = -1);
    Outcome<Map> commit();
    Outcome<Map> rollback();
    Done reset();
    // RUN and PULL all, sent together.
    Outcome<ResultSet> run_all(const std::string& query, const Map& params = {}, const Map& extra = {});
    // GOODBYE, then close.
    void goodbye();

    // Raw access for protocol tests.
    Done send(uint8_t tag, const List& fields);
    Done send_bytes(std::span<const uint8_t> bytes);
    Outcome<Message> receive();

private:
    BoltClient(int fd, const ClientOptions& options);
    Done handshake();
    Done write_all(std::span<const uint8_t> bytes);
    Done read_more();
    // The summary of one request: SUCCESS metadata, or the FAILURE or
    // IGNORED as an error (the caller sends RESET).
    Outcome<Map> summary_of(const char* request, std::vector<List>* records = nullptr);
    void close_socket();

    int fd_ = -1;
    std::unique_ptr<TlsChannel> tls_;  // null: plaintext
    ClientOptions options_;
    BoltVersion version_;
    Map server_metadata_;
    ChunkDecoder decoder_;
    std::deque<std::vector<uint8_t>> inbox_;
    std::vector<uint8_t> raw_;  // handshake bytes not yet consumed
};

// The error a FAILURE metadata map describes (neo4j_code or code).
Error error_from_failure(const Map& failure);

}  // namespace refhost::bolt

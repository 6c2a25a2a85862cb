// examples/refhost/bolt/server.hpp: the Bolt servers of one refhost process,
// one listener per logical server at DbmsApi::server_bolt_address(i), all
// sharing a few I/O threads and a pool of worker threads.
//
// Each connection has its own strand: reads, writes and timers of one
// connection never run concurrently. Requests run on the worker pool, one at
// a time per connection, and their responses are posted back to the strand,
// so a slow query or a hostile client costs its own connection, never the
// I/O threads. No worker waits for a lock: a request that needs the write
// lock parks (BoltSession::After::Park) and its connection resumes it when
// the lock is granted, so any number of clients share the pool. Every
// connection is bounded: a deadline to authenticate, an idle deadline (from
// the last response to the next complete request), a write deadline, a
// maximum message size and a maximum of queued input; connections that have
// not authenticated have a budget of their own (connection_budget.hpp).
#pragma once

#include "bolt/session.hpp"
#include "bolt/tls.hpp"
#include "common/error.hpp"
#include "cypher/engine.hpp"
#include "dbms/dbms_api.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace spdlog {
class logger;
}

namespace refhost::bolt {

struct BoltServerOptions {
    // From the accept to a successful LOGON (HELLO in 5.0): one deadline,
    // not renewed by bytes, so a client trickling its handshake is cut too.
    std::chrono::milliseconds unauthenticated_timeout{10'000};
    std::chrono::milliseconds idle_timeout{std::chrono::minutes(30)};
    std::chrono::milliseconds write_timeout{60'000};
    size_t max_message_size = 16u << 20;   // one request, de-chunked
    size_t max_queued_bytes = 4u << 20;    // complete requests waiting their turn
    // Per process. Authenticated connections beyond the first budget are
    // closed at LOGON; unauthenticated ones beyond the second make the
    // oldest unauthenticated connection close.
    size_t max_connections = 2000;
    size_t max_unauthenticated_connections = 200;
    // A socket that has sent nothing for this long may be shed for a newcomer.
    std::chrono::milliseconds silent_grace{5000};
    size_t io_threads = 2;
    // Requests run here; a slow query holds one worker (a lock wait holds
    // none), so there are enough for many at once.
    size_t worker_threads = 32;
    SessionOptions session;
    // server.bolt.tls_level; anything but DISABLED needs `tls_context`
    // (make_bolt_tls_context from the bolt SSL policy).
    TlsLevel tls_level = TlsLevel::Disabled;
    std::shared_ptr<boost::asio::ssl::context> tls_context;
    // Where connection problems and listener starts are logged (the
    // refhost's debug.log); spdlog's default logger when null. Must outlive
    // the service.
    spdlog::logger* logger = nullptr;
};

class BoltService {
public:
    // `dbms` and `engine` must outlive the service.
    BoltService(DbmsApi& dbms, cypher::Engine& engine, BoltServerOptions options = {});
    ~BoltService();  // stop()
    BoltService(const BoltService&) = delete;
    BoltService& operator=(const BoltService&) = delete;

    // Binds one listener per logical server and starts serving. Port 0 in an
    // address binds a free port (see port()). An error names the server, the
    // address and the reason; nothing is left listening then.
    Done start();
    // The first step of a stop: no new connections; the open ones are still
    // served (their transactions may finish). Idempotent.
    void close_listeners();
    // Closes the listeners and every connection (open transactions roll
    // back), waits for running requests, then stops the threads. Idempotent.
    void stop();

    // After start(): the bound port and "host:port" of logical server i.
    uint16_t port(size_t server) const;
    std::string address(size_t server) const;
    size_t open_connections() const;
    size_t unauthenticated_connections() const;

    struct Impl;

private:
    std::unique_ptr<Impl> impl_;
};

// "host:port" and "[v6]:port" split; an error names the text.
struct HostPort {
    std::string host;
    uint16_t port = 0;
};
Outcome<HostPort> parse_host_port(const std::string& address);

}  // namespace refhost::bolt

// The Asio Bolt server with real sockets on 127.0.0.1, against the fakes,
// driven by the C++ client and by raw sockets for hostile input.
#include "bolt/client.hpp"
#include "bolt/server.hpp"
#include "support/bolt_test_util.hpp"
#include "support/eventually.hpp"

#include <atomic>
#include <mutex>
#include <thread>

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

using namespace refhost;
using namespace refhost::bolt;
using namespace refhost::bolt::testing;

namespace {

struct Service {
    refhost::testing::FakeDbms dbms{3};
    refhost::testing::FakeEngine engine;
    BoltService service;

    explicit Service(BoltServerOptions o = {}) : service(dbms, engine, o) { REQUIRE(service.start().ok()); }

    std::unique_ptr<BoltClient> client(size_t server = 0, ClientOptions o = {}) {
        auto c = BoltClient::connect("127.0.0.1", service.port(server), o);
        INFO((c.ok() ? std::string() : c.error().message));
        REQUIRE(c.ok());
        return std::move(c.value());
    }
    std::unique_ptr<BoltClient> logged_in(size_t server = 0, ClientOptions o = {}) {
        auto c = client(server, o);
        auto ok = c->logon({"basic", "neo4j", "secret"});
        INFO((ok.ok() ? std::string() : ok.error().message));
        REQUIRE(ok.ok());
        return c;
    }
};

// A raw TCP connection for bytes a well-behaved client would never send.
struct RawSocket {
    int fd = -1;
    explicit RawSocket(uint16_t port) {
        fd = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(port);
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0);
    }
    ~RawSocket() { ::close(fd); }
    void send(const std::vector<uint8_t>& b) { REQUIRE(::send(fd, b.data(), b.size(), MSG_NOSIGNAL) == ssize_t(b.size())); }
    // Everything until the server closes (or 10 s pass, which fails the test).
    std::vector<uint8_t> read_until_closed() {
        std::vector<uint8_t> out;
        for (;;) {
            pollfd p{fd, POLLIN, 0};
            REQUIRE(::poll(&p, 1, 10'000) == 1);
            uint8_t buf[4096];
            ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
            if (n <= 0) {
                return out;
            }
            out.insert(out.end(), buf, buf + n);
        }
    }
    std::vector<uint8_t> read_exactly(size_t count) {
        std::vector<uint8_t> out;
        while (out.size() < count) {
            pollfd p{fd, POLLIN, 0};
            REQUIRE(::poll(&p, 1, 10'000) == 1);
            uint8_t buf[4096];
            ssize_t n = ::recv(fd, buf, std::min(sizeof(buf), count - out.size()), 0);
            REQUIRE(n > 0);
            out.insert(out.end(), buf, buf + n);
        }
        return out;
    }
};

std::vector<uint8_t> msg_bytes(uint8_t tag, const List& fields) {
    std::vector<uint8_t> out;
    append_message(out, tag, fields);
    return out;
}

}  // namespace

TEST_CASE("each logical server listens on its own port and serves queries", "[server]") {
    Service s;
    std::set<uint16_t> ports;
    for (size_t i = 0; i < 3; ++i) {
        ports.insert(s.service.port(i));
        CHECK(s.service.address(i).starts_with("127.0.0.1:"));
        auto c = s.logged_in(i);
        CHECK(c->version() == BoltVersion{5, 8});
        CHECK(c->server_metadata().at("server") == Value("Neo4j/2026.03.0-refhost-fake"));
        auto r = c->run_all("RETURN 42");
        REQUIRE(r.ok());
        CHECK(r->fields == std::vector<std::string>{"x"});
        REQUIRE(r->records.size() == 1);
        CHECK(r->records[0][0] == Value(int64_t{42}));
        CHECK(s.engine.seen().server == i);
    }
    CHECK(ports.size() == 3);
}

TEST_CASE("the client negotiates every version the server speaks, with and without the manifest", "[server]") {
    Service s;
    for (bool manifest : {true, false}) {
        for (BoltVersion v : {BoltVersion{5, 0}, BoltVersion{5, 4}, BoltVersion{5, 6}, BoltVersion{5, 8}}) {
            ClientOptions o;
            o.offer_manifest = manifest;
            o.max_version = v;
            auto c = s.logged_in(0, o);
            CHECK(c->version() == v);
            auto r = c->run_all("RETURN $x", Map{{"x", "v" + v.to_string()}});
            REQUIRE(r.ok());
            CHECK(r->records[0][0] == Value("v" + v.to_string()));
            auto e = c->run_all("FAIL Neo.ClientError.Statement.TypeError bad");
            REQUIRE_FALSE(e.ok());
            CHECK(e.error().code == "Neo.ClientError.Statement.TypeError");
            CHECK(e.error().message == "bad");
            // The client reset the connection: it still serves.
            CHECK(c->run_all("RETURN 1").ok());
        }
    }
}

TEST_CASE("handshake over the wire: manifest, zeros, wrong magic", "[server]") {
    Service s;
    SECTION("manifest in one block, then the choice and HELLO pipelined") {
        RawSocket raw(s.service.port(0));
        raw.send({0x60, 0x60, 0xB0, 0x17, 0x00, 0x00, 0x01, 0xFF, 0x00, 0x08, 0x08, 0x05, 0x00, 0x02, 0x04, 0x04,
                  0x00, 0x00, 0x00, 0x03});
        auto manifest = raw.read_exactly(14);
        CHECK(manifest ==
              std::vector<uint8_t>{0x00, 0x00, 0x01, 0xFF, 0x02, 0x00, 0x02, 0x08, 0x05, 0x00, 0x04, 0x04, 0x05, 0x00});
        std::vector<uint8_t> choice{0x00, 0x00, 0x07, 0x05, 0x00};
        auto hello = msg_bytes(msg::kHello, {Map{{"user_agent", "raw"}}});
        choice.insert(choice.end(), hello.begin(), hello.end());
        auto goodbye = msg_bytes(msg::kGoodbye, {});
        choice.insert(choice.end(), goodbye.begin(), goodbye.end());
        raw.send(choice);
        auto rest = raw.read_until_closed();
        auto msgs = decode_all(rest);
        REQUIRE(msgs.size() == 1);
        CHECK(msgs[0].tag == msg::kSuccess);
    }
    SECTION("no common version: zeros, then closed") {
        RawSocket raw(s.service.port(0));
        raw.send({0x60, 0x60, 0xB0, 0x17, 0x00, 0x02, 0x04, 0x04, 0x00, 0x00, 0x00, 0x03, 0, 0, 0, 0, 0, 0, 0, 0});
        CHECK(raw.read_until_closed() == std::vector<uint8_t>{0, 0, 0, 0});
    }
    SECTION("wrong magic: closed without a reply") {
        RawSocket raw(s.service.port(1));
        std::string http = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
        raw.send(std::vector<uint8_t>(http.begin(), http.end()));
        CHECK(raw.read_until_closed().empty());
    }
    // The server still serves.
    CHECK(s.logged_in(0)->run_all("RETURN 1").ok());
}

TEST_CASE("a wrong password is Unauthorized and the connection is closed", "[server]") {
    Service s;
    auto c = s.client();
    auto r = c->logon({"basic", "neo4j", "wrong"});
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == "Neo.ClientError.Security.Unauthorized");
    CHECK_FALSE(c->is_open());
}

TEST_CASE("hostile input costs its own connection only", "[server]") {
    BoltServerOptions o;
    o.max_message_size = 1024;
    Service s(o);
    auto good = s.logged_in(0);

    SECTION("garbage after the handshake") {
        RawSocket raw(s.service.port(0));
        raw.send(client_handshake(false));
        raw.read_exactly(4);
        raw.send({0x00, 0x03, 0xB1, 0x10, 0xC4, 0x00, 0x00});
        auto msgs = decode_all(raw.read_until_closed());
        REQUIRE(msgs.size() == 1);
        CHECK(failure_code(msgs[0]) == "Neo.ClientError.Request.Invalid");
    }
    SECTION("a message beyond the size limit") {
        RawSocket raw(s.service.port(0));
        raw.send(client_handshake(false));
        raw.read_exactly(4);
        std::vector<uint8_t> big;
        append_chunked(big, std::vector<uint8_t>(5000, 0x80), 512);
        raw.send(big);
        auto msgs = decode_all(raw.read_until_closed());
        REQUIRE(msgs.size() == 1);
        CHECK(failure_code(msgs[0]) == "Neo.ClientError.Request.Invalid");
        CHECK(meta(msgs[0]).at("message").as<std::string>().find("limit of 1024 bytes") != std::string::npos);
    }
    SECTION("an out-of-order message, then RESET") {
        auto c = s.logged_in(0);
        REQUIRE(c->send(msg::kCommit, {}).ok());
        auto f = c->receive();
        REQUIRE(f.ok());
        CHECK(failure_code(f.value()) == "Neo.ClientError.Request.Invalid");
        REQUIRE(c->reset().ok());
        CHECK(c->run_all("RETURN 5").ok());
    }
    auto r = good->run_all("RETURN 9");
    REQUIRE(r.ok());
    CHECK(r->records[0][0] == Value(int64_t{9}));
}

TEST_CASE("a slow query does not hold up other connections", "[server]") {
    Service s;
    auto slow = s.logged_in(0);
    auto fast = s.logged_in(0);
    std::atomic<bool> slow_done{false};
    bool slow_ok = false;  // checked after join: Catch2 assertions belong to the test thread
    std::thread t([&] {
        slow_ok = slow->run_all("SLEEP 1500").ok();
        slow_done = true;
    });
    // Give the slow query time to start, then run many quick ones.
    while (s.engine.seen().runs == 0) {
        std::this_thread::yield();
    }
    for (int i = 0; i < 20; ++i) {
        REQUIRE(fast->run_all("RETURN 1").ok());
    }
    CHECK_FALSE(slow_done.load());
    t.join();
    CHECK(slow_done.load());
    CHECK(slow_ok);
}

TEST_CASE("pipelined requests, NOOP chunks and multi-chunk messages", "[server]") {
    Service s;
    auto c = s.logged_in(0);
    std::vector<uint8_t> out;
    append_message(out, msg::kBegin, {Map{}});
    out.insert(out.end(), {0x00, 0x00});  // NOOP
    append_message(out, msg::kRun, {"ROWS 3", Map{}, Map{}});
    append_message(out, msg::kPull, {Map{{"n", int64_t{-1}}}});
    out.insert(out.end(), {0x00, 0x00, 0x00, 0x00});
    append_message(out, msg::kCommit, {});
    REQUIRE(c->send_bytes(out).ok());
    std::vector<uint8_t> tags;
    for (int i = 0; i < 7; ++i) {
        auto m = c->receive();
        REQUIRE(m.ok());
        tags.push_back(m->tag);
    }
    CHECK(tags == std::vector<uint8_t>{msg::kSuccess, msg::kSuccess, msg::kRecord, msg::kRecord, msg::kRecord,
                                       msg::kSuccess, msg::kSuccess});

    std::string big(300'000, 'z');  // several 64 KiB chunks each way
    auto r = c->run_all("RETURN $big", Map{{"big", big}});
    REQUIRE(r.ok());
    CHECK(r->records[0][0] == Value(big));
}

// A worker writes a plaintext connection's answer itself, as much as the
// socket takes, and the strand writes the rest (server.cpp, write_directly).
// An answer far larger than the socket's buffers, to a client that does not
// read for a while, goes partly each way; the next request, sent while the
// rest is still being written, is answered after it, in order.
TEST_CASE("an answer larger than the socket takes arrives whole and in order before the next one", "[server]") {
    Service s;
    auto c = s.logged_in(0);
    constexpr int64_t kRows = 2'000'000;  // ~12 MB of RECORD messages
    std::vector<uint8_t> first;
    append_message(first, msg::kRun, {"ROWS " + std::to_string(kRows), Map{}, Map{}});
    append_message(first, msg::kPull, {Map{{"n", int64_t{-1}}}});
    REQUIRE(c->send_bytes(first).ok());
    // Nothing is read for a while, so that the worker finds the socket full
    // (the assertions below hold whatever the timing).
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    std::vector<uint8_t> second;
    append_message(second, msg::kRun, {"ROWS 2", Map{}, Map{}});
    append_message(second, msg::kPull, {Map{{"n", int64_t{-1}}}});
    REQUIRE(c->send_bytes(second).ok());

    auto m = c->receive();
    REQUIRE(m.ok());
    REQUIRE(m->tag == msg::kSuccess);  // RUN
    for (int64_t i = 1; i <= kRows; ++i) {
        m = c->receive();
        if (!m.ok() || m->tag != msg::kRecord || m->fields.size() != 1 || m->fields[0].as<List>().at(0) != Value(i)) {
            FAIL("record " << i << " is missing or holds another value");
        }
    }
    m = c->receive();
    REQUIRE(m.ok());
    CHECK(m->tag == msg::kSuccess);  // PULL of the first
    std::vector<uint8_t> tags;
    for (int i = 0; i < 4; ++i) {
        auto n = c->receive();
        REQUIRE(n.ok());
        tags.push_back(n->tag);
    }
    CHECK(tags == std::vector<uint8_t>{msg::kSuccess, msg::kRecord, msg::kRecord, msg::kSuccess});
    // The connection goes on.
    auto r = c->run_all("ROWS 1");
    REQUIRE(r.ok());
    CHECK(r->records.size() == 1);
}

TEST_CASE("every PackStream value type round-trips through the server", "[server]") {
    Service s;
    auto c = s.logged_in(0);
    List values{Value(), true, false, int64_t{-17}, int64_t{1} << 40, 3.25, "text ✓", Bytes{{1, 2, 3}},
                List{int64_t{1}, "a", List{}}, Map{{"k", Map{{"n", 1.5}}}}, Date{19000}, Time{1000, 3600},
                LocalTime{5}, DateTime{1700000000, 7, -3600}, DateTimeZoneId{1700000000, 0, "Europe/Berlin"},
                LocalDateTime{1700000000, 9}, Duration{1, 2, 3, 4}, Point2D{7203, 1.0, 2.0},
                Point3D{9157, 1.0, 2.0, 3.0}};
    for (const auto& v : values) {
        auto r = c->run_all("RETURN $x", Map{{"x", v}});
        REQUIRE(r.ok());
        CHECK(r->records[0][0] == v);
    }
    auto g = c->run_all("GRAPH");
    REQUIRE(g.ok());
    CHECK(g->records[0][0] == Value(refhost::testing::sample_node(1)));
    CHECK(g->records[0][1] == Value(refhost::testing::sample_relationship()));
    CHECK(g->records[0][2] == Value(refhost::testing::sample_path()));
}

TEST_CASE("client API: routing, explicit transactions, bookmarks", "[server][client]") {
    Service s;
    ClientOptions o;
    o.routing = Map{{"address", s.service.address(0)}};
    auto c = s.logged_in(0, o);
    auto rt = c->route("");
    REQUIRE(rt.ok());
    CHECK(rt->database == "neo4j");
    CHECK(rt->ttl_seconds == 300);
    CHECK(rt->writers.size() == 1);
    CHECK(rt->readers.size() == 2);
    CHECK(rt->routers.size() == 3);
    auto missing = c->route("nope");
    REQUIRE_FALSE(missing.ok());
    CHECK(missing.error().code == "Neo.ClientError.Database.DatabaseNotFound");

    REQUIRE(c->begin(Map{{"db", "neo4j"}}).ok());
    auto run = c->run("ROWS 4");
    REQUIRE(run.ok());
    CHECK(run->at("qid") == Value(int64_t{0}));
    auto b1 = c->pull(3);
    REQUIRE(b1.ok());
    CHECK(b1->records.size() == 3);
    CHECK(b1->has_more());
    auto b2 = c->pull(3);
    REQUIRE(b2.ok());
    CHECK(b2->records.size() == 1);
    CHECK_FALSE(b2->has_more());
    auto commit = c->commit();
    REQUIRE(commit.ok());
    std::string bookmark = commit->at("bookmark").as<std::string>();

    auto next = c->run_all("RETURN 1", {}, Map{{"bookmarks", List{bookmark}}});
    REQUIRE(next.ok());
    CHECK(s.dbms.observed().last_bookmarks == std::vector<std::string>{bookmark});

    REQUIRE(c->begin().ok());
    REQUIRE(c->run("CREATE").ok());
    REQUIRE(c->discard().ok());
    int rollbacks = s.dbms.observed().rollbacks;
    REQUIRE(c->rollback().ok());
    CHECK(s.dbms.observed().rollbacks == rollbacks + 1);
}

TEST_CASE("idle and authentication deadlines close the connection", "[server]") {
    BoltServerOptions o;
    o.idle_timeout = std::chrono::milliseconds(200);
    o.unauthenticated_timeout = std::chrono::milliseconds(200);
    Service s(o);
    SECTION("silent after connecting") {
        RawSocket raw(s.service.port(0));
        CHECK(raw.read_until_closed().empty());
    }
    SECTION("half a handshake") {
        RawSocket raw(s.service.port(0));
        raw.send({0x60, 0x60});
        CHECK(raw.read_until_closed().empty());
    }
    SECTION("a handshake trickled byte by byte does not renew the deadline") {
        RawSocket raw(s.service.port(0));
        const std::vector<uint8_t> hello = {0x60, 0x60, 0xB0, 0x17, 0, 0, 4, 5, 0, 0, 0, 0, 0, 0, 0, 0};
        bool closed = false;
        for (int i = 0; i < 60 && !closed; ++i) {  // 60 x 50 ms: far beyond the 200 ms deadline
            ::send(raw.fd, &hello[static_cast<size_t>(i) % hello.size()], 1, MSG_NOSIGNAL);
            pollfd p{raw.fd, POLLIN, 0};
            if (::poll(&p, 1, 50) == 1) {
                uint8_t buf[64];
                // The version answer may come first; the close follows.
                while (::poll(&p, 1, 0) == 1 && (p.revents & POLLIN) != 0) {
                    if (::recv(raw.fd, buf, sizeof(buf), 0) <= 0) {
                        closed = true;
                        break;
                    }
                }
            }
        }
        CHECK(closed);
    }
    SECTION("idle after a query") {
        auto c = s.logged_in(0);
        REQUIRE(c->run_all("RETURN 1").ok());
        auto m = c->receive();  // waits for the server to close
        REQUIRE_FALSE(m.ok());
        CHECK(m.error().code == "ServiceUnavailable");
    }
}

TEST_CASE("the connection limit closes an extra connection at LOGON", "[server]") {
    BoltServerOptions o;
    o.max_connections = 2;
    Service s(o);
    auto a = s.logged_in(0);
    auto b = s.logged_in(1);
    auto c = s.client(2);  // handshakes: it is not authenticated yet
    auto logon = c->logon({"basic", "neo4j", "secret"});
    REQUIRE_FALSE(logon.ok());
    CHECK(logon.error().code == "ServiceUnavailable");
    CHECK(a->run_all("RETURN 1").ok());
    CHECK(b->run_all("RETURN 1").ok());
}

TEST_CASE("silent sockets fill only the unauthenticated budget, a client still gets in", "[server]") {
    BoltServerOptions o;
    o.max_unauthenticated_connections = 5;
    o.silent_grace = std::chrono::milliseconds(0);         // shed the oldest silent socket at once
    o.unauthenticated_timeout = std::chrono::seconds(30);  // only the budget sheds them here
    Service s(o);
    // A client that sent the handshake but has not logged in yet is never
    // shed for a newcomer: it speaks Bolt.
    auto slow = s.client(0);
    std::vector<std::unique_ptr<RawSocket>> silent;
    for (int i = 0; i < 20; ++i) {
        silent.push_back(std::make_unique<RawSocket>(s.service.port(0)));
    }
    // The oldest silent sockets were closed to make room for newer ones.
    CHECK(silent.front()->read_until_closed().empty());
    CHECK(slow->logon({"basic", "neo4j", "secret"}).ok());
    auto c = s.logged_in(0);
    auto r = c->run_all("RETURN 1");
    REQUIRE(r.ok());
    CHECK(s.service.unauthenticated_connections() <= 5);
}

TEST_CASE("silent sockets younger than the grace period are not shed, the overall cap bounds them", "[server]") {
    BoltServerOptions o;
    o.max_unauthenticated_connections = 3;
    o.max_connections = 2;  // the cap: 5 connections in all
    o.silent_grace = std::chrono::seconds(30);
    Service s(o);
    std::vector<std::unique_ptr<RawSocket>> young;
    for (int i = 0; i < 5; ++i) {
        young.push_back(std::make_unique<RawSocket>(s.service.port(0)));
    }
    // None was shed: each still answers a handshake.
    young[0]->send({0x60, 0x60, 0xB0, 0x17, 0, 0, 4, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0});
    CHECK(young[0]->read_exactly(4) == std::vector<uint8_t>{0, 0, 4, 5});
    // The sixth is over the cap: closed at once.
    RawSocket over(s.service.port(0));
    CHECK(over.read_until_closed().empty());
}

TEST_CASE("requests waiting for the write lock hold no worker, grants are first come first served",
          "[server][lock]") {
    BoltServerOptions o;
    o.worker_threads = 2;  // far fewer than the transactions that wait
    Service s(o);
    auto holder = s.logged_in(0);
    REQUIRE(holder->begin().ok());
    REQUIRE(holder->run("CREATE").ok());  // takes the fake DBMS's write lock
    REQUIRE(holder->discard().ok());

    constexpr int kWaiters = 10;
    std::mutex mu;
    std::vector<int> granted;  // the order the waiters' RUNs were answered in
    std::vector<std::thread> threads;
    std::atomic<int> committed{0};
    for (int i = 0; i < kWaiters; ++i) {
        threads.emplace_back([&, i] {
            auto c = s.logged_in(0);  // the fake's writer
            if (!c->begin().ok() || !c->run("CREATE").ok()) {
                return;
            }
            {
                std::lock_guard l(mu);
                granted.push_back(i);
            }
            if (c->discard().ok() && c->commit().ok()) {
                ++committed;
            }
        });
        // One at a time into the queue, so that the order is known.
        REQUIRE(ccdr::test::eventually([&] { return s.dbms.lock_waiters() >= static_cast<size_t>(i + 1); },
                                       std::chrono::seconds(5)));
        REQUIRE(s.dbms.lock_waiters() == static_cast<size_t>(i + 1));
    }
    // Every worker would be taken if the waiters held one: the holder's
    // next requests still run, and its commit hands the lock on.
    CHECK(holder->run_all("RETURN 1").ok());
    REQUIRE(holder->commit().ok());
    for (auto& t : threads) {
        t.join();
    }
    CHECK(committed.load() == kWaiters);
    std::vector<int> in_order(kWaiters);
    for (int i = 0; i < kWaiters; ++i) {
        in_order[static_cast<size_t>(i)] = i;
    }
    CHECK(granted == in_order);
    CHECK(s.dbms.lock_grants() == kWaiters + 1);
}

TEST_CASE("stop closes connections and rolls back open transactions", "[server]") {
    auto s = std::make_unique<Service>();
    auto c = s->logged_in(0);
    REQUIRE(c->begin().ok());
    REQUIRE(c->run("CREATE").ok());
    CHECK(s->service.open_connections() == 1);
    s->service.stop();
    CHECK(s->service.open_connections() == 0);
    CHECK(s->dbms.observed().rollbacks == 1);
    auto r = c->run_all("RETURN 1");
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == "ServiceUnavailable");
    s->service.stop();  // idempotent
}

TEST_CASE("an address that cannot be bound is an error naming it", "[server]") {
    Service first;
    refhost::testing::FakeDbms dbms{1};
    refhost::testing::FakeEngine engine;
    dbms.bolt_address = first.service.address(0);
    BoltService second(dbms, engine);
    auto r = second.start();
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message.find("cannot listen on " + first.service.address(0)) != std::string::npos);
    dbms.bolt_address = "nowhere";
    BoltService third(dbms, engine);
    auto bad = third.start();
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.error().message.find("invalid address 'nowhere'") != std::string::npos);

    CHECK_FALSE(parse_host_port("localhost").ok());
    CHECK_FALSE(parse_host_port("h:99999").ok());
    CHECK_FALSE(parse_host_port("h:x1").ok());
    auto v6 = parse_host_port("[::1]:7687");
    REQUIRE(v6.ok());
    CHECK(v6->host == "::1");
    CHECK(v6->port == 7687);
}

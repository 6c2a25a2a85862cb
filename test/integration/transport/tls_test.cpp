// The replication listener with mutual TLS, using certificates made in the
// test: a trusted client is served; a client without a certificate, with one
// from an untrusted CA, a revoked one, an expired one, a TLS 1.2-only client
// and a plaintext client are each refused, each refusal is logged with the
// peer's address and the reason, and the listener keeps serving.
#include "support/capturing_log.hpp"
#include "session/exchange.hpp"
#include "support/test_pki.hpp"
#include "transport/connector.hpp"
#include "transport/server.hpp"
#include "transport/tls_context.hpp"

#include <catch2/catch.hpp>

#include <future>

using namespace ccdr;
using namespace ccdr::transport;
using ccdr::plugin::ClientAuth;
using ccdr::plugin::parse_client_auth;
using ccdr::plugin::parse_tls_versions;
using ccdr::plugin::TlsPolicy;
using ccdr::runtime::IoRuntime;
using ccdr::test::CapturingLog;
using ccdr::test::KeyAndCertificate;
using ccdr::test::TempDir;
using ccdr::test::TestCa;
using namespace std::chrono_literals;

namespace {

TlsPolicy policy_for(const std::filesystem::path& base, ClientAuth auth = ClientAuth::kRequire, bool tls12 = false,
                     bool tls13 = true) {
    TlsPolicy p;
    p.enabled = true;
    p.base_directory = base.string();
    p.private_key = (base / "private.key").string();
    p.public_certificate = (base / "public.crt").string();
    p.trusted_dir = (base / "trusted").string();
    p.revoked_dir = (base / "revoked").string();
    p.client_auth = auth;
    p.allow_tls12 = tls12;
    p.allow_tls13 = tls13;
    return p;
}

std::shared_ptr<asio::ssl::context> client_context(const std::filesystem::path& base, bool tls12 = false,
                                                   bool tls13 = true) {
    auto ctx = build_tls_contexts(policy_for(base, ClientAuth::kRequire, tls12, tls13));
    REQUIRE(ctx);
    return ctx->client;
}

template <typename T>
T run_sync(IoRuntime& rt, std::function<asio::awaitable<T>()> body) {
    std::promise<T> done;
    auto result = done.get_future();
    REQUIRE(rt.spawn(rt.make_strand(), [&]() -> asio::awaitable<void> { done.set_value(co_await body()); }));
    return result.get();
}

// Connects, says HELLO, expects HELLO_OK.
Status say_hello(IoRuntime& rt, uint16_t port, std::shared_ptr<asio::ssl::context> tls, bool verify_hostname = false) {
    return run_sync<Status>(rt, [&]() -> asio::awaitable<Status> {
        auto strand = co_await asio::this_coro::executor;
        ConnectOptions options;
        options.connect_timeout = 3s;
        options.verify_hostname = verify_hostname;
        std::string address = "127.0.0.1:" + std::to_string(port);
        auto conn = co_await connect_to(strand, address, tls, options);
        if (!conn) {
            co_return conn.status();
        }
        protocol::Hello hello{1, 1, "client-cluster", "c1", ""};
        Status sent = co_await session::send(**conn, hello);
        if (!sent) {
            (*conn)->close("test done");
            co_return sent;
        }
        auto reply = co_await session::receive<protocol::HelloOk>(**conn, 3s);
        (*conn)->close("test done");
        if (!reply) {
            co_return reply.status();
        }
        co_return reply->message ? Status() : Status(CCDR_INTERNAL, "refused");
    });
}

asio::awaitable<void> hello_handler(std::shared_ptr<Connection> conn) {
    auto hello = co_await session::receive<protocol::Hello>(*conn, 3s);
    if (hello && hello->message) {
        protocol::HelloOk ok{1, "server-cluster", "s1", ""};
        co_await session::send(*conn, ok);
    }
}

struct TlsWorld {
    TempDir dir{"ccdr-tls"};
    TestCa ca{"cluster CA"};
    TestCa rogue_ca{"rogue CA"};
    KeyAndCertificate server_identity = ca.issue("server");
    KeyAndCertificate revoked = ca.issue("revoked client");
    CapturingLog log;
    IoRuntime rt{2, 1};
    std::shared_ptr<ReplicationServer> server;

    explicit TlsWorld(ClientAuth auth = ClientAuth::kRequire) {
        ccdr::test::write_policy_directory(dir.path() / "server", server_identity, {ca.cert_pem()},
                                           {ca.crl_pem({revoked.serial})});
        auto ctx = build_tls_contexts(policy_for(dir.path() / "server", auth));
        REQUIRE(ctx);
        CHECK(ctx->trusted_certificates == 1);
        CHECK(ctx->revocation_lists == 1);
        rt.start();
        server = std::make_shared<ReplicationServer>(rt, ctx->server, ConnectionOptions{}, 3s, hello_handler,
                                                     log.logger());
        REQUIRE(server->listen("127.0.0.1:0"));
        REQUIRE(server->port() != 0);
    }
    ~TlsWorld() {
        server->close();
        rt.stop();
    }

    // A client policy directory: its own identity, trusting the cluster CA.
    std::shared_ptr<asio::ssl::context> client(const std::string& name, const KeyAndCertificate& identity,
                                               bool tls12 = false, bool tls13 = true) {
        ccdr::test::write_policy_directory(dir.path() / name, identity, {ca.cert_pem()});
        return client_context(dir.path() / name, tls12, tls13);
    }
};

}  // namespace

TEST_CASE("a trusted client is served, every untrusted one is refused and logged, serving goes on", "[tls]") {
    TlsWorld w;
    const uint16_t port = w.server->port();

    auto good = w.client("good", w.ca.issue("good client"));
    REQUIRE(say_hello(w.rt, port, good));
    CHECK_FALSE(w.log.wait_for({"replication connection from 127.0.0.1:", "CN=good client"}).empty());

    SECTION("refusals") {
        struct Case {
            std::string name;
            std::function<std::shared_ptr<asio::ssl::context>()> make;
            std::string reason;
        };
        std::vector<Case> cases = {
            {"no certificate",
             [&] {
                 auto ctx = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_client);
                 SSL_CTX_set_min_proto_version(ctx->native_handle(), TLS1_3_VERSION);
                 ctx->add_certificate_authority(asio::buffer(w.ca.cert_pem()));
                 ctx->set_verify_mode(asio::ssl::verify_peer);
                 return ctx;
             },
             "peer did not return a certificate"},
            {"untrusted CA", [&] { return w.client("rogue", w.rogue_ca.issue("rogue client")); },
             "certificate refused: unable to get local issuer certificate (certificate subject /O=ccdr tests/CN=rogue "
             "client"},
            {"revoked", [&] { return w.client("revoked", w.revoked); },
             "certificate refused: certificate revoked (certificate subject /O=ccdr tests/CN=revoked client"},
            {"expired", [&] { return w.client("expired", w.ca.issue("expired client", -7200, -3600)); },
             "certificate refused: certificate has expired (certificate subject /O=ccdr tests/CN=expired client"},
            {"TLS 1.2 only", [&] { return w.client("old", w.ca.issue("old client"), true, false); },
             "unsupported protocol"},
            {"plaintext", [&] { return std::shared_ptr<asio::ssl::context>(); },
             "plaintext ccdr client: this server requires TLS"},
        };
        uint64_t refused = 0;
        for (const auto& c : cases) {
            INFO(c.name);
            Status st = say_hello(w.rt, port, c.make());
            CHECK_FALSE(st);
            ++refused;
            std::string line = w.log.wait_for({"refused replication connection from 127.0.0.1:", c.reason});
            CHECK_FALSE(line.empty());
            CHECK(w.server->refused() == refused);
            // Still serving.
            CHECK(say_hello(w.rt, port, good));
        }
        CHECK(w.server->accepted() == 1 + cases.size());
    }
}

TEST_CASE("a client refuses an upstream it does not trust, and checks the host name when asked", "[tls]") {
    TlsWorld w;
    // The client trusts only the rogue CA: the upstream's certificate fails.
    ccdr::test::write_policy_directory(w.dir.path() / "paranoid", w.ca.issue("paranoid"), {w.rogue_ca.cert_pem()});
    Status st = say_hello(w.rt, w.server->port(), client_context(w.dir.path() / "paranoid"));
    REQUIRE_FALSE(st);
    // The upstream sends its chain up to its CA, which this client does not trust.
    CHECK_THAT(st.message(), Catch::Contains("certificate refused: self-signed certificate in certificate chain") &&
                                 Catch::Contains("CN=cluster CA"));

    auto good = w.client("good", w.ca.issue("good client"));
    CHECK(say_hello(w.rt, w.server->port(), good, true));  // SAN IP:127.0.0.1 matches

    // A second listener whose certificate names another host.
    ccdr::test::write_policy_directory(w.dir.path() / "elsewhere", w.ca.issue("elsewhere", -3600, 86400,
                                                                                 "DNS:elsewhere.example"),
                                       {w.ca.cert_pem()});
    auto ctx = build_tls_contexts(policy_for(w.dir.path() / "elsewhere"));
    REQUIRE(ctx);
    auto other = std::make_shared<ReplicationServer>(w.rt, ctx->server, ConnectionOptions{}, 3s, hello_handler,
                                                     w.log.logger());
    REQUIRE(other->listen("127.0.0.1:0"));
    CHECK(say_hello(w.rt, other->port(), good, false));
    Status mismatch = say_hello(w.rt, other->port(), good, true);
    REQUIRE_FALSE(mismatch);
    CHECK_THAT(mismatch.message(), Catch::Contains("IP address mismatch"));
    other->close();
}

TEST_CASE("a TLS policy that cannot work is refused naming the file", "[tls]") {
    TempDir dir("ccdr-tls-bad");
    TestCa ca("cluster CA");
    auto id = ca.issue("server");
    ccdr::test::write_policy_directory(dir.path(), id, {});
    auto no_ca = build_tls_contexts(policy_for(dir.path()));
    REQUIRE_FALSE(no_ca);
    CHECK_THAT(no_ca.status().message(), Catch::Contains("holds no CA certificate") &&
                                             Catch::Contains((dir.path() / "trusted").string()));
    ccdr::test::write_policy_directory(dir.path(), {ca.issue("other").key_pem, id.cert_pem, 0}, {ca.cert_pem()});
    auto mismatch = build_tls_contexts(policy_for(dir.path()));
    REQUIRE_FALSE(mismatch);
    CHECK_THAT(mismatch.status().message(), Catch::Contains("does not match the public certificate"));
    std::filesystem::remove(dir.path() / "public.crt");
    auto missing = build_tls_contexts(policy_for(dir.path()));
    REQUIRE_FALSE(missing);
    CHECK_THAT(missing.status().message(), Catch::Contains("public.crt"));
}

TEST_CASE("tls_versions and client_auth values are parsed or refused with key, value and reason", "[tls]") {
    TlsPolicy p;
    REQUIRE(parse_tls_versions("TLSv1.2,TLSv1.3", p));
    CHECK((p.allow_tls12 && p.allow_tls13));
    REQUIRE(parse_tls_versions("TLSv1.3", p));
    CHECK((!p.allow_tls12 && p.allow_tls13));
    Status bad = parse_tls_versions("TLSv1.1", p);
    REQUIRE_FALSE(bad);
    CHECK_THAT(bad.message(), Catch::Contains("dbms.ssl.policy.cluster.tls_versions") && Catch::Contains("TLSv1.1"));
    CHECK(*parse_client_auth("require") == ClientAuth::kRequire);
    CHECK(*parse_client_auth("OPTIONAL") == ClientAuth::kOptional);
    auto auth = parse_client_auth("sometimes");
    REQUIRE_FALSE(auth);
    CHECK_THAT(auth.status().message(), Catch::Contains("client_auth") && Catch::Contains("sometimes"));
}

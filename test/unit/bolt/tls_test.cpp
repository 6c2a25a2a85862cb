// Bolt over TLS on real sockets: the Asio server with each
// server.bolt.tls_level, the C++ client over TLS (verified and +ssc), the
// refusal a plaintext client of a REQUIRED server gets, hostile TLS input,
// a bad policy refused with the reason, and 200 TLS clients at once (more
// than the 32 workers).
#include "bolt/client.hpp"
#include "bolt/server.hpp"
#include "bolt/tls.hpp"
#include "support/bolt_fakes.hpp"
#include "support/test_pki.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <thread>

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

using namespace refhost;
using namespace refhost::bolt;

namespace {

struct Pki {
    ccdr::test::TempDir dir{"ccdr-bolt-tls"};
    ccdr::test::TestCa ca{"bolt test CA"};
    std::filesystem::path base = dir.path() / "bolt";
    std::filesystem::path ca_file = dir.path() / "ca.crt";

    Pki() {
        ccdr::test::write_policy_directory(base, ca.issue("bolt server"), {});
        std::ofstream(ca_file) << ca.cert_pem();
    }
    BoltTlsPolicy policy(const std::string& client_auth = "NONE") const {
        BoltTlsPolicy p;
        p.private_key = (base / "private.key").string();
        p.public_certificate = (base / "public.crt").string();
        p.trusted_dir = (base / "trusted").string();
        p.revoked_dir = (base / "revoked").string();
        p.client_auth = client_auth;
        return p;
    }
};

struct Service {
    refhost::testing::FakeDbms dbms{2};
    refhost::testing::FakeEngine engine;
    std::unique_ptr<BoltService> service;

    Service(const Pki& pki, TlsLevel level, size_t workers = 32) {
        BoltServerOptions o;
        o.worker_threads = workers;
        o.tls_level = level;
        if (level != TlsLevel::Disabled) {
            auto ctx = make_bolt_tls_context(pki.policy());
            REQUIRE(ctx.ok());
            o.tls_context = ctx.value();
        }
        service = std::make_unique<BoltService>(dbms, engine, o);
        REQUIRE(service->start().ok());
    }

    Outcome<std::unique_ptr<BoltClient>> connect(std::optional<ClientTls> tls) {
        ClientOptions o;
        o.tls = tls;
        o.io_timeout = std::chrono::seconds(30);
        auto c = BoltClient::connect("127.0.0.1", service->port(0), o);
        if (!c) {
            return c.error();
        }
        auto ok = c.value()->logon({"basic", "neo4j", "secret"});
        if (!ok) {
            return ok.error();
        }
        return std::move(c.value());
    }
};

int64_t one(BoltClient& c) {
    auto r = c.run_all("RETURN 7");
    INFO((r.ok() ? std::string() : r.error().code + ": " + r.error().message));
    REQUIRE(r.ok());
    REQUIRE(r->records.size() == 1);
    return r->records[0][0].as<int64_t>();
}

}  // namespace

TEST_CASE("REQUIRED: TLS clients are served, a plaintext client gets the refusal", "[bolt][tls]") {
    Pki pki;
    Service s(pki, TlsLevel::Required);
    auto ssc = s.connect(ClientTls{false});
    REQUIRE(ssc.ok());
    CHECK(one(*ssc.value()) == 7);

    // Verified against the test CA (as a system CA would be) and the address.
    ::setenv("SSL_CERT_FILE", pki.ca_file.c_str(), 1);
    auto verified = s.connect(ClientTls{true});
    ::unsetenv("SSL_CERT_FILE");
    INFO((verified.ok() ? std::string() : verified.error().message));
    REQUIRE(verified.ok());
    CHECK(one(*verified.value()) == 7);

    // Without the CA, the client refuses the certificate.
    ::setenv("SSL_CERT_FILE", "/nonexistent", 1);
    auto untrusted = s.connect(ClientTls{true});
    ::unsetenv("SSL_CERT_FILE");
    REQUIRE_FALSE(untrusted.ok());
    CHECK(untrusted.error().code == "ServiceUnavailable");
    CHECK_THAT(untrusted.error().message, Catch::Contains("certificate verify failed"));

    auto plain = s.connect(std::nullopt);
    REQUIRE_FALSE(plain.ok());
    CHECK(plain.error().code == "Neo.ClientError.Security.Unauthorized");
    CHECK(plain.error().message == plaintext_refused_message());
}

TEST_CASE("OPTIONAL serves TLS and plaintext clients on the same port, DISABLED speaks no TLS", "[bolt][tls]") {
    Pki pki;
    Service optional(pki, TlsLevel::Optional);
    auto tls = optional.connect(ClientTls{false});
    auto plain = optional.connect(std::nullopt);
    REQUIRE(tls.ok());
    REQUIRE(plain.ok());
    CHECK(one(*tls.value()) == 7);
    CHECK(one(*plain.value()) == 7);

    Service disabled(pki, TlsLevel::Disabled);
    auto refused = disabled.connect(ClientTls{false});
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.error().code == "ServiceUnavailable");
    CHECK(one(*disabled.connect(std::nullopt).value()) == 7);
}

TEST_CASE("hostile TLS input closes that connection only", "[bolt][tls]") {
    Pki pki;
    Service s(pki, TlsLevel::Required);
    // A TLS record header followed by garbage: the handshake fails.
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(s.service->port(0));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0);
    const uint8_t junk[] = {0x16, 0x03, 0x01, 0x00, 0x10, 'n', 'o', 't', ' ', 'a', ' ', 'h', 'e', 'l', 'l', 'o', '!', '!',
                            '!', '!', '!'};
    REQUIRE(::send(fd, junk, sizeof(junk), MSG_NOSIGNAL) == ssize_t(sizeof(junk)));
    bool closed = false;
    for (int i = 0; i < 100 && !closed; ++i) {
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, 100) == 1) {
            uint8_t buf[512];
            closed = ::recv(fd, buf, sizeof buf, 0) <= 0;
        }
    }
    ::close(fd);
    CHECK(closed);
    // A client that closes before its first byte, too.
    int quiet = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(::connect(quiet, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0);
    ::close(quiet);
    auto ok = s.connect(ClientTls{false});
    REQUIRE(ok.ok());
    CHECK(one(*ok.value()) == 7);
}

TEST_CASE("a bad bolt SSL policy is refused with the reason", "[bolt][tls]") {
    Pki pki;
    auto missing = pki.policy();
    missing.public_certificate = (pki.dir.path() / "nope.crt").string();
    auto r = make_bolt_tls_context(missing);
    REQUIRE_FALSE(r.ok());
    CHECK_THAT(r.error().message, Catch::Contains("public_certificate") && Catch::Contains("nope.crt"));

    auto other = ccdr::test::TestCa("other").issue("other server");
    std::ofstream(pki.dir.path() / "other.key") << other.key_pem;
    auto mismatched = pki.policy();
    mismatched.private_key = (pki.dir.path() / "other.key").string();
    r = make_bolt_tls_context(mismatched);
    REQUIRE_FALSE(r.ok());
    CHECK_THAT(r.error().message, Catch::Contains("private_key") && Catch::Contains("mismatch"));

    r = make_bolt_tls_context(pki.policy("REQUIRE"));  // trusted/ is empty
    REQUIRE_FALSE(r.ok());
    CHECK_THAT(r.error().message, Catch::Contains("holds no CA certificate"));

    auto none = pki.policy();
    none.tls12 = none.tls13 = false;
    CHECK_FALSE(make_bolt_tls_context(none).ok());

    BoltServerOptions o;
    o.tls_level = TlsLevel::Required;  // and no context
    refhost::testing::FakeDbms dbms{1};
    refhost::testing::FakeEngine engine;
    BoltService service(dbms, engine, o);
    auto started = service.start();
    REQUIRE_FALSE(started.ok());
    CHECK_THAT(started.error().message, Catch::Contains("server.bolt.tls_level=REQUIRED needs the bolt SSL policy"));
}

TEST_CASE("200 TLS clients at once, more than the workers", "[bolt][tls]") {
    Pki pki;
    Service s(pki, TlsLevel::Required, 32);
    constexpr int kClients = 200;
    std::vector<std::unique_ptr<BoltClient>> clients(kClients);
    std::atomic<int> failures{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t) {
        threads.emplace_back([&, t] {
            for (int i = t; i < kClients; i += 8) {
                auto c = s.connect(ClientTls{false});
                if (!c) {
                    ++failures;
                    continue;
                }
                clients[i] = std::move(c.value());
            }
        });
    }
    for (auto& th : threads) {
        th.join();
    }
    REQUIRE(failures.load() == 0);
    CHECK(s.service->open_connections() == kClients);
    // Every connection open at once runs a query concurrently.
    threads.clear();
    std::atomic<int> answered{0};
    for (int i = 0; i < kClients; ++i) {
        threads.emplace_back([&, i] {
            auto r = clients[i]->run_all("RETURN 7");
            if (r && r->records.size() == 1 && r->records[0][0].as<int64_t>() == 7) {
                ++answered;
            }
        });
    }
    for (auto& th : threads) {
        th.join();
    }
    CHECK(answered.load() == kClients);
}

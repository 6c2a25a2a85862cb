// The notAfter time behind the gauge dbms.ssl.cluster.certificate.not_after_seconds.
#include "metrics/certificate_expiry.hpp"

#include <catch2/catch.hpp>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>

namespace fs = std::filesystem;

namespace {

// A self-signed certificate with notAfter = Nov 24 09:48:02 2036 GMT
// (`openssl x509 -noout -enddate`), that is 2111132882 Unix seconds.
constexpr const char* kCertificate = R"(-----BEGIN CERTIFICATE-----
MIIBfTCCASOgAwIBAgIUT3olAB6SyEFXhDTP5pHDQmK/VS4wCgYIKoZIzj0EAwIw
FDESMBAGA1UEAwwJY2NkciB0ZXN0MB4XDTI2MTEyNzA5NDgwMloXDTM2MTEyNDA5
NDgwMlowFDESMBAGA1UEAwwJY2NkciB0ZXN0MFkwEwYHKoZIzj0CAQYIKoZIzj0D
AQcDQgAEwKBzKKwBMtJE6+T5cHK8gImDD4iJl6qET1O1RcKqma4f8MYVrly2/tUP
Um2eqgXR1BJXkW4foRFSBG7/AIRotKNTMFEwHQYDVR0OBBYEFICb1yCWgaJFfMOx
g9cpzeYmPPrOMB8GA1UdIwQYMBaAFICb1yCWgaJFfMOxg9cpzeYmPPrOMA8GA1Ud
EwEB/wQFMAMBAf8wCgYIKoZIzj0EAwIDSAAwRQIhAMtcrrIXLOZsYfbRW1p6SJOG
o9C+42US1ZeFKgV/xK8lAiAW14p45nZmVUirSAskgGrGK+Orr1lCf15zrxKkb1YR
lQ==
-----END CERTIFICATE-----
)";

struct TempFile {
    fs::path path;
    explicit TempFile(const std::string& content) {
        path = fs::temp_directory_path() / ("ccdr-cert-test-" + std::to_string(::getpid()) + "-" +
                                            std::to_string(reinterpret_cast<uintptr_t>(this)) + ".pem");
        std::ofstream(path) << content;
    }
    ~TempFile() {
        std::error_code ec;
        fs::remove(path, ec);
    }
    TempFile(const TempFile&) = delete;
    TempFile& operator=(const TempFile&) = delete;
};

}  // namespace

TEST_CASE("certificate_not_after reads notAfter as Unix seconds", "[monitoring]") {
    TempFile f(kCertificate);
    auto t = refhost::certificate_not_after(f.path);
    REQUIRE(t.is_ok());
    CHECK(*t == 2111132882);
}

TEST_CASE("certificate_not_after names a missing file", "[monitoring]") {
    auto t = refhost::certificate_not_after("/nonexistent/ccdr/public.crt");
    REQUIRE_FALSE(t.is_ok());
    CHECK(t.status().code() == CCDR_IO_ERROR);
    CHECK_THAT(t.status().message(), Catch::Contains("/nonexistent/ccdr/public.crt"));
}

TEST_CASE("certificate_not_after refuses a file without a certificate", "[monitoring]") {
    TempFile f("this is not a certificate\n");
    auto t = refhost::certificate_not_after(f.path);
    REQUIRE_FALSE(t.is_ok());
    CHECK(t.status().code() == CCDR_INVALID_ARGUMENT);
    CHECK_THAT(t.status().message(), Catch::Contains("holds no PEM certificate"));
}

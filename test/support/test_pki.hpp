// test/support/test_pki.hpp: certificates made in the test, with OpenSSL's
// API: CAs, leaf certificates (SAN IP:127.0.0.1 and DNS:localhost, EKU
// serverAuth and clientAuth, any validity window), CRLs, and cluster SSL
// policy directories laid out as a Neo4j home has them
// (private.key, public.crt, trusted/, revoked/).
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace ccdr::test {

struct KeyAndCertificate {
    std::string key_pem;
    std::string cert_pem;
    long serial = 0;
};

class TestCa {
public:
    explicit TestCa(const std::string& common_name);
    ~TestCa();
    TestCa(const TestCa&) = delete;
    TestCa& operator=(const TestCa&) = delete;

    const std::string& cert_pem() const { return cert_pem_; }

    // A leaf certificate valid from now+not_before_s to now+not_after_s.
    KeyAndCertificate issue(const std::string& common_name, long not_before_s = -3600,
                            long not_after_s = 30L * 86400,
                            const std::string& subject_alt_names = "IP:127.0.0.1,DNS:localhost");
    // A CRL of this CA revoking the given serials (valid for 30 days).
    std::string crl_pem(const std::vector<long>& revoked_serials) const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
    std::string cert_pem_;
    long next_serial_ = 100;
};

// Writes base/private.key, base/public.crt, base/trusted/ca<N>.crt and
// base/revoked/crl<N>.pem, replacing what was there.
void write_policy_directory(const std::filesystem::path& base, const KeyAndCertificate& identity,
                            const std::vector<std::string>& trusted_ca_pems,
                            const std::vector<std::string>& crl_pems = {});

// The dbms.ssl.policy.cluster.* settings a host would give for `base`.
std::map<std::string, std::string> policy_settings(const std::filesystem::path& base,
                                                   const std::string& client_auth = "REQUIRE",
                                                   const std::string& tls_versions = "TLSv1.3");

// A fresh directory under the system temp directory, removed on destruction.
class TempDir {
public:
    explicit TempDir(const std::string& prefix);
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::filesystem::path& path() const { return path_; }

private:
    std::filesystem::path path_;
};

}  // namespace ccdr::test

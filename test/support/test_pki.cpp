#include "support/test_pki.hpp"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <fstream>
#include <random>
#include <stdexcept>

namespace ccdr::test {
namespace {

struct PkeyFree {
    void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct X509Free {
    void operator()(X509* p) const { X509_free(p); }
};
struct CrlFree {
    void operator()(X509_CRL* p) const { X509_CRL_free(p); }
};
struct BioFree {
    void operator()(BIO* p) const { BIO_free(p); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;
using X509Ptr = std::unique_ptr<X509, X509Free>;

void check(bool ok, const char* what) {
    if (!ok) {
        throw std::runtime_error(std::string("test PKI: ") + what + " failed");
    }
}

PkeyPtr new_key() {
    PkeyPtr key(EVP_EC_gen("P-256"));
    check(key != nullptr, "EVP_EC_gen");
    return key;
}

std::string bio_text(BIO* bio) {
    char* data = nullptr;
    long n = BIO_get_mem_data(bio, &data);
    return std::string(data, static_cast<size_t>(n));
}

std::string key_to_pem(EVP_PKEY* key) {
    std::unique_ptr<BIO, BioFree> bio(BIO_new(BIO_s_mem()));
    check(PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) == 1, "write key");
    return bio_text(bio.get());
}

std::string cert_to_pem(X509* cert) {
    std::unique_ptr<BIO, BioFree> bio(BIO_new(BIO_s_mem()));
    check(PEM_write_bio_X509(bio.get(), cert) == 1, "write certificate");
    return bio_text(bio.get());
}

void add_ext(X509* cert, X509* issuer, int nid, const std::string& value) {
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
    check(ext != nullptr, "X509V3_EXT_conf_nid");
    X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
}

X509Ptr new_cert(const std::string& cn, long serial, long not_before_s, long not_after_s, EVP_PKEY* subject_key) {
    X509Ptr cert(X509_new());
    X509_set_version(cert.get(), 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), serial);
    X509_gmtime_adj(X509_getm_notBefore(cert.get()), not_before_s);
    X509_gmtime_adj(X509_getm_notAfter(cert.get()), not_after_s);
    X509_set_pubkey(cert.get(), subject_key);
    X509_NAME* name = X509_get_subject_name(cert.get());
    X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("ccdr tests"), -1, -1,
                               0);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1,
                               0);
    return cert;
}

}  // namespace

struct TestCa::Impl {
    PkeyPtr key;
    X509Ptr cert;
};

TestCa::TestCa(const std::string& common_name) : impl_(std::make_unique<Impl>()) {
    impl_->key = new_key();
    impl_->cert = new_cert(common_name, 1, -86400, 3650L * 86400, impl_->key.get());
    X509_set_issuer_name(impl_->cert.get(), X509_get_subject_name(impl_->cert.get()));
    add_ext(impl_->cert.get(), impl_->cert.get(), NID_basic_constraints, "critical,CA:TRUE");
    add_ext(impl_->cert.get(), impl_->cert.get(), NID_key_usage, "critical,keyCertSign,cRLSign");
    add_ext(impl_->cert.get(), impl_->cert.get(), NID_subject_key_identifier, "hash");
    check(X509_sign(impl_->cert.get(), impl_->key.get(), EVP_sha256()) > 0, "sign CA");
    cert_pem_ = cert_to_pem(impl_->cert.get());
}

TestCa::~TestCa() = default;

KeyAndCertificate TestCa::issue(const std::string& common_name, long not_before_s, long not_after_s,
                                const std::string& subject_alt_names) {
    auto key = new_key();
    const long serial = next_serial_++;
    auto cert = new_cert(common_name, serial, not_before_s, not_after_s, key.get());
    X509_set_issuer_name(cert.get(), X509_get_subject_name(impl_->cert.get()));
    add_ext(cert.get(), impl_->cert.get(), NID_basic_constraints, "critical,CA:FALSE");
    add_ext(cert.get(), impl_->cert.get(), NID_key_usage, "critical,digitalSignature,keyEncipherment");
    add_ext(cert.get(), impl_->cert.get(), NID_ext_key_usage, "serverAuth,clientAuth");
    if (!subject_alt_names.empty()) {
        add_ext(cert.get(), impl_->cert.get(), NID_subject_alt_name, subject_alt_names);
    }
    add_ext(cert.get(), impl_->cert.get(), NID_authority_key_identifier, "keyid:always");
    check(X509_sign(cert.get(), impl_->key.get(), EVP_sha256()) > 0, "sign leaf");
    return KeyAndCertificate{key_to_pem(key.get()), cert_to_pem(cert.get()), serial};
}

std::string TestCa::crl_pem(const std::vector<long>& revoked_serials) const {
    std::unique_ptr<X509_CRL, CrlFree> crl(X509_CRL_new());
    X509_CRL_set_version(crl.get(), 1);
    X509_CRL_set_issuer_name(crl.get(), X509_get_subject_name(impl_->cert.get()));
    ASN1_TIME* last = X509_gmtime_adj(nullptr, -3600);
    ASN1_TIME* next = X509_gmtime_adj(nullptr, 30L * 86400);
    X509_CRL_set1_lastUpdate(crl.get(), last);
    X509_CRL_set1_nextUpdate(crl.get(), next);
    for (long serial : revoked_serials) {
        X509_REVOKED* r = X509_REVOKED_new();
        ASN1_INTEGER* s = ASN1_INTEGER_new();
        ASN1_INTEGER_set(s, serial);
        X509_REVOKED_set_serialNumber(r, s);
        X509_REVOKED_set_revocationDate(r, last);
        X509_CRL_add0_revoked(crl.get(), r);
        ASN1_INTEGER_free(s);
    }
    ASN1_TIME_free(last);
    ASN1_TIME_free(next);
    X509_CRL_sort(crl.get());
    check(X509_CRL_sign(crl.get(), impl_->key.get(), EVP_sha256()) > 0, "sign CRL");
    std::unique_ptr<BIO, BioFree> bio(BIO_new(BIO_s_mem()));
    check(PEM_write_bio_X509_CRL(bio.get(), crl.get()) == 1, "write CRL");
    return bio_text(bio.get());
}

void write_policy_directory(const std::filesystem::path& base, const KeyAndCertificate& identity,
                            const std::vector<std::string>& trusted_ca_pems, const std::vector<std::string>& crl_pems) {
    std::filesystem::remove_all(base);
    std::filesystem::create_directories(base / "trusted");
    std::filesystem::create_directories(base / "revoked");
    auto write = [](const std::filesystem::path& p, const std::string& text) {
        std::ofstream out(p, std::ios::binary);
        out << text;
        check(static_cast<bool>(out), "write file");
    };
    write(base / "private.key", identity.key_pem);
    std::filesystem::permissions(base / "private.key", std::filesystem::perms::owner_read |
                                                           std::filesystem::perms::owner_write);
    write(base / "public.crt", identity.cert_pem);
    for (size_t i = 0; i < trusted_ca_pems.size(); ++i) {
        write(base / "trusted" / ("ca" + std::to_string(i) + ".crt"), trusted_ca_pems[i]);
    }
    for (size_t i = 0; i < crl_pems.size(); ++i) {
        write(base / "revoked" / ("crl" + std::to_string(i) + ".pem"), crl_pems[i]);
    }
}

std::map<std::string, std::string> policy_settings(const std::filesystem::path& base, const std::string& client_auth,
                                                   const std::string& tls_versions) {
    const std::string p = "dbms.ssl.policy.cluster.";
    return {
        {p + "enabled", "true"},
        {p + "base_directory", base.string()},
        {p + "private_key", "private.key"},
        {p + "public_certificate", "public.crt"},
        {p + "trusted_dir", "trusted"},
        {p + "revoked_dir", "revoked"},
        {p + "client_auth", client_auth},
        {p + "tls_versions", tls_versions},
        {p + "verify_hostname", "false"},
    };
}

TempDir::TempDir(const std::string& prefix) {
    std::random_device rd;
    path_ = std::filesystem::temp_directory_path() / (prefix + "-" + std::to_string(rd()) + std::to_string(rd()));
    std::filesystem::create_directories(path_);
}

TempDir::~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
}

}  // namespace ccdr::test

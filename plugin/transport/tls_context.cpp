#include "transport/tls_context.hpp"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include <algorithm>
#include <filesystem>
#include <vector>

namespace ccdr::transport {
namespace {

namespace ssl = boost::asio::ssl;
using plugin::ClientAuth;
using plugin::TlsPolicy;

// Cipher suites for TLS 1.2 when the policy allows it: forward secrecy and
// AEAD only. TLS 1.3 keeps OpenSSL's defaults (AES-256-GCM first).
constexpr const char* kTls12Ciphers =
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-AES128-GCM-SHA256:"
    "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

Status invalid(const std::string& what, const std::string& path, const std::string& why) {
    return {CCDR_INVALID_SETTING, "cluster SSL policy: cannot use " + what + " " + path + ": " + why};
}

// Regular files of a directory, sorted by name (missing directory: none).
std::vector<std::filesystem::path> files_in(const std::string& dir) {
    std::vector<std::filesystem::path> out;
    std::error_code ec;
    if (!std::filesystem::is_directory(dir, ec)) {
        return out;
    }
    for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
        if (entry.is_regular_file(ec)) {
            out.push_back(entry.path());
        }
    }
    std::sort(out.begin(), out.end());
    return out;
}

struct BioCloser {
    void operator()(BIO* b) const { BIO_free(b); }
};

// Adds every PEM certificate of `file` (a file may hold several) to the store;
// a file with none is read as one DER certificate. Returns how many.
Result<size_t> add_certificates(X509_STORE* store, const std::filesystem::path& file) {
    std::unique_ptr<BIO, BioCloser> bio(BIO_new_file(file.c_str(), "rb"));
    if (!bio) {
        return invalid("trusted certificate", file.string(), take_openssl_error());
    }
    size_t n = 0;
    while (X509* cert = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
        X509_STORE_add_cert(store, cert);
        X509_free(cert);
        ++n;
    }
    ERR_clear_error();
    if (n == 0) {
        BIO_reset(bio.get());
        if (X509* cert = d2i_X509_bio(bio.get(), nullptr)) {
            X509_STORE_add_cert(store, cert);
            X509_free(cert);
            ++n;
        } else {
            return invalid("trusted certificate", file.string(), "no PEM or DER certificate in it");
        }
    }
    return n;
}

Result<size_t> add_crls(X509_STORE* store, const std::filesystem::path& file) {
    std::unique_ptr<BIO, BioCloser> bio(BIO_new_file(file.c_str(), "rb"));
    if (!bio) {
        return invalid("revocation list", file.string(), take_openssl_error());
    }
    size_t n = 0;
    while (X509_CRL* crl = PEM_read_bio_X509_CRL(bio.get(), nullptr, nullptr, nullptr)) {
        X509_STORE_add_crl(store, crl);
        X509_CRL_free(crl);
        ++n;
    }
    ERR_clear_error();
    if (n == 0) {
        BIO_reset(bio.get());
        if (X509_CRL* crl = d2i_X509_CRL_bio(bio.get(), nullptr)) {
            X509_STORE_add_crl(store, crl);
            X509_CRL_free(crl);
            ++n;
        } else {
            return invalid("revocation list", file.string(), "no PEM or DER CRL in it");
        }
    }
    return n;
}

Result<std::shared_ptr<ssl::context>> make_context(const TlsPolicy& policy, bool server, size_t& cas, size_t& crls) {
    auto ctx = std::make_shared<ssl::context>(server ? ssl::context::tls_server : ssl::context::tls_client);
    SSL_CTX* native = ctx->native_handle();
    SSL_CTX_set_options(native, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
    SSL_CTX_set_min_proto_version(native, policy.allow_tls12 ? TLS1_2_VERSION : TLS1_3_VERSION);
    SSL_CTX_set_max_proto_version(native, policy.allow_tls13 ? TLS1_3_VERSION : TLS1_2_VERSION);
    if (policy.allow_tls12 && SSL_CTX_set_cipher_list(native, kTls12Ciphers) != 1) {
        return Status(CCDR_INTERNAL, "cluster SSL policy: OpenSSL refused the TLS 1.2 cipher list: " +
                                         take_openssl_error());
    }
    if (SSL_CTX_use_certificate_chain_file(native, policy.public_certificate.c_str()) != 1) {
        return invalid("public certificate", policy.public_certificate, take_openssl_error());
    }
    if (SSL_CTX_use_PrivateKey_file(native, policy.private_key.c_str(), SSL_FILETYPE_PEM) != 1) {
        if (ERR_GET_REASON(ERR_peek_last_error()) == X509_R_KEY_VALUES_MISMATCH) {
            ERR_clear_error();
            return invalid("private key", policy.private_key,
                           "it does not match the public certificate " + policy.public_certificate);
        }
        return invalid("private key", policy.private_key, take_openssl_error());
    }
    if (SSL_CTX_check_private_key(native) != 1) {
        return invalid("private key", policy.private_key,
                       "it does not match the public certificate " + policy.public_certificate);
    }
    X509_STORE* store = SSL_CTX_get_cert_store(native);
    cas = 0;
    for (const auto& file : files_in(policy.trusted_dir)) {
        auto n = add_certificates(store, file);
        if (!n) {
            return n.status();
        }
        cas += *n;
    }
    if (cas == 0) {
        return invalid("trusted directory", policy.trusted_dir,
                       "it holds no CA certificate, so no peer could ever be trusted");
    }
    crls = 0;
    for (const auto& file : files_in(policy.revoked_dir)) {
        auto n = add_crls(store, file);
        if (!n) {
            return n.status();
        }
        crls += *n;
    }
    if (crls > 0) {
        X509_STORE_set_flags(store, X509_V_FLAG_CRL_CHECK);
    }
    if (server) {
        switch (policy.client_auth) {
            case ClientAuth::kNone: ctx->set_verify_mode(ssl::verify_none); break;
            case ClientAuth::kOptional: ctx->set_verify_mode(ssl::verify_peer); break;
            case ClientAuth::kRequire:
                ctx->set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert);
                break;
        }
        // One session per connection: no tickets to carry between servers.
        SSL_CTX_set_session_cache_mode(native, SSL_SESS_CACHE_OFF);
        SSL_CTX_set_num_tickets(native, 0);
    } else {
        ctx->set_verify_mode(ssl::verify_peer);
    }
    return ctx;
}

}  // namespace

std::string take_openssl_error() {
    std::string out;
    while (unsigned long e = ERR_get_error()) {
        char buf[256];
        ERR_error_string_n(e, buf, sizeof(buf));
        out = buf;  // the last one is the most specific
    }
    return out.empty() ? "unknown OpenSSL error" : out;
}

Result<TlsContexts> build_tls_contexts(const TlsPolicy& policy) {
    TlsContexts out;
    auto server = make_context(policy, true, out.trusted_certificates, out.revocation_lists);
    if (!server) {
        return server.status();
    }
    auto client = make_context(policy, false, out.trusted_certificates, out.revocation_lists);
    if (!client) {
        return client.status();
    }
    out.server = std::move(server.value());
    out.client = std::move(client.value());
    return out;
}

}  // namespace ccdr::transport

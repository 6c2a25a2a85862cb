// examples/refhost/bolt/tls.cpp: the Bolt server's TLS context from the
// bolt SSL policy.
#include "bolt/tls.hpp"

#include <ccdr_asio.hpp>
#include "common/status_codes.hpp"

#include <boost/asio/ssl.hpp>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509_vfy.h>

#include <algorithm>
#include <cctype>
#include <filesystem>

namespace refhost::bolt {

namespace ssl = boost::asio::ssl;
namespace fs = std::filesystem;

namespace {

// The reason OpenSSL gives for the last failure (its error queue, emptied).
std::string openssl_reason() {
    std::string out;
    while (unsigned long e = ERR_get_error()) {
        char buf[256];
        ERR_error_string_n(e, buf, sizeof buf);
        out = buf;  // the last one is the most specific
    }
    return out.empty() ? "unknown OpenSSL error" : out;
}

Error bad(const std::string& what) {
    return make_error(status::kUnknownError, "dbms.ssl.policy.bolt: " + what);
}

// Every certificate (or CRL) PEM file of `dir` into the context's store.
Done load_directory(X509_STORE* store, const std::string& dir, bool crls, size_t& loaded) {
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) {
        return bad((crls ? "revoked_dir " : "trusted_dir ") + dir + " is not a directory");
    }
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
        if (entry.is_regular_file()) {
            files.push_back(entry.path());
        }
    }
    std::sort(files.begin(), files.end());
    for (const auto& f : files) {
        FILE* in = std::fopen(f.c_str(), "r");
        if (in == nullptr) {
            return bad("cannot read " + f.string());
        }
        size_t here = 0;
        for (;;) {
            if (crls) {
                X509_CRL* crl = PEM_read_X509_CRL(in, nullptr, nullptr, nullptr);
                if (crl == nullptr) {
                    break;
                }
                X509_STORE_add_crl(store, crl);
                X509_CRL_free(crl);
            } else {
                X509* cert = PEM_read_X509(in, nullptr, nullptr, nullptr);
                if (cert == nullptr) {
                    break;
                }
                X509_STORE_add_cert(store, cert);
                X509_free(cert);
            }
            ++here;
        }
        std::fclose(in);
        ERR_clear_error();  // the read that ended the loop
        if (here == 0) {
            return bad(f.string() + " holds no PEM " + (crls ? "CRL" : "certificate"));
        }
        loaded += here;
    }
    return done();
}

}  // namespace

std::optional<TlsLevel> parse_tls_level(const std::string& text) {
    std::string up = text;
    std::transform(up.begin(), up.end(), up.begin(), [](unsigned char c) { return std::toupper(c); });
    if (up == "DISABLED") {
        return TlsLevel::Disabled;
    }
    if (up == "OPTIONAL") {
        return TlsLevel::Optional;
    }
    if (up == "REQUIRED") {
        return TlsLevel::Required;
    }
    return std::nullopt;
}

const char* tls_level_name(TlsLevel level) {
    switch (level) {
        case TlsLevel::Disabled: return "DISABLED";
        case TlsLevel::Optional: return "OPTIONAL";
        case TlsLevel::Required: return "REQUIRED";
    }
    return "?";
}

std::string plaintext_refused_message() {
    return "This server requires an encrypted connection (server.bolt.tls_level=REQUIRED): connect with "
           "neo4j+s://, bolt+s://, neo4j+ssc:// or bolt+ssc://.";
}

Outcome<std::shared_ptr<ssl::context>> make_bolt_tls_context(const BoltTlsPolicy& policy) {
    if (!policy.tls12 && !policy.tls13) {
        return bad("tls_versions allows no TLS version");
    }
    auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
    SSL_CTX* raw = ctx->native_handle();
    SSL_CTX_set_min_proto_version(raw, policy.tls12 ? TLS1_2_VERSION : TLS1_3_VERSION);
    SSL_CTX_set_max_proto_version(raw, policy.tls13 ? TLS1_3_VERSION : TLS1_2_VERSION);
    SSL_CTX_set_options(raw, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
    ERR_clear_error();
    if (SSL_CTX_use_certificate_chain_file(raw, policy.public_certificate.c_str()) != 1) {
        return bad("public_certificate " + policy.public_certificate + ": " + openssl_reason());
    }
    if (SSL_CTX_use_PrivateKey_file(raw, policy.private_key.c_str(), SSL_FILETYPE_PEM) != 1) {
        return bad("private_key " + policy.private_key + ": " + openssl_reason());
    }
    if (SSL_CTX_check_private_key(raw) != 1) {
        return bad("private_key " + policy.private_key + " does not belong to " + policy.public_certificate + ": " +
                   openssl_reason());
    }
    if (policy.client_auth == "NONE") {
        SSL_CTX_set_verify(raw, SSL_VERIFY_NONE, nullptr);
        return ctx;
    }
    X509_STORE* store = SSL_CTX_get_cert_store(raw);
    size_t cas = 0, crls = 0;
    Done loaded = load_directory(store, policy.trusted_dir, false, cas);
    if (loaded) {
        loaded = load_directory(store, policy.revoked_dir, true, crls);
    }
    if (!loaded) {
        return loaded.error();
    }
    if (crls > 0) {
        X509_STORE_set_flags(store, X509_V_FLAG_CRL_CHECK);
    }
    int mode = SSL_VERIFY_PEER;
    if (policy.client_auth == "REQUIRE") {
        if (cas == 0) {
            return bad("client_auth=REQUIRE, but trusted_dir " + policy.trusted_dir +
                       " holds no CA certificate, so no client could ever be trusted");
        }
        mode |= SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
    }
    SSL_CTX_set_verify(raw, mode, nullptr);
    return ctx;
}

}  // namespace refhost::bolt

// plugin/transport/tls_context.hpp: OpenSSL contexts built from the cluster
// SSL policy: this server's key and certificate, every CA certificate in
// trusted/, every CRL in revoked/ (X509_V_FLAG_CRL_CHECK), the allowed TLS
// versions, and client_auth for the accepting side. Both sides present
// their certificate (mutual authentication).
#pragma once

#include "runtime/asio.hpp"
#include "settings/tls_policy.hpp"

#include <ccdr/status.hpp>

#include <memory>
#include <string>

namespace ccdr::transport {

struct TlsContexts {
    std::shared_ptr<boost::asio::ssl::context> server;
    std::shared_ptr<boost::asio::ssl::context> client;
    size_t trusted_certificates = 0;
    size_t revocation_lists = 0;
};

// CCDR_INVALID_SETTING naming the file and OpenSSL's reason when a key,
// certificate, CA or CRL cannot be loaded, or when trusted/ holds no CA.
Result<TlsContexts> build_tls_contexts(const plugin::TlsPolicy& policy);

// OpenSSL's most recent error as text ("" when none), clearing the queue.
std::string take_openssl_error();

}  // namespace ccdr::transport

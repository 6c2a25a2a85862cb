// examples/refhost/bolt/tls.hpp: Bolt over TLS as Neo4j configures it:
// server.bolt.tls_level (DISABLED, OPTIONAL, REQUIRED) and the SSL policy
// dbms.ssl.policy.bolt.* (private key, certificate chain, trusted CAs and
// CRLs for client certificates, client_auth, tls_versions).
//
// OPTIONAL serves TLS and plaintext clients on the same port: the first byte
// a client sends tells them apart (a TLS handshake record starts with 0x16,
// a Bolt handshake with 0x60). REQUIRED refuses a plaintext client with one
// Bolt FAILURE that says so, at its login, then closes (server.cpp).
#pragma once

#include "common/error.hpp"

#include <memory>
#include <optional>
#include <string>

namespace boost::asio::ssl {
class context;
}

namespace refhost::bolt {

enum class TlsLevel { Disabled, Optional, Required };

// "DISABLED", "OPTIONAL", "REQUIRED" (case-insensitive); nullopt otherwise.
std::optional<TlsLevel> parse_tls_level(const std::string& text);
const char* tls_level_name(TlsLevel level);

// dbms.ssl.policy.bolt.*, paths absolute.
struct BoltTlsPolicy {
    std::string private_key;
    std::string public_certificate;  // the server's certificate, optionally followed by its chain
    std::string trusted_dir;         // CAs for client certificates
    std::string revoked_dir;         // CRLs for client certificates
    std::string client_auth = "NONE";  // NONE, OPTIONAL, REQUIRE
    bool tls12 = true;
    bool tls13 = true;
};

// A server context for `policy`; the error names the file or setting and
// the OpenSSL reason.
Outcome<std::shared_ptr<boost::asio::ssl::context>> make_bolt_tls_context(const BoltTlsPolicy& policy);

// The message of the FAILURE a plaintext client gets with tls_level REQUIRED.
std::string plaintext_refused_message();

}  // namespace refhost::bolt

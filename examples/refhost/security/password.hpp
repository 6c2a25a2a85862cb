// examples/refhost/security/password.hpp: stored password hashes:
// "pbkdf2-sha256$<iterations>$<salt hex>$<hash hex>" (PBKDF2-HMAC-SHA256 via
// OpenSSL, 16 random salt bytes, 32-byte hash).
#pragma once

#include <string>
#include <string_view>

namespace refhost {

std::string hash_password(std::string_view password);
// Constant-time comparison; false for a malformed stored hash.
bool verify_password(std::string_view password, std::string_view stored);

}  // namespace refhost

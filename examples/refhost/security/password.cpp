#include "security/password.hpp"

#include "store/file_util.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <charconv>
#include <vector>

namespace refhost {
namespace {

constexpr int kIterations = 20'000;
constexpr size_t kHashBytes = 32;

std::string to_hex(const unsigned char* p, size_t n) {
    static const char* kHex = "0123456789abcdef";
    std::string out;
    for (size_t i = 0; i < n; ++i) {
        out += kHex[p[i] >> 4];
        out += kHex[p[i] & 15];
    }
    return out;
}

bool from_hex(std::string_view hex, std::vector<unsigned char>& out) {
    if (hex.size() % 2 != 0) {
        return false;
    }
    out.clear();
    for (size_t i = 0; i < hex.size(); i += 2) {
        unsigned v = 0;
        auto [p, ec] = std::from_chars(hex.data() + i, hex.data() + i + 2, v, 16);
        if (ec != std::errc() || p != hex.data() + i + 2) {
            return false;
        }
        out.push_back(static_cast<unsigned char>(v));
    }
    return true;
}

bool derive(std::string_view password, const std::vector<unsigned char>& salt, int iterations, unsigned char* out) {
    return PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()), salt.data(),
                             static_cast<int>(salt.size()), iterations, EVP_sha256(), static_cast<int>(kHashBytes),
                             out) == 1;
}

}  // namespace

std::string hash_password(std::string_view password) {
    std::vector<unsigned char> salt;
    (void)from_hex(random_hex(16), salt);
    unsigned char hash[kHashBytes];
    derive(password, salt, kIterations, hash);
    return "pbkdf2-sha256$" + std::to_string(kIterations) + "$" + to_hex(salt.data(), salt.size()) + "$" +
           to_hex(hash, kHashBytes);
}

bool verify_password(std::string_view password, std::string_view stored) {
    static constexpr std::string_view kScheme = "pbkdf2-sha256$";
    if (stored.substr(0, kScheme.size()) != kScheme) {
        return false;
    }
    std::string_view rest = stored.substr(kScheme.size());
    size_t a = rest.find('$');
    size_t b = a == std::string_view::npos ? a : rest.find('$', a + 1);
    if (b == std::string_view::npos) {
        return false;
    }
    int iterations = 0;
    auto [p, ec] = std::from_chars(rest.data(), rest.data() + a, iterations);
    std::vector<unsigned char> salt, expected;
    if (ec != std::errc() || p != rest.data() + a || iterations < 1 || iterations > 10'000'000 ||
        !from_hex(rest.substr(a + 1, b - a - 1), salt) || !from_hex(rest.substr(b + 1), expected) ||
        expected.size() != kHashBytes) {
        return false;
    }
    unsigned char got[kHashBytes];
    if (!derive(password, salt, iterations, got)) {
        return false;
    }
    return CRYPTO_memcmp(got, expected.data(), kHashBytes) == 0;
}

}  // namespace refhost

#include "metrics/certificate_expiry.hpp"

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <ctime>
#include <memory>

namespace refhost {

ccdr::Result<int64_t> certificate_not_after(const std::filesystem::path& pem_file) {
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_file(pem_file.c_str(), "r"), &BIO_free);
    if (!bio) {
        return ccdr::Status(CCDR_IO_ERROR, "cannot read the certificate " + pem_file.string());
    }
    std::unique_ptr<X509, decltype(&X509_free)> cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr),
                                                      &X509_free);
    if (!cert) {
        return ccdr::Status(CCDR_INVALID_ARGUMENT, pem_file.string() + " holds no PEM certificate");
    }
    std::tm tm{};
    if (ASN1_TIME_to_tm(X509_get0_notAfter(cert.get()), &tm) != 1) {
        return ccdr::Status(CCDR_INVALID_ARGUMENT, "the notAfter time of " + pem_file.string() + " is malformed");
    }
    return static_cast<int64_t>(timegm(&tm));
}

}  // namespace refhost

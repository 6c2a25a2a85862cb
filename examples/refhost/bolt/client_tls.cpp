#include "bolt/client_tls.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <arpa/inet.h>
#include <poll.h>

namespace refhost::bolt {

namespace {

std::string openssl_reason(const char* fallback) {
    std::string out;
    while (unsigned long e = ERR_get_error()) {
        char buf[256];
        ERR_error_string_n(e, buf, sizeof buf);
        out = buf;
    }
    return out.empty() ? fallback : out;
}

bool is_ip_address(const std::string& host) {
    unsigned char buf[16];
    return inet_pton(AF_INET, host.c_str(), buf) == 1 || inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

Error unavailable(const std::string& what) { return Error{"ServiceUnavailable", what, "08000"}; }

}  // namespace

Outcome<std::unique_ptr<TlsChannel>> TlsChannel::open(int fd, const std::string& host, const ClientTls& tls,
                                                      std::chrono::milliseconds timeout) {
    const std::string failed = "Could not establish an encrypted connection to " + host + ": ";
    ERR_clear_error();
    SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
    if (ctx == nullptr) {
        return unavailable(failed + openssl_reason("cannot create a TLS context"));
    }
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    if (tls.verify) {
        SSL_CTX_set_default_verify_paths(ctx);
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
    } else {
        SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
    }
    SSL* ssl = SSL_new(ctx);
    std::unique_ptr<TlsChannel> channel(new TlsChannel(ctx, ssl));
    if (ssl == nullptr) {
        return unavailable(failed + openssl_reason("cannot create a TLS session"));
    }
    SSL_set_fd(ssl, fd);
    if (!is_ip_address(host)) {
        SSL_set_tlsext_host_name(ssl, host.c_str());
    }
    if (tls.verify) {
        X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
        int ok = is_ip_address(host) ? X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str())
                                     : X509_VERIFY_PARAM_set1_host(param, host.c_str(), host.size());
        if (ok != 1) {
            return unavailable(failed + "cannot check the certificate against '" + host + "'");
        }
    }
    for (;;) {
        int rc = SSL_connect(ssl);
        if (rc == 1) {
            return channel;
        }
        int e = SSL_get_error(ssl, rc);
        if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) {
            long verify = SSL_get_verify_result(ssl);
            std::string why = verify != X509_V_OK ? std::string("certificate verify failed: ") +
                                                        X509_verify_cert_error_string(verify)
                                                  : openssl_reason("the server ended the TLS handshake");
            return unavailable(failed + why);
        }
        pollfd p{fd, static_cast<short>(e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT), 0};
        int ready = ::poll(&p, 1, timeout.count() <= 0 ? -1 : static_cast<int>(timeout.count()));
        if (ready == 0) {
            return unavailable(failed + "the TLS handshake timed out after " + std::to_string(timeout.count()) +
                               " ms");
        }
    }
}

TlsChannel::~TlsChannel() {
    if (ssl_ != nullptr) {
        SSL_free(ssl_);
    }
    SSL_CTX_free(ctx_);
}

ssize_t TlsChannel::result(int n, short& wait) {
    wait = 0;
    if (n > 0) {
        return n;
    }
    int e = SSL_get_error(ssl_, n);
    if (e == SSL_ERROR_WANT_READ) {
        wait = POLLIN;
        return -1;
    }
    if (e == SSL_ERROR_WANT_WRITE) {
        wait = POLLOUT;
        return -1;
    }
    if (e == SSL_ERROR_ZERO_RETURN) {
        return 0;
    }
    if (e == SSL_ERROR_SYSCALL && ERR_peek_error() == 0) {
        return 0;  // the peer closed the socket without a TLS close_notify
    }
    error_ = openssl_reason("TLS error");
    return -1;
}

ssize_t TlsChannel::send(const uint8_t* data, size_t size, short& wait) {
    ERR_clear_error();
    return result(SSL_write(ssl_, data, static_cast<int>(size)), wait);
}

ssize_t TlsChannel::recv(uint8_t* data, size_t size, short& wait) {
    ERR_clear_error();
    return result(SSL_read(ssl_, data, static_cast<int>(size)), wait);
}

}  // namespace refhost::bolt

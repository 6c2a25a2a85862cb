// examples/refhost/bolt/client_tls.hpp: TLS for the blocking Bolt client
// (ccdr-shell), as the drivers' URI schemes ask for it:
//   +s    the server's certificate must chain to a CA the system trusts
//         (OpenSSL's default paths; SSL_CERT_FILE / SSL_CERT_DIR add others)
//         and name the host dialled
//   +ssc  any certificate is accepted (a self-signed one included): the
//         connection is encrypted, the server is not authenticated
// The socket stays non-blocking; every call reports what to wait for, so
// the client keeps its poll() deadlines.
#pragma once

#include "common/error.hpp"

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <sys/types.h>

typedef struct ssl_ctx_st SSL_CTX;
typedef struct ssl_st SSL;

namespace refhost::bolt {

struct ClientTls {
    bool verify = true;  // false: +ssc
};

class TlsChannel {
public:
    // The TLS handshake over connected socket `fd` to `host` (for SNI and
    // the name check), within `timeout` (0: no limit). The error is the
    // JavaScript driver's ServiceUnavailable with OpenSSL's reason.
    static Outcome<std::unique_ptr<TlsChannel>> open(int fd, const std::string& host, const ClientTls& tls,
                                                     std::chrono::milliseconds timeout);
    ~TlsChannel();
    TlsChannel(const TlsChannel&) = delete;
    TlsChannel& operator=(const TlsChannel&) = delete;

    // As send()/recv() on a non-blocking socket: the bytes moved (> 0),
    // 0 when the peer closed (recv), or -1 with `wait` set to POLLIN or
    // POLLOUT to wait for, or -1 with `wait` 0 on a failure (error()).
    ssize_t send(const uint8_t* data, size_t size, short& wait);
    ssize_t recv(uint8_t* data, size_t size, short& wait);
    const std::string& error() const { return error_; }

private:
    TlsChannel(SSL_CTX* ctx, SSL* ssl) : ctx_(ctx), ssl_(ssl) {}
    ssize_t result(int n, short& wait);

    SSL_CTX* ctx_;
    SSL* ssl_;
    std::string error_;
};

}  // namespace refhost::bolt

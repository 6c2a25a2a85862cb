// plugin/transport/connector.hpp: the connecting side. Resolves, connects and
// handshakes within one deadline (ccdr.connect.timeout); the connection it
// returns runs on the caller's strand.
#pragma once

#include "transport/connection.hpp"

#include <memory>
#include <string>

namespace ccdr::transport {

struct ConnectOptions {
    ConnectionOptions connection;
    milliseconds connect_timeout{5'000};
    bool verify_hostname = false;
};

// `address` is "host:port". `tls` null: plaintext. Must be awaited on `strand`.
asio::awaitable<Result<std::shared_ptr<Connection>>> connect_to(Strand strand, std::string address,
                                                                std::shared_ptr<asio::ssl::context> tls,
                                                                ConnectOptions options);

}  // namespace ccdr::transport

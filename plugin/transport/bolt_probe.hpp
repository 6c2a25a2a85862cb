// plugin/transport/bolt_probe.hpp: whether an address answers as a Bolt
// server (a database's client port) rather than a ccdr cluster port.
//
// An `addresses` entry that names a Bolt port fails in a way that says
// nothing: the Bolt server reads the TLS ClientHello (or the plaintext
// HELLO) as a wrong magic preamble and hangs up. After such a failure the
// dialer asks once more, on a fresh plain TCP connection, with the Bolt
// handshake (magic 60 60 B0 17 and four version entries); a Bolt server
// answers with four bytes 00 00 <minor> <major> (or 00 00 00 00 when it
// speaks none of the versions offered), which nothing else sends.
#pragma once

#include "transport/connection.hpp"

#include <chrono>
#include <string>

namespace ccdr::transport {

// What the dialer says instead of the bare failure when probe_bolt() found
// a Bolt server.
std::string bolt_port_hint(const std::string& address);

// True when `address` answered the Bolt handshake within `timeout`; false
// when it did not (any error, a close, other bytes, the timeout).
asio::awaitable<bool> probe_bolt(Strand strand, std::string address, std::chrono::milliseconds timeout);

// Whether four answer bytes are a Bolt server's answer to the handshake.
bool is_bolt_answer(const unsigned char (&answer)[4]);

}  // namespace ccdr::transport

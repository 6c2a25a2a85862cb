// plugin/session/exchange.hpp: the replication session's messages over a
// transport connection, for both ends: send one message, and receive the
// answer to a request, which is either the expected message or the peer's
// REFUSED (with its code and reason); anything else is a protocol error.
//
// Transport moves frames and knows nothing of what they carry; the
// messages (protocol/messages.hpp) and the REFUSED convention meet here.
// Like every Connection operation, these run on the connection's strand.
#pragma once

#include "protocol/messages.hpp"
#include "transport/connection.hpp"

#include <ccdr/status.hpp>

#include <optional>
#include <string>

namespace ccdr::session {

namespace asio = boost::asio;
using std::chrono::milliseconds;

// A request's answer: the expected message, or the peer's refusal.
template <typename M>
struct Reply {
    std::optional<M> message;
    std::optional<protocol::Refused> refused;
};

template <typename M>
asio::awaitable<Status> send(transport::Connection& connection, const M& message) {
    co_return co_await connection.write_payload(M::kType, protocol::encode_message(message));
}

// Reads the answer to a request: M, or REFUSED; anything else is an error
// (CCDR_CORRUPT naming what was expected and what came).
template <typename M>
asio::awaitable<Result<Reply<M>>> receive(transport::Connection& connection, milliseconds timeout) {
    auto frame = co_await connection.read_frame(timeout);
    if (!frame) {
        co_return frame.status();
    }
    Reply<M> reply;
    if (frame->header.type == protocol::MessageType::kRefused) {
        auto r = protocol::decode_message_as<protocol::Refused>(frame->payload);
        if (!r) {
            co_return r.status();
        }
        reply.refused = std::move(r.value());
        co_return reply;
    }
    if (frame->header.type != M::kType) {
        co_return Status(CCDR_CORRUPT, "protocol error: expected " +
                                           std::string(protocol::message_type_name(M::kType)) + " from " +
                                           connection.peer_address() + ", received " +
                                           std::string(protocol::message_type_name(frame->header.type)));
    }
    auto m = protocol::decode_message_as<M>(frame->payload);
    if (!m) {
        co_return m.status();
    }
    reply.message = std::move(m.value());
    co_return reply;
}

}  // namespace ccdr::session

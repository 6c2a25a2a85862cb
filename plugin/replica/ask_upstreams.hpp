// plugin/replica/ask_upstreams.hpp: one request/answer exchange with an
// upstream cluster, from a procedure's thread: each address in turn, on a
// strand of the plugin's runtime, until one answers; the caller blocks for
// the result. Used by the probe (createReplicaDatabase), the fingerprint
// request (verifyReplicaDatabase) and the security request
// (compareSecurity); the last two ask with ask_once.
#pragma once

#include "replica/upstream_dialer.hpp"

#include "protocol/messages.hpp"

#include <future>
#include <string>
#include <vector>

namespace ccdr::plugin {

// What one address said. A refusal can be an answer (the next address would
// say the same): `answered` stops the walk over the addresses.
template <class T>
struct UpstreamAttempt {
    Result<T> result = Status(CCDR_INTERNAL, "not asked");
    bool answered = false;
};

// `ask(strand, address)` returns asio::awaitable<UpstreamAttempt<T>>; it must
// own what it uses (it runs on the runtime, and the caller returns as soon as
// an answer is set). `what` names the request in the error when no address
// answered.
template <class T, class Ask>
Result<T> ask_upstreams(const UpstreamDialer& dialer, const std::vector<std::string>& addresses, std::string what,
                        Ask ask) {
    Status ready = dialer.can_dial(addresses);
    if (!ready) {
        return ready;
    }
    std::promise<Result<T>> done;
    auto answer = done.get_future();
    runtime::IoRuntime& runtime = *dialer.context().runtime;
    auto strand = runtime.make_strand();
    const bool spawned = runtime.spawn(
        strand, [&done, strand, addresses, what = std::move(what), ask = std::move(ask)]() -> asio::awaitable<void> {
            std::string failures;
            for (const auto& address : addresses) {
                UpstreamAttempt<T> attempt = co_await ask(strand, address);
                if (attempt.answered) {
                    done.set_value(std::move(attempt.result));
                    co_return;
                }
                failures += (failures.empty() ? "" : "; ") + address + ": " + attempt.result.status().message();
            }
            done.set_value(Status(CCDR_IO_ERROR, "no upstream address answered " + what + ": " + failures));
        });
    if (!spawned) {
        return Status(CCDR_STOPPED, "the ccdr plugin is stopping");
    }
    return answer.get();
}

// One request and its reply at `address`: connect, HELLO, send `request`,
// receive a `Reply`, hang up. A refusal, of the HELLO or of the request, is
// an answer (CCDR_PROCEDURE_CALL_FAILED with the upstream's reason);
// `convert(reply, address)` makes the T of an accepted reply.
template <class T, class Reply, class Request, class Convert>
asio::awaitable<UpstreamAttempt<T>> ask_once(const UpstreamDialer& dialer, transport::Strand strand,
                                             std::string address, Request request, Convert convert) {
    UpstreamAttempt<T> out;
    auto connected = co_await dialer.connect(strand, address);
    if (!connected) {
        out.result = connected.status();
        co_return out;
    }
    auto connection = connected.value();
    const auto timeout = dialer.context().settings.io_timeout;
    Status st;
    auto hello_reply = co_await dialer.hello(*connection);
    if (!hello_reply) {
        st = hello_reply.status();
    } else if (hello_reply->refused) {
        out.answered = true;
        st = Status(CCDR_PROCEDURE_CALL_FAILED, "refused by " + address + ": " + hello_reply->refused->reason);
    }
    if (st) {
        st = co_await session::send(*connection, request);
    }
    if (st) {
        auto reply = co_await session::receive<Reply>(*connection, timeout);
        if (!reply) {
            // An upstream of an older release closes the connection on a
            // frame type it does not know.
            st = Status(reply.status().code(), reply.status().message() + " (an upstream older than this plugin does " +
                                                   "not answer " +
                                                   std::string(protocol::message_type_name(Request::kType)) + ")");
        } else if (reply->refused) {
            out.answered = true;
            st = Status(CCDR_PROCEDURE_CALL_FAILED, "refused by " + address + ": " + reply->refused->reason);
        } else {
            out.answered = true;
            out.result = convert(*reply->message, address);
        }
    }
    connection->close(std::string(protocol::message_type_name(Request::kType)) + " done");
    if (!st) {
        out.result = st;
    }
    co_return out;
}

}  // namespace ccdr::plugin

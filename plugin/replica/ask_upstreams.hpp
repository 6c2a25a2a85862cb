// plugin/replica/ask_upstreams.hpp: one request/answer exchange with an
// upstream cluster, from a procedure's thread: each address in turn, on a
// strand of the plugin's runtime, until one answers; the caller blocks for
// the result. Used by the probe (createReplicaDatabase), the fingerprint
// request (verifyReplicaDatabase) and the security request
// (compareSecurity); the last two ask with ask_once.
//
// `addresses` may be any servers of the upstream cluster, and a cluster does
// not host every database on every server: a server that answers "not here"
// (no member of the database, or not online on it) does not end the walk;
// the next address is asked. Only an answer every server would give (the
// database's state, a refusal by the allow-list or the lineage) ends it.
#pragma once

#include "replica/upstream_dialer.hpp"

#include "protocol/messages.hpp"

#include <future>
#include <optional>
#include <string>
#include <vector>

namespace ccdr::plugin {

// What one address said. A refusal can be an answer (the next address would
// say the same): `answered` stops the walk over the addresses. `not_here`:
// the server answered, but for itself only (it does not host the database
// online); the walk goes on, and the first such result is the answer when no
// address says more.
template <class T>
struct UpstreamAttempt {
    Result<T> result = Status(CCDR_INTERNAL, "not asked");
    bool answered = false;
    bool not_here = false;
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
            std::optional<Result<T>> not_here;
            for (const auto& address : addresses) {
                UpstreamAttempt<T> attempt = co_await ask(strand, address);
                if (attempt.answered) {
                    done.set_value(std::move(attempt.result));
                    co_return;
                }
                const std::string why =
                    attempt.result ? std::string("does not host it online") : attempt.result.status().message();
                failures += (failures.empty() ? "" : "; ") + address + ": " + why;
                if (attempt.not_here && !not_here) {
                    not_here = std::move(attempt.result);
                }
            }
            if (not_here && not_here->is_ok()) {
                done.set_value(std::move(*not_here));
            } else if (not_here) {
                // Every server that answered said "not here": that is the
                // answer (with its code), naming what each address said.
                done.set_value(Status(not_here->status().code(),
                                      "no upstream address answered " + what +
                                          " (no server asked hosts the database online): " + failures));
            } else {
                done.set_value(Status(CCDR_IO_ERROR, "no upstream address answered " + what + ": " + failures));
            }
        });
    if (!spawned) {
        return Status(CCDR_STOPPED, "the ccdr plugin is stopping");
    }
    return answer.get();
}

// Refusals that are one server's alone: it has no member of the database, or
// its member is not online. Another server of the cluster may host it.
inline bool refused_for_this_server_only(protocol::RefusalCode code) {
    return code == protocol::RefusalCode::kDatabaseNotFound || code == protocol::RefusalCode::kDatabaseOffline;
}

// One request and its reply at `address`: connect, HELLO, send `request`,
// receive a `Reply`, hang up. A refusal, of the HELLO or of the request, is
// an answer (CCDR_PROCEDURE_CALL_FAILED with the upstream's reason), except
// "not found"/"offline" (refused_for_this_server_only), which asks on;
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
            out.not_here = refused_for_this_server_only(reply->refused->code);
            out.answered = !out.not_here;
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

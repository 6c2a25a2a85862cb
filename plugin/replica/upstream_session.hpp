// plugin/replica/upstream_session.hpp: one session with an upstream server
// that a procedure's thread holds open across several requests, as a
// switchover does (FENCE_REQUEST, then the DEMOTE_REQUEST once the replica
// caught up and was promoted, on the same session, because the upstream
// lets only the session that fenced a database demote it).
//
// open() walks the addresses like ask_upstreams until one completes HELLO;
// ask() sends one request and waits for its reply. Both block the calling
// thread (never one of the plugin's I/O threads) while the exchange runs on
// the session's strand. The destructor closes the connection.
#pragma once

#include "replica/upstream_dialer.hpp"
#include "session/exchange.hpp"

#include <ccdr/status.hpp>

#include <future>
#include <memory>
#include <string>
#include <vector>

namespace ccdr::plugin {

class UpstreamSession {
public:
    // CCDR_IO_ERROR naming every address tried when none completed HELLO;
    // CCDR_PROCEDURE_CALL_FAILED when one refused it.
    static Result<std::unique_ptr<UpstreamSession>> open(const UpstreamDialer& dialer,
                                                         const std::vector<std::string>& addresses);
    ~UpstreamSession();
    UpstreamSession(const UpstreamSession&) = delete;
    UpstreamSession& operator=(const UpstreamSession&) = delete;

    const std::string& address() const { return address_; }
    // The protocol version HELLO agreed on.
    uint32_t version() const { return version_; }

    // Sends `request`, waits up to `timeout` for a `Reply`. The upstream's
    // refusal is CCDR_PROCEDURE_CALL_FAILED with its reason; a lost
    // connection or an unexpected frame keeps its code, with the address.
    template <class Reply, class Request>
    Result<Reply> ask(const Request& request, std::chrono::milliseconds timeout) {
        auto done = std::make_shared<std::promise<Result<Reply>>>();
        auto answer = done->get_future();
        auto connection = connection_;
        const std::string address = address_;
        const bool spawned = runtime_.spawn(strand_, [done, connection, request, timeout, address]()
                                                         -> asio::awaitable<void> {
            Status sent = co_await session::send(*connection, request);
            if (!sent) {
                done->set_value(Status(sent.code(), "sending " +
                                                         std::string(protocol::message_type_name(Request::kType)) +
                                                         " to " + address + ": " + sent.message()));
                co_return;
            }
            auto reply = co_await session::receive<Reply>(*connection, timeout);
            if (!reply) {
                done->set_value(Status(reply.status().code(),
                                       "waiting for " + std::string(protocol::message_type_name(Reply::kType)) +
                                           " from " + address + ": " + reply.status().message()));
            } else if (reply->refused) {
                done->set_value(Status(CCDR_PROCEDURE_CALL_FAILED, "refused by " + address + ": " +
                                                                       reply->refused->reason));
            } else {
                done->set_value(std::move(*reply->message));
            }
        });
        if (!spawned) {
            return Status(CCDR_STOPPED, "the ccdr plugin is stopping");
        }
        return answer.get();
    }

private:
    UpstreamSession(runtime::IoRuntime& runtime, transport::Strand strand,
                    std::shared_ptr<transport::Connection> connection, std::string address, uint32_t version)
        : runtime_(runtime), strand_(std::move(strand)), connection_(std::move(connection)),
          address_(std::move(address)), version_(version) {}

    runtime::IoRuntime& runtime_;
    transport::Strand strand_;
    std::shared_ptr<transport::Connection> connection_;
    std::string address_;
    uint32_t version_ = 0;
};

}  // namespace ccdr::plugin

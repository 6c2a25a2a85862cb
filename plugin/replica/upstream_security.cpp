#include "replica/upstream_security.hpp"

#include "protocol/messages.hpp"
#include "replica/ask_upstreams.hpp"
#include "transport/connector.hpp"

namespace ccdr::plugin {
namespace {

using Attempt = UpstreamAttempt<UpstreamUsers>;

asio::awaitable<Attempt> ask(EngineContext& context, transport::Strand strand, std::string address,
                             protocol::SecurityRequest request) {
    Attempt out;
    auto connected =
        co_await transport::connect_to(strand, address, context.security.client_tls, context.connect_options());
    if (!connected) {
        out.result = connected.status();
        co_return out;
    }
    auto connection = connected.value();
    const auto timeout = context.settings.io_timeout;
    protocol::Hello hello{protocol::kMinProtocolVersion, protocol::kMaxProtocolVersion, context.server.cluster_id,
                          context.server.server_id};
    Status st = co_await connection->send(hello);
    if (st) {
        auto hello_reply = co_await connection->receive<protocol::HelloOk>(timeout);
        if (!hello_reply) {
            st = hello_reply.status();
        } else if (hello_reply->refused) {
            out.answered = true;
            st = Status(CCDR_PROCEDURE_CALL_FAILED, "refused by " + address + ": " + hello_reply->refused->reason);
        }
    }
    if (st) {
        st = co_await connection->send(request);
    }
    if (st) {
        auto reply = co_await connection->receive<protocol::SecuritySnapshot>(timeout);
        if (!reply) {
            // An upstream of a release without SECURITY_REQUEST closes the
            // connection on the unknown frame type.
            st = Status(reply.status().code(), reply.status().message() +
                                                   " (an upstream older than this plugin does not answer "
                                                   "SECURITY_REQUEST)");
        } else if (reply->refused) {
            out.answered = true;
            st = Status(CCDR_PROCEDURE_CALL_FAILED, "refused by " + address + ": " + reply->refused->reason);
        } else {
            auto& m = *reply->message;
            UpstreamUsers users{address, m.cluster_id, {}};
            for (auto& u : m.users) {
                users.users.push_back(UserInfo{std::move(u.name), std::move(u.roles)});
            }
            out.answered = true;
            out.result = std::move(users);
        }
    }
    connection->close("security request done");
    if (!st) {
        out.result = st;
    }
    co_return out;
}

}  // namespace

Result<UpstreamUsers> users_of_upstream(EngineContext& context, const std::vector<std::string>& addresses,
                                        const std::string& remote) {
    protocol::SecurityRequest request{remote};
    return ask_upstreams<UpstreamUsers>(
        context, addresses, "a security request for database '" + remote + "'",
        [&context, request](transport::Strand strand, const std::string& address) {
            return ask(context, strand, address, request);
        });
}

}  // namespace ccdr::plugin

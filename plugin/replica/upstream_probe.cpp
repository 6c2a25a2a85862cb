#include "replica/upstream_probe.hpp"

#include "protocol/messages.hpp"
#include "replica/ask_upstreams.hpp"
#include "transport/connector.hpp"


namespace ccdr::plugin {
namespace {

asio::awaitable<Result<RemoteDatabaseInfo>> ask(EngineContext& context, transport::Strand strand,
                                                std::string address, std::string remote) {
    const transport::ConnectOptions connect_options = context.connect_options();
    auto connected = co_await transport::connect_to(strand, address, context.security.client_tls, connect_options);
    if (!connected) {
        co_return connected.status();
    }
    auto connection = connected.value();
    const auto timeout = context.settings.io_timeout;
    protocol::Hello hello{protocol::kMinProtocolVersion, protocol::kMaxProtocolVersion, context.server.cluster_id,
                          context.server.server_id};
    Status st = co_await connection->send(hello);
    Result<transport::Reply<protocol::DatabaseInfoReply>> info = st;
    if (st) {
        auto hello_reply = co_await connection->receive<protocol::HelloOk>(timeout);
        if (!hello_reply) {
            info = hello_reply.status();
        } else if (hello_reply->refused) {
            info = Status(CCDR_UNSUPPORTED, "refused: " + hello_reply->refused->reason);
        } else {
            protocol::DatabaseInfoRequest request{remote};
            st = co_await connection->send(request);
            if (st) {
                info = co_await connection->receive<protocol::DatabaseInfoReply>(timeout);
            } else {
                info = st;
            }
        }
    }
    connection->close("probe done");
    if (!info) {
        co_return info.status();
    }
    if (info->refused) {
        co_return Status(CCDR_UNSUPPORTED, "refused: " + info->refused->reason);
    }
    const auto& m = *info->message;
    RemoteDatabaseInfo out;
    out.address = address;
    out.name = m.name;
    out.exists = m.exists;
    out.online = m.online;
    out.kind = m.kind == 0 ? CCDR_KIND_STANDARD : static_cast<ccdr_database_kind>(m.kind);
    out.store_id = m.store_id;
    out.epoch = m.epoch;
    out.last_tx = m.last_tx;
    out.last_commit_ms = m.last_commit_ms;
    out.oldest_retained_tx = m.oldest_retained_tx;
    out.refusal = m.refusal;
    co_return out;
}

}  // namespace

Result<RemoteDatabaseInfo> probe_upstream(EngineContext& context, const std::vector<std::string>& addresses,
                                          const std::string& remote) {
    return ask_upstreams<RemoteDatabaseInfo>(
        context, addresses, "for database '" + remote + "'",
        [&context, remote](transport::Strand strand, const std::string& address)
            -> asio::awaitable<UpstreamAttempt<RemoteDatabaseInfo>> {
            // Any failure or refusal here may be this address's alone: try the next.
            auto info = co_await ask(context, strand, address, remote);
            const bool answered = info.is_ok();
            co_return UpstreamAttempt<RemoteDatabaseInfo>{std::move(info), answered};
        });
}

}  // namespace ccdr::plugin

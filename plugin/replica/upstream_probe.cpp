#include "replica/upstream_probe.hpp"

#include "protocol/messages.hpp"
#include "replica/ask_upstreams.hpp"

namespace ccdr::plugin {
namespace {

asio::awaitable<Result<RemoteDatabaseInfo>> ask(const UpstreamDialer& dialer, transport::Strand strand,
                                                std::string address, std::string remote) {
    auto connected = co_await dialer.connect(strand, address);
    if (!connected) {
        co_return connected.status();
    }
    auto connection = connected.value();
    const auto timeout = dialer.context().settings.io_timeout;
    Result<session::Reply<protocol::DatabaseInfoReply>> info = Status();
    auto hello_reply = co_await dialer.hello(*connection);
    if (!hello_reply) {
        info = hello_reply.status();
    } else if (hello_reply->refused) {
        info = Status(CCDR_UNSUPPORTED, "refused: " + hello_reply->refused->reason);
    } else {
        protocol::DatabaseInfoRequest request{remote};
        Status st = co_await session::send(*connection, request);
        if (st) {
            info = co_await session::receive<protocol::DatabaseInfoReply>(*connection, timeout);
        } else {
            info = st;
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

Result<RemoteDatabaseInfo> probe_upstream(const UpstreamDialer& dialer, const std::vector<std::string>& addresses,
                                          const std::string& remote) {
    return ask_upstreams<RemoteDatabaseInfo>(
        dialer, addresses, "for database '" + remote + "'",
        [&dialer, remote](transport::Strand strand, const std::string& address)
            -> asio::awaitable<UpstreamAttempt<RemoteDatabaseInfo>> {
            // Any failure or refusal here may be this address's alone: try the next.
            auto info = co_await ask(dialer, strand, address, remote);
            const bool answered = info.is_ok();
            co_return UpstreamAttempt<RemoteDatabaseInfo>{std::move(info), answered};
        });
}

}  // namespace ccdr::plugin

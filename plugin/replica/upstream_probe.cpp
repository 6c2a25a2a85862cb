#include "replica/upstream_probe.hpp"

#include "protocol/messages.hpp"
#include "replica/ask_upstreams.hpp"

#include <memory>

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
    std::string cluster_id;
    auto hello_reply = co_await dialer.hello(*connection);
    if (!hello_reply) {
        info = hello_reply.status();
    } else if (hello_reply->refused) {
        info = Status(CCDR_UNSUPPORTED, "refused: " + hello_reply->refused->reason);
    } else {
        cluster_id = hello_reply->message->cluster_id;
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
    out.cluster_id = cluster_id;
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

// Whether `info` is an answer for the whole cluster: the server hosts the
// database online, or says something every server would say (the allow-list
// refuses it, or it is a replica or system database).
bool hosted_here(const RemoteDatabaseInfo& info) {
    if (!info.refusal.empty()) {
        return true;
    }
    return info.exists && (info.online || info.kind != CCDR_KIND_STANDARD);
}

std::string join_addresses(const std::vector<std::string>& addresses) {
    std::string out;
    for (const auto& a : addresses) {
        out += (out.empty() ? "" : ", ") + a;
    }
    return out;
}

}  // namespace

Result<RemoteDatabaseInfo> probe_upstream(const UpstreamDialer& dialer, const std::vector<std::string>& addresses,
                                          const std::string& remote) {
    // Addresses whose server said the database is not here (filled on the
    // runtime before the answer is set; read after it).
    auto not_here = std::make_shared<std::vector<std::string>>();
    auto out = ask_upstreams<RemoteDatabaseInfo>(
        dialer, addresses, "for database '" + remote + "'",
        [&dialer, remote, not_here](transport::Strand strand, const std::string& address)
            -> asio::awaitable<UpstreamAttempt<RemoteDatabaseInfo>> {
            // A failure or a refused HELLO may be this address's alone: try the next.
            auto info = co_await ask(dialer, strand, address, remote);
            UpstreamAttempt<RemoteDatabaseInfo> attempt;
            if (info) {
                attempt.not_here = !hosted_here(*info);
                attempt.answered = !attempt.not_here;
                if (attempt.not_here) {
                    not_here->push_back(address);
                }
            }
            attempt.result = std::move(info);
            co_return attempt;
        });
    if (out && !hosted_here(*out)) {
        out->address = join_addresses(*not_here);
    }
    return out;
}

}  // namespace ccdr::plugin

#include "replica/upstream_probe.hpp"

#include "protocol/messages.hpp"
#include "replica/ask_upstreams.hpp"

#include <memory>

namespace ccdr::plugin {
namespace {

// One address's answer; `whole_cluster`: a refusal every server of that
// cluster would give (another major plugin version), which ends the walk.
struct ProbeAnswer {
    Result<RemoteDatabaseInfo> info = Status(CCDR_INTERNAL, "not asked");
    bool whole_cluster = false;
};

asio::awaitable<ProbeAnswer> ask(const UpstreamDialer& dialer, transport::Strand strand, std::string address,
                                 std::string remote) {
    ProbeAnswer out;
    auto connected = co_await dialer.connect(strand, address);
    if (!connected) {
        out.info = connected.status();
        co_return out;
    }
    auto connection = connected.value();
    const auto timeout = dialer.context().settings.io_timeout;
    Result<session::Reply<protocol::DatabaseInfoReply>> info = Status();
    std::string cluster_id;
    auto hello_reply = co_await dialer.hello(*connection);
    if (!hello_reply) {
        info = hello_reply.status();
    } else if (hello_reply->refused) {
        out.whole_cluster = hello_reply->refused->code == protocol::RefusalCode::kPluginVersion;
        // The walk names the address of a refusal it goes past; one that
        // ends it names its address here.
        info = Status(CCDR_UNSUPPORTED, (out.whole_cluster ? address + " refused: " : std::string("refused: ")) +
                                            hello_reply->refused->reason);
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
        out.info = info.status();
        co_return out;
    }
    if (info->refused) {
        out.info = Status(CCDR_UNSUPPORTED, "refused: " + info->refused->reason);
        co_return out;
    }
    const auto& m = *info->message;
    RemoteDatabaseInfo db;
    db.address = address;
    db.cluster_id = cluster_id;
    db.name = m.name;
    db.exists = m.exists;
    db.online = m.online;
    db.kind = m.kind == 0 ? CCDR_KIND_STANDARD : static_cast<ccdr_database_kind>(m.kind);
    db.store_id = m.store_id;
    db.epoch = m.epoch;
    db.last_tx = m.last_tx;
    db.last_commit_ms = m.last_commit_ms;
    db.oldest_retained_tx = m.oldest_retained_tx;
    db.refusal = m.refusal;
    co_return ProbeAnswer{std::move(db), false};
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
            // A failure or a refused HELLO may be this address's alone (but for
            // another major plugin version): try the next.
            ProbeAnswer answer = co_await ask(dialer, strand, address, remote);
            auto& info = answer.info;
            UpstreamAttempt<RemoteDatabaseInfo> attempt;
            attempt.answered = answer.whole_cluster;
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

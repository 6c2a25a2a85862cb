#include "replica/upstream_hold_release.hpp"

#include "protocol/frame.hpp"
#include "session/exchange.hpp"

namespace ccdr::plugin {
namespace {

// The message is named before it is awaited: GCC 12 destroys a braced
// temporary created inside a co_await expression twice (docs/protocol.md §8).
asio::awaitable<Status> send_release(transport::Connection& connection, std::string remote,
                                     std::string replica_database) {
    const protocol::HoldRelease request{std::move(remote), std::move(replica_database)};
    co_return co_await session::send(connection, request);
}

}  // namespace

void release_upstream_holds(const UpstreamDialer& dialer, const ReplicaConfig& link,
                            const std::string& replica_database) {
    if (!dialer.can_dial(link.addresses)) {
        return;
    }
    const session::SessionContext& context = dialer.context();
    runtime::IoRuntime& runtime = *context.runtime;
    auto strand = runtime.make_strand();
    runtime.spawn(strand, [&dialer, strand, link, replica_database]() -> asio::awaitable<void> {
        const session::SessionContext& context = dialer.context();
        for (const auto& address : link.addresses) {
            std::string outcome;
            auto connected = co_await dialer.connect(strand, address);
            if (!connected) {
                outcome = connected.status().message();
            } else {
                std::shared_ptr<transport::Connection> connection = connected.value();
                auto hello = co_await dialer.hello(*connection);
                if (!hello || !hello->message) {
                    outcome = hello ? hello->refused->reason : hello.status().message();
                } else if (hello->message->version < protocol::kLogHoldProtocol) {
                    outcome = "it speaks protocol " + std::to_string(hello->message->version) +
                              ", which has no HOLD_RELEASE: its holds end at their cap";
                } else if (Status sent = co_await send_release(*connection, link.remote, replica_database);
                           !sent) {
                    outcome = sent.message();
                } else {
                    auto answer =
                        co_await session::receive<protocol::HoldReleased>(*connection, context.settings.io_timeout);
                    if (!answer) {
                        outcome = answer.status().message();
                    } else if (!answer->message) {
                        outcome = "refused: " + answer->refused->reason;
                    } else {
                        outcome = std::to_string(answer->message->released) + " log hold(s) ended";
                    }
                }
                connection->close("hold release done");
            }
            context.log->info("replica database '{}' dropped: told {} (upstream '{}'): {}", replica_database,
                              address, link.remote, outcome);
        }
    });
}

}  // namespace ccdr::plugin

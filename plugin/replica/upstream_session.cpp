#include "replica/upstream_session.hpp"

namespace ccdr::plugin {

Result<std::unique_ptr<UpstreamSession>> UpstreamSession::open(const UpstreamDialer& dialer,
                                                               const std::vector<std::string>& addresses) {
    Status ready = dialer.can_dial(addresses);
    if (!ready) {
        return ready;
    }
    struct Opened {
        std::shared_ptr<transport::Connection> connection;
        std::string address;
        uint32_t version = 0;
    };
    runtime::IoRuntime& runtime = *dialer.context().runtime;
    auto strand = runtime.make_strand();
    auto done = std::make_shared<std::promise<Result<Opened>>>();
    auto answer = done->get_future();
    const bool spawned = runtime.spawn(strand, [done, strand, addresses, &dialer]() -> asio::awaitable<void> {
        std::string failures;
        for (const auto& address : addresses) {
            auto connected = co_await dialer.connect(strand, address);
            if (!connected) {
                failures += (failures.empty() ? "" : "; ") + address + ": " + connected.status().message();
                continue;
            }
            auto connection = connected.value();
            auto hello = co_await dialer.hello(*connection);
            if (!hello) {
                failures += (failures.empty() ? "" : "; ") + address + ": " + hello.status().message();
                connection->close("HELLO failed");
                continue;
            }
            if (hello->refused) {
                connection->close("HELLO refused");
                done->set_value(Status(CCDR_PROCEDURE_CALL_FAILED,
                                       "refused by " + address + ": " + hello->refused->reason));
                co_return;
            }
            done->set_value(Opened{connection, address, hello->message->version});
            co_return;
        }
        done->set_value(Status(CCDR_IO_ERROR, "no upstream address answered: " + failures));
    });
    if (!spawned) {
        return Status(CCDR_STOPPED, "the ccdr plugin is stopping");
    }
    auto opened = answer.get();
    if (!opened) {
        return opened.status();
    }
    return std::unique_ptr<UpstreamSession>(
        new UpstreamSession(runtime, strand, std::move(opened->connection), std::move(opened->address),
                          opened->version));
}

UpstreamSession::~UpstreamSession() {
    if (connection_) {
        connection_->post_close("session done");
    }
}

}  // namespace ccdr::plugin

#include "replica/upstream_fingerprint.hpp"

#include "protocol/messages.hpp"
#include "replica/ask_upstreams.hpp"

namespace ccdr::plugin {
namespace {

// A refusal is an answer: the next address would say the same.
using Attempt = UpstreamAttempt<UpstreamFingerprint>;

asio::awaitable<Attempt> ask(const UpstreamDialer& dialer, transport::Strand strand, std::string address,
                             protocol::FingerprintRequest request) {
    Attempt out;
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
        auto reply = co_await session::receive<protocol::FingerprintReply>(*connection, timeout);
        if (!reply) {
            // An upstream of a release without FINGERPRINT_REQUEST closes the
            // connection on the unknown frame type.
            st = Status(reply.status().code(), reply.status().message() +
                                                   " (an upstream older than this plugin does not answer "
                                                   "FINGERPRINT_REQUEST)");
        } else if (reply->refused) {
            out.answered = true;
            st = Status(CCDR_PROCEDURE_CALL_FAILED, "refused by " + address + ": " + reply->refused->reason);
        } else {
            const auto& m = *reply->message;
            out.answered = true;
            out.result = UpstreamFingerprint{address, m.tx_id, m.algorithm, m.fingerprint};
        }
    }
    connection->close("fingerprint done");
    if (!st) {
        out.result = st;
    }
    co_return out;
}

}  // namespace

Result<UpstreamFingerprint> fingerprint_upstream(const UpstreamDialer& dialer,
                                                 const std::vector<std::string>& addresses, const std::string& remote,
                                                 const std::string& store_id, uint64_t epoch) {
    protocol::FingerprintRequest request{remote, store_id, epoch};
    return ask_upstreams<UpstreamFingerprint>(
        dialer, addresses, "a fingerprint request for database '" + remote + "'",
        [&dialer, request](transport::Strand strand, const std::string& address) {
            return ask(dialer, strand, address, request);
        });
}

}  // namespace ccdr::plugin

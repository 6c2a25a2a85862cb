#include "replica/upstream_dialer.hpp"

#include "transport/bolt_probe.hpp"

#include <algorithm>

namespace ccdr::plugin {

Status UpstreamDialer::can_dial(const std::vector<std::string>& addresses) const {
    if (!security_.usable()) {
        return {CCDR_UNSUPPORTED, security_.disabled_reason};
    }
    if (context_.runtime == nullptr) {
        return {CCDR_STOPPED, "the ccdr plugin is not started"};
    }
    if (addresses.empty()) {
        return {CCDR_INVALID_ARGUMENT, "no upstream address given"};
    }
    return {};
}

std::chrono::milliseconds UpstreamDialer::member_connect_timeout() const {
    using std::chrono::milliseconds;
    const milliseconds two_beats = 2 * context_.settings.heartbeat_interval;
    return std::min(context_.settings.connect_timeout, std::max(two_beats, milliseconds(500)));
}

asio::awaitable<Result<std::shared_ptr<transport::Connection>>> UpstreamDialer::connect(
    transport::Strand strand, std::string address, std::chrono::milliseconds timeout) const {
    transport::ConnectOptions options;
    options.connection = context_.connection_options();
    options.connect_timeout = timeout.count() > 0 ? timeout : context_.settings.connect_timeout;
    options.verify_hostname = security_.verify_hostname;
    auto connected = co_await transport::connect_to(strand, address, security_.client_tls, options);
    if (!connected && connected.status().message().find("closed the connection during the TLS handshake") !=
                          std::string::npos) {
        // A Bolt port hangs up on a ClientHello without a word: ask it.
        if (co_await transport::probe_bolt(strand, address, options.connect_timeout)) {
            co_return Status(connected.status().code(), "connecting to " + address +
                                                            ": peer closed the TLS handshake; " +
                                                            transport::bolt_port_hint(address));
        }
    }
    co_return connected;
}

asio::awaitable<Result<session::Reply<protocol::HelloOk>>> UpstreamDialer::hello(
    transport::Connection& connection) const {
    const protocol::PluginVersion& local = context_.plugin_version;
    protocol::Hello hello{protocol::kMinProtocolVersion, protocol::kMaxProtocolVersion, context_.server.cluster_id,
                          context_.server.server_id, local.text};
    if (Status st = co_await session::send(connection, hello); !st) {
        co_return st;
    }
    auto reply = co_await session::receive<protocol::HelloOk>(connection, context_.settings.io_timeout);
    if (!reply) {
        // A release of protocol 1 cannot read a HELLO of protocol 2 and
        // hangs up without a word: when the upstream closed the connection
        // (transport's words for EOF), say what that may mean, since nothing
        // else will.
        if (reply.status().code() == CCDR_IO_ERROR &&
            reply.status().message().find("closed the connection") != std::string::npos) {
            // Without TLS (ccdr.allow_plaintext) a Bolt port hangs up on the
            // HELLO the same way: ask it first.
            const std::string address = connection.peer_address();
            if (co_await transport::probe_bolt(connection.strand(), address, context_.settings.connect_timeout)) {
                co_return Status(CCDR_IO_ERROR, address + " closed the connection after HELLO; " +
                                                    transport::bolt_port_hint(address));
            }
            co_return Status(CCDR_IO_ERROR,
                             reply.status().message() + " after HELLO (an upstream running a ccdr plugin older " +
                                 "than 0.2 (protocol 1) cannot read this server's HELLO and closes the connection; " +
                                 "this server runs " + local.text + ")");
        }
        co_return reply;
    }
    if (!reply->message) {
        co_return reply;  // refused: the caller reports the upstream's reason
    }
    const protocol::HelloOk& ok = *reply->message;
    const protocol::PluginVersion upstream = upstream_version(ok);
    switch (session::compare_plugin_versions(local, upstream)) {
        case session::VersionMatch::kSame: break;
        case session::VersionMatch::kMinor:
            if (context_.version_notices->first("upstream", ok.cluster_id, ok.server_id, upstream.text)) {
                context_.log->warn(
                    "upstream server {} of cluster {} at {} runs ccdr plugin {}, this server runs {}: minor versions "
                    "differ, replication goes on; run the same version on both clusters",
                    ok.server_id, ok.cluster_id, connection.peer_address(), upstream.text, local.text);
            }
            break;
        case session::VersionMatch::kMajor:
            // An upstream of this release refuses such a HELLO itself; one
            // that answered anyway is refused here, with the same sentence.
            reply->refused = protocol::Refused{protocol::RefusalCode::kPluginVersion,
                                               session::major_mismatch_reason(local.text, upstream.text)};
            reply->message.reset();
            break;
    }
    co_return reply;
}

protocol::PluginVersion UpstreamDialer::upstream_version(const protocol::HelloOk& ok) {
    if (ok.version < protocol::kPluginVersionProtocol) {
        return protocol::legacy_plugin_version();
    }
    auto parsed = protocol::parse_plugin_version(ok.plugin_version);  // HelloOk::check parsed it already
    return parsed ? *parsed : protocol::legacy_plugin_version();
}

std::string UpstreamDialer::version_note(const protocol::HelloOk& ok) const {
    const protocol::PluginVersion upstream = upstream_version(ok);
    if (session::compare_plugin_versions(context_.plugin_version, upstream) == session::VersionMatch::kSame) {
        return {};
    }
    return session::minor_mismatch_note(upstream.text, context_.plugin_version.text);
}

}  // namespace ccdr::plugin

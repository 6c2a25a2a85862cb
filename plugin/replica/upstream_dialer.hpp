// plugin/replica/upstream_dialer.hpp: how this server opens a session to an
// upstream server, for the replica member's puller, the probe of
// createReplicaDatabase and the fingerprint request of verifyReplicaDatabase:
// connect within ccdr.connect.timeout (TLS from the cluster SSL policy, or
// plaintext where ccdr.allow_plaintext permits it), then HELLO -> HELLO_OK,
// where the plugin versions of both sides meet.
// The two steps are separate so a caller can register the connection (to
// close it on stop) before it waits for the upstream's answer.
#pragma once

#include "protocol/messages.hpp"
#include "session/exchange.hpp"
#include "session/session_context.hpp"
#include "transport/connector.hpp"
#include "transport/security.hpp"

#include <ccdr/status.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace ccdr::plugin {

namespace asio = boost::asio;

class UpstreamDialer {
public:
    UpstreamDialer(const session::SessionContext& context, const transport::TransportSecurity& security)
        : context_(context), security_(security) {}

    // Whether replication is possible at all (TLS, or allowed plaintext);
    // else disabled_reason() says why not.
    bool usable() const { return security_.usable(); }
    const std::string& disabled_reason() const { return security_.disabled_reason; }

    // Whether a request to an upstream at `addresses` can be made now:
    // replication possible, plugin started, at least one address.
    Status can_dial(const std::vector<std::string>& addresses) const;

    // Resolves, connects and handshakes TLS within `timeout` (zero:
    // ccdr.connect.timeout); the connection runs on `strand` (which the
    // caller must be on).
    asio::awaitable<Result<std::shared_ptr<transport::Connection>>> connect(
        transport::Strand strand, std::string address,
        std::chrono::milliseconds timeout = std::chrono::milliseconds(0)) const;
    // How long a dial to another member of a replica database may take: the
    // members sit in one cluster, and while a member is dialled its session
    // waits (a takeover, or a probe in the middle of a stream), so a member
    // whose address takes no connection at all (a crashed machine: no
    // RST, only lost SYNs; a frozen process: no TLS answer) costs two
    // heartbeat intervals, at least 500 ms (a TLS handshake on a loaded
    // server), never more than ccdr.connect.timeout.
    std::chrono::milliseconds member_connect_timeout() const;
    // Says HELLO with this server's identity and plugin version and reads
    // the answer: HELLO_OK, or the upstream's refusal. Plugin versions are
    // compared as session/version_check.hpp says: another major version is
    // a refusal (code kPluginVersion, whichever side saw it first), another
    // minor one is logged once per upstream server and version.
    asio::awaitable<Result<session::Reply<protocol::HelloOk>>> hello(transport::Connection& connection) const;

    // The upstream's plugin version as its HELLO_OK says it (a 0.1 release
    // when it chose protocol 1).
    static protocol::PluginVersion upstream_version(const protocol::HelloOk& ok);
    // For a replica member's status message: "" for the same version, else
    // " (upstream plugin 0.3.0, this 0.2.0)".
    std::string version_note(const protocol::HelloOk& ok) const;

    const session::SessionContext& context() const { return context_; }

private:
    const session::SessionContext& context_;
    const transport::TransportSecurity& security_;
};

}  // namespace ccdr::plugin

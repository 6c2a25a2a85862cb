#include "replica/upstream_dialer.hpp"

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

asio::awaitable<Result<std::shared_ptr<transport::Connection>>> UpstreamDialer::connect(transport::Strand strand,
                                                                                       std::string address) const {
    transport::ConnectOptions options;
    options.connection = context_.connection_options();
    options.connect_timeout = context_.settings.connect_timeout;
    options.verify_hostname = security_.verify_hostname;
    co_return co_await transport::connect_to(strand, std::move(address), security_.client_tls, options);
}

asio::awaitable<Result<session::Reply<protocol::HelloOk>>> UpstreamDialer::hello(
    transport::Connection& connection) const {
    protocol::Hello hello{protocol::kMinProtocolVersion, protocol::kMaxProtocolVersion, context_.server.cluster_id,
                          context_.server.server_id};
    if (Status st = co_await session::send(connection, hello); !st) {
        co_return st;
    }
    co_return co_await session::receive<protocol::HelloOk>(connection, context_.settings.io_timeout);
}

}  // namespace ccdr::plugin

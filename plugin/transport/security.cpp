#include "transport/security.hpp"

namespace ccdr::transport {

Result<TransportSecurity> make_transport_security(const HostHandle& host, bool allow_plaintext) {
    auto policy = read_tls_policy(host);
    if (!policy) {
        return policy.status();
    }
    TransportSecurity out;
    if (!policy->enabled) {
        if (allow_plaintext) {
            out.plaintext = true;
        } else {
            out.disabled_reason = kTlsRequiredReason;
        }
        return out;
    }
    auto contexts = build_tls_contexts(*policy);
    if (!contexts) {
        return contexts.status();
    }
    out.server_tls = contexts->server;
    out.client_tls = contexts->client;
    out.verify_hostname = policy->verify_hostname;
    return out;
}

}  // namespace ccdr::transport

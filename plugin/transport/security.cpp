#include "transport/security.hpp"

namespace ccdr::transport {

Result<TransportSecurity> make_transport_security(const plugin::TlsPolicy& policy, bool allow_plaintext) {
    TransportSecurity out;
    if (!policy.enabled) {
        if (allow_plaintext) {
            out.plaintext = true;
        } else {
            out.disabled_reason = kTlsRequiredReason;
        }
        return out;
    }
    auto contexts = build_tls_contexts(policy);
    if (!contexts) {
        return contexts.status();
    }
    out.server_tls = contexts->server;
    out.client_tls = contexts->client;
    out.verify_hostname = policy.verify_hostname;
    return out;
}

}  // namespace ccdr::transport

// plugin/transport/security.hpp: decides how this server replicates: TLS
// from the cluster SSL policy; plaintext only when the policy is disabled and
// ccdr.allow_plaintext=true; otherwise not at all, with the reason every
// replica member and probe reports. The policy comes read and parsed
// (settings/tls_policy.hpp): transport never reads a setting.
#pragma once

#include "settings/tls_policy.hpp"
#include "transport/tls_context.hpp"

#include <ccdr/status.hpp>

#include <memory>
#include <string>

namespace ccdr::transport {

struct TransportSecurity {
    std::shared_ptr<boost::asio::ssl::context> server_tls;  // null with plaintext or when disabled
    std::shared_ptr<boost::asio::ssl::context> client_tls;
    bool plaintext = false;
    bool verify_hostname = false;
    std::string disabled_reason;  // non-empty: replication is refused, and why

    bool usable() const { return disabled_reason.empty(); }
};

inline constexpr const char* kTlsRequiredReason =
    "replication requires TLS, but the cluster SSL policy is not enabled "
    "(dbms.ssl.policy.cluster.enabled=false); configure it, or set ccdr.allow_plaintext=true for development only";

// CCDR_INVALID_SETTING when the policy is enabled but cannot be used (a
// missing key file, no CA in trusted/): the host should refuse to start, as
// it does for any invalid setting.
Result<TransportSecurity> make_transport_security(const plugin::TlsPolicy& policy, bool allow_plaintext);

}  // namespace ccdr::transport

// plugin/settings/tls_policy.hpp: the host's cluster SSL policy
// (dbms.ssl.policy.cluster.*), read through get_setting, as the plugin uses
// it for replication between clusters. Keys the host does not know take
// Neo4j's defaults (docs/protocol.md lists them). Reading settings is this
// layer's job; transport/ turns the policy into TLS contexts and never reads
// a setting itself.
#pragma once

#include <ccdr/host_handle.hpp>
#include <ccdr/status.hpp>

#include <string>
#include <vector>

namespace ccdr::plugin {

enum class ClientAuth { kNone, kOptional, kRequire };

struct TlsPolicy {
    bool enabled = false;
    std::string base_directory;      // absolute
    std::string private_key;         // absolute (resolved against base_directory)
    std::string public_certificate;  // absolute
    std::string trusted_dir;         // absolute
    std::string revoked_dir;         // absolute
    ClientAuth client_auth = ClientAuth::kRequire;
    bool allow_tls12 = false;
    bool allow_tls13 = true;
    bool verify_hostname = false;  // read_tls_policy: kPolicyDefaults when the host does not say
};

// The policy's setting keys, for messages.
inline constexpr const char* kPolicyPrefix = "dbms.ssl.policy.cluster.";

// What a policy key the host does not know is taken to be: Neo4j's defaults,
// except tls_versions (TLSv1.3 only: DESIGN.md fixes TLS 1.3 for the link
// between ccdr servers, which all run the same plugin; TLSv1.2 is opt-in).
// docs/protocol.md's "when unknown" column is this table; a test compares
// them, and compares it with the refhost's setting catalogue.
struct PolicyDefault {
    const char* suffix;  // after kPolicyPrefix
    const char* value;
};
inline constexpr PolicyDefault kPolicyDefaults[] = {
    {"enabled", "false"},          {"private_key", "private.key"}, {"public_certificate", "public.crt"},
    {"trusted_dir", "trusted"},    {"revoked_dir", "revoked"},     {"client_auth", "REQUIRE"},
    {"tls_versions", "TLSv1.3"},   {"verify_hostname", "true"},
};

// Reads the policy. CCDR_INVALID_SETTING naming key, value and reason for a
// value the plugin cannot use (unknown client_auth, tls_versions without
// TLSv1.2 or TLSv1.3, a relative base directory).
Result<TlsPolicy> read_tls_policy(const HostHandle& host);

// Parses values (exposed for tests).
Result<ClientAuth> parse_client_auth(const std::string& value);
Status parse_tls_versions(const std::string& value, TlsPolicy& policy);

}  // namespace ccdr::plugin

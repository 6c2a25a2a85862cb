#include "settings/tls_policy.hpp"

#include <ccdr/setting_values.hpp>

#include <filesystem>

namespace ccdr::plugin {
namespace {

std::string key(const char* suffix) { return std::string(kPolicyPrefix) + suffix; }

Status bad(const std::string& k, const std::string& value, const std::string& reason) {
    return {CCDR_INVALID_SETTING, "invalid value for " + k + "='" + value + "': " + reason};
}

// The host's value, or `fallback` when the host does not know the key.
std::string setting_or(const HostHandle& host, const std::string& k, const std::string& fallback) {
    auto v = host.get_setting(k);
    if (!v) {
        return fallback;
    }
    std::string text(settings::trim(*v));
    return text.empty() ? fallback : text;
}

std::string policy_default(std::string_view suffix) {
    for (const auto& d : kPolicyDefaults) {
        if (suffix == d.suffix) {
            return d.value;
        }
    }
    return {};
}

std::string resolve(const std::string& base, const std::string& path) {
    std::filesystem::path p(path);
    if (p.is_absolute()) {
        return p.lexically_normal().string();
    }
    return (std::filesystem::path(base) / p).lexically_normal().string();
}

}  // namespace

Result<ClientAuth> parse_client_auth(const std::string& value) {
    std::string v = settings::lower(settings::trim(value));
    if (v == "none") {
        return ClientAuth::kNone;
    }
    if (v == "optional") {
        return ClientAuth::kOptional;
    }
    if (v == "require") {
        return ClientAuth::kRequire;
    }
    return bad(key("client_auth"), value, "expected NONE, OPTIONAL or REQUIRE");
}

Status parse_tls_versions(const std::string& value, TlsPolicy& policy) {
    policy.allow_tls12 = false;
    policy.allow_tls13 = false;
    for (const auto& item : settings::parse_list(value)) {
        if (item == "TLSv1.2") {
            policy.allow_tls12 = true;
        } else if (item == "TLSv1.3") {
            policy.allow_tls13 = true;
        } else {
            return bad(key("tls_versions"), value,
                       "'" + item + "' is not supported; replication speaks TLSv1.2 and TLSv1.3");
        }
    }
    if (!policy.allow_tls12 && !policy.allow_tls13) {
        return bad(key("tls_versions"), value, "expected TLSv1.3, TLSv1.2 or both, comma-separated");
    }
    return {};
}

Result<TlsPolicy> read_tls_policy(const HostHandle& host) {
    TlsPolicy policy;
    const std::string enabled_text = setting_or(host, key("enabled"), policy_default("enabled"));
    auto enabled = settings::parse_bool(enabled_text);
    if (!enabled) {
        return bad(key("enabled"), enabled_text, "expected true or false");
    }
    policy.enabled = *enabled;

    policy.base_directory = setting_or(host, key("base_directory"), "");
    const std::string private_key = setting_or(host, key("private_key"), policy_default("private_key"));
    const std::string public_certificate =
        setting_or(host, key("public_certificate"), policy_default("public_certificate"));
    const std::string trusted_dir = setting_or(host, key("trusted_dir"), policy_default("trusted_dir"));
    const std::string revoked_dir = setting_or(host, key("revoked_dir"), policy_default("revoked_dir"));
    const std::string client_auth = setting_or(host, key("client_auth"), policy_default("client_auth"));
    const std::string tls_versions = setting_or(host, key("tls_versions"), policy_default("tls_versions"));
    const std::string verify_hostname =
        setting_or(host, key("verify_hostname"), policy_default("verify_hostname"));

    auto auth = parse_client_auth(client_auth);
    if (!auth) {
        return auth.status();
    }
    policy.client_auth = *auth;
    Status versions = parse_tls_versions(tls_versions, policy);
    if (!versions) {
        return versions;
    }
    auto verify = settings::parse_bool(verify_hostname);
    if (!verify) {
        return bad(key("verify_hostname"), verify_hostname, "expected true or false");
    }
    policy.verify_hostname = *verify;
    if (!policy.enabled) {
        return policy;
    }
    if (policy.base_directory.empty() || !std::filesystem::path(policy.base_directory).is_absolute()) {
        return bad(key("base_directory"), policy.base_directory,
                   "the host must give an absolute directory for the cluster SSL policy");
    }
    policy.private_key = resolve(policy.base_directory, private_key);
    policy.public_certificate = resolve(policy.base_directory, public_certificate);
    policy.trusted_dir = resolve(policy.base_directory, trusted_dir);
    policy.revoked_dir = resolve(policy.base_directory, revoked_dir);
    return policy;
}

}  // namespace ccdr::plugin

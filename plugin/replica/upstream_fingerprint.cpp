#include "replica/upstream_fingerprint.hpp"

#include "replica/ask_upstreams.hpp"

namespace ccdr::plugin {

Result<UpstreamFingerprint> fingerprint_upstream(const UpstreamDialer& dialer,
                                                 const std::vector<std::string>& addresses, const std::string& remote,
                                                 const std::string& store_id, uint64_t epoch) {
    protocol::FingerprintRequest request{remote, store_id, epoch};
    return ask_upstreams<UpstreamFingerprint>(
        dialer, addresses, "a fingerprint request for database '" + remote + "'",
        [&dialer, request](transport::Strand strand, const std::string& address) {
            return ask_once<UpstreamFingerprint, protocol::FingerprintReply>(
                dialer, strand, address, request, [](const protocol::FingerprintReply& m, const std::string& from) {
                    return UpstreamFingerprint{from, m.tx_id, m.algorithm, m.fingerprint};
                });
        });
}

Result<UpstreamFingerprint> running_fingerprint_upstream(const UpstreamDialer& dialer,
                                                         const std::vector<std::string>& addresses,
                                                         const std::string& remote, const std::string& store_id,
                                                         uint64_t epoch, uint64_t tx_id) {
    protocol::RunningFingerprintRequest request{remote, store_id, epoch, tx_id};
    auto r = ask_upstreams<UpstreamFingerprint>(
        dialer, addresses, "a running fingerprint request for database '" + remote + "'",
        [&dialer, request](transport::Strand strand, const std::string& address) {
            return ask_once<UpstreamFingerprint, protocol::FingerprintReply>(
                dialer, strand, address, request, [](const protocol::FingerprintReply& m, const std::string& from) {
                    return UpstreamFingerprint{from, m.tx_id, m.algorithm, m.fingerprint};
                });
        });
    if (!r) {
        // ask_once keeps the upstream's sentence, not its refusal code: the
        // two ways an upstream cannot answer are told by what they say.
        const std::string& m = r.status().message();
        if (m.find(protocol::kRunningFingerprintUnsupported) != std::string::npos ||
            m.find("an upstream older than this plugin does not answer") != std::string::npos) {
            return Status(CCDR_UNSUPPORTED, m);
        }
    }
    return r;
}

}  // namespace ccdr::plugin

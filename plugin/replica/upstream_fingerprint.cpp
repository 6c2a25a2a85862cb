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

}  // namespace ccdr::plugin

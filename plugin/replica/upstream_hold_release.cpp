#include "replica/upstream_hold_release.hpp"

#include "replica/upstream_session.hpp"

namespace ccdr::plugin {

HoldReleaseAttempt release_upstream_hold(const UpstreamDialer& dialer, const std::string& remote,
                                         const std::string& replica_database, const std::string& address,
                                         std::chrono::milliseconds timeout, const std::string& replica_server_id) {
    auto session = UpstreamSession::open(dialer, {address});
    if (!session) {
        return {false, session.status().message()};
    }
    if ((*session)->version() < protocol::kLogHoldProtocol) {
        return {true, "it speaks protocol " + std::to_string((*session)->version()) +
                          ", which has no HOLD_RELEASE: its holds end at their cap"};
    }
    protocol::HoldRelease release{remote, replica_database, std::nullopt};
    if (!replica_server_id.empty()) {
        // On an older session the message would end every member's hold.
        if ((*session)->version() < protocol::kHoldCoverProtocol) {
            return {true, "it speaks protocol " + std::to_string((*session)->version()) +
                              ", which releases no single member's hold: this member's hold ends at its cap"};
        }
        release.replica_server_id = replica_server_id;
    }
    auto answer = (*session)->ask<protocol::HoldReleased>(release, timeout);
    if (!answer) {
        // A refusal is the upstream's final word; anything else may pass.
        return {answer.status().code() == CCDR_PROCEDURE_CALL_FAILED, answer.status().message()};
    }
    return {true, std::to_string(answer->released) + " log hold(s) ended"};
}

}  // namespace ccdr::plugin

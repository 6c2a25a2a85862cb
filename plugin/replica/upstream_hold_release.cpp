#include "replica/upstream_hold_release.hpp"

#include "replica/upstream_session.hpp"

namespace ccdr::plugin {

HoldReleaseAttempt release_upstream_hold(const UpstreamDialer& dialer, const std::string& remote,
                                         const std::string& replica_database, const std::string& address,
                                         std::chrono::milliseconds timeout) {
    auto session = UpstreamSession::open(dialer, {address});
    if (!session) {
        return {false, session.status().message()};
    }
    if ((*session)->version() < protocol::kLogHoldProtocol) {
        return {true, "it speaks protocol " + std::to_string((*session)->version()) +
                          ", which has no HOLD_RELEASE: its holds end at their cap"};
    }
    auto answer = (*session)->ask<protocol::HoldReleased>(protocol::HoldRelease{remote, replica_database}, timeout);
    if (!answer) {
        // A refusal is the upstream's final word; anything else may pass.
        return {answer.status().code() == CCDR_PROCEDURE_CALL_FAILED, answer.status().message()};
    }
    return {true, std::to_string(answer->released) + " log hold(s) ended"};
}

}  // namespace ccdr::plugin

// plugin/replica/follower_hold_release.hpp: with fan-out, a member that
// follows another member (the puller) does not need the upstream to hold
// its log for it any more: the puller's hold covers it (the puller's ACKs
// carry the lowest position its followers need, hold_tx, protocol 8). A
// member that pulled from the upstream for a while (every member does while
// the replica cluster forms, and a member that took over) left a hold there
// at the position it last acknowledged; this releases it, HOLD_RELEASE of
// this server's member only, to every upstream address of the link (the
// hold lives on the server that served it), once per spell of following.
//
// Only while it follows a puller of protocol 8 (an older puller does not
// cover its followers), and only to upstream servers of protocol 8 (an
// older one would end every member's hold: release_upstream_hold does not
// ask it). An address that cannot be reached is asked again after the
// back-off's maximum, while the member still follows. Runs on the member's
// strand; the exchanges on the blocking pool.
#pragma once

#include "replica/member_context.hpp"
#include "replica/upstream_dialer.hpp"

#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace ccdr::plugin {

class FollowerHoldRelease {
public:
    FollowerHoldRelease(std::shared_ptr<MemberContext> member, const UpstreamDialer& dialer);
    FollowerHoldRelease(const FollowerHoldRelease&) = delete;
    FollowerHoldRelease& operator=(const FollowerHoldRelease&) = delete;

    // The member subscribed to the upstream itself: the upstream holds for
    // it again, so the next spell of following releases again.
    void pulling();
    // While following a member of protocol 8: starts one round of releases
    // (upstream database `remote` at `addresses`) unless this spell's
    // release is done, one is running, or the last round failed less than
    // the retry interval ago. Does not wait for it.
    void while_following(const std::string& remote, const std::vector<std::string>& addresses);
    // Waits until no round is running: before the member subscribes to the
    // upstream, so that a late release does not end the new hold.
    asio::awaitable<void> settle();
    bool released() const { return state_->released; }

private:
    struct State {
        bool running = false;
        bool released = false;
        std::chrono::steady_clock::time_point next_try{};
    };
    std::shared_ptr<MemberContext> member_;
    const UpstreamDialer& dialer_;
    std::shared_ptr<State> state_;  // strand
};

}  // namespace ccdr::plugin

#include "replica/follower_hold_release.hpp"

#include "replica/upstream_hold_release.hpp"

namespace ccdr::plugin {

using namespace std::chrono_literals;

FollowerHoldRelease::FollowerHoldRelease(std::shared_ptr<MemberContext> member, const UpstreamDialer& dialer)
    : member_(std::move(member)), dialer_(dialer), state_(std::make_shared<State>()) {}

namespace {

// One round: each upstream address asked once, on the blocking pool; the
// outcome recorded in `state` on the strand.
template <typename State>
asio::awaitable<void> release_round(std::shared_ptr<State> state, std::shared_ptr<MemberContext> member,
                                    const UpstreamDialer* dialer, std::string remote,
                                    std::vector<std::string> addresses) {
    const session::SessionContext& session = member->session;
    auto job = [dialer, remote, addresses, db = member->database, server = session.server.server_id,
                timeout = session.settings.io_timeout] {
        std::vector<HoldReleaseAttempt> out;
        for (const auto& address : addresses) {
            out.push_back(release_upstream_hold(*dialer, remote, db, address, timeout, server));
        }
        return out;
    };
    auto attempts = co_await runtime::run_blocking(session.runtime->blocking_pool(), std::move(job));
    bool settled = true;
    std::string outcomes;
    for (size_t i = 0; i < attempts.size(); ++i) {
        settled = settled && attempts[i].settled;
        outcomes += (outcomes.empty() ? "" : "; ") + addresses[i] + ": " + attempts[i].outcome;
    }
    state->running = false;
    if (settled) {
        state->released = true;
        session.log->info("replica '{}' follows another member: its own log hold on the upstream is released ({})",
                          member->database, outcomes);
    } else {
        state->next_try =
            std::chrono::steady_clock::now() + std::max<std::chrono::milliseconds>(session.settings.backoff_max, 1s);
        session.log->info("replica '{}' follows another member; releasing its own log hold on the upstream is to be "
                          "asked again: {}",
                          member->database, outcomes);
    }
}

}  // namespace

void FollowerHoldRelease::pulling() {
    state_->released = false;
    state_->next_try = {};
}

void FollowerHoldRelease::while_following(const std::string& remote, const std::vector<std::string>& addresses) {
    State& state = *state_;
    if (state.released || state.running || std::chrono::steady_clock::now() < state.next_try || addresses.empty()) {
        return;
    }
    state.running = true;
    auto shared_state = state_;
    auto member = member_;
    const UpstreamDialer* dialer = &dialer_;
    // A free coroutine with its arguments in its frame (a lambda coroutine's
    // captures would live in the lambda, which spawn does not keep).
    auto round = [shared_state, member, dialer, remote, addresses] {
        return release_round(shared_state, member, dialer, remote, addresses);
    };
    if (!member_->session.runtime->spawn(member_->strand, std::move(round))) {
        state.running = false;
    }
}

asio::awaitable<void> FollowerHoldRelease::settle() {
    while (state_->running && !member_->stopping) {
        co_await member_->stop_signal->wait(20ms);
    }
}

}  // namespace ccdr::plugin

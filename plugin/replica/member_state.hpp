// plugin/replica/member_state.hpp: what SHOW DATABASE says of one replica
// member, its state and status message, and the connection it pulls on
// (so that stop() and a failed apply, on other threads, can close it, and the
// status can name the upstream). Thread-safe.
//
// FAILED is sticky: only an operator (drop, re-create) ends it, so a late
// report of one part cannot hide another part's failure.
//
// Until the member has once reached its upstream's position (everything the
// upstream had committed when it last said so is here), the host shows it as
// starting, not online (docs/operations.md "Member states"): reads already
// work, but they see an older state than the upstream's. The mark is per
// start of the member: after a restart it catches up once more.
#pragma once

#include "transport/connection.hpp"

#include <ccdr/abi.h>

#include <memory>
#include <mutex>
#include <string>

namespace ccdr::plugin {

class MemberState {
public:
    void set(ccdr_replica_state state, std::string message) {
        std::lock_guard lock(mu_);
        if (state_ == CCDR_REPLICA_FAILED && state != CCDR_REPLICA_FAILED) {
            return;
        }
        state_ = state;
        message_ = std::move(message);
    }
    // Says what the member does while it is still CREATING (its first
    // connection attempts); later states keep their own message.
    void note_while_creating(std::string message) {
        std::lock_guard lock(mu_);
        if (state_ == CCDR_REPLICA_CREATING) {
            message_ = std::move(message);
        }
    }
    // The member stopped: STOPPED, unless it FAILED.
    void stopped() {
        std::lock_guard lock(mu_);
        if (state_ != CCDR_REPLICA_FAILED) {
            state_ = CCDR_REPLICA_STOPPED;
            message_ = "stopped";
        }
    }
    // The member reached its upstream's position (once is enough).
    void note_caught_up() {
        std::lock_guard lock(mu_);
        caught_up_once_ = true;
    }
    struct View {
        ccdr_replica_state state;
        std::string message;
        bool caught_up_once;
    };
    // State, message and the first catch-up mark, read together.
    View view() const {
        std::lock_guard lock(mu_);
        return {state_, message_, caught_up_once_};
    }

private:
    mutable std::mutex mu_;
    ccdr_replica_state state_ = CCDR_REPLICA_CREATING;
    std::string message_;
    bool caught_up_once_ = false;
};

// The connection a member pulls on, from connect to the end of the session.
class PullConnection {
public:
    void set(std::shared_ptr<transport::Connection> connection, const std::string& address) {
        std::lock_guard lock(mu_);
        connection_ = std::move(connection);
        address_ = connection_ ? address : "";
    }
    void clear() { set(nullptr, ""); }
    // On the member's strand.
    void close(const std::string& reason) {
        std::lock_guard lock(mu_);
        if (connection_) {
            connection_->close(reason);
        }
    }
    // From any thread: the close runs on the connection's strand.
    void post_close(const std::string& reason) {
        std::lock_guard lock(mu_);
        if (connection_) {
            connection_->post_close(reason);
        }
    }
    // The upstream address pulled from, "" when not connected.
    std::string address() const {
        std::lock_guard lock(mu_);
        return address_;
    }

private:
    mutable std::mutex mu_;
    std::shared_ptr<transport::Connection> connection_;
    std::string address_;
};

}  // namespace ccdr::plugin

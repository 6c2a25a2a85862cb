// examples/refhost/bolt/connection_budget.cpp
#include "bolt/connection_budget.hpp"

namespace refhost::bolt {

ConnectionBudget::Admission ConnectionBudget::admit(uint64_t id, Clock::time_point now) {
    std::lock_guard lock(mu_);
    Admission a;
    size_t unauthenticated = silent_.size() + handshaken_;
    if (unauthenticated >= limits_.max_unauthenticated) {
        auto oldest = silent_.begin();
        if (oldest != silent_.end() && now - oldest->second >= limits_.silent_grace) {
            a.shed = oldest->first;
            silent_.erase(oldest);
            states_[a.shed] = State::Shed;
        } else if (unauthenticated + authenticated_ >= limits_.max_unauthenticated + limits_.max_authenticated) {
            a.admitted = false;  // the process is full of clients that may yet speak
            return a;
        }
    }
    states_[id] = State::Silent;
    silent_.emplace(id, now);
    return a;
}

void ConnectionBudget::handshaken(uint64_t id) {
    std::lock_guard lock(mu_);
    auto it = states_.find(id);
    if (it != states_.end() && it->second == State::Silent) {
        it->second = State::Handshaken;
        silent_.erase(id);
        ++handshaken_;
    }
}

bool ConnectionBudget::authenticated(uint64_t id) {
    std::lock_guard lock(mu_);
    auto it = states_.find(id);
    if (it == states_.end()) {
        return false;
    }
    if (it->second == State::Authenticated) {
        return true;
    }
    if (it->second == State::Shed || authenticated_ >= limits_.max_authenticated) {
        return false;
    }
    if (it->second == State::Silent) {
        silent_.erase(id);
    } else {
        --handshaken_;
    }
    it->second = State::Authenticated;
    ++authenticated_;
    return true;
}

void ConnectionBudget::closed(uint64_t id) {
    std::lock_guard lock(mu_);
    auto it = states_.find(id);
    if (it == states_.end()) {
        return;
    }
    switch (it->second) {
        case State::Silent: silent_.erase(id); break;
        case State::Handshaken: --handshaken_; break;
        case State::Authenticated: --authenticated_; break;
        case State::Shed: break;
    }
    states_.erase(it);
}

size_t ConnectionBudget::unauthenticated() const {
    std::lock_guard lock(mu_);
    return silent_.size() + handshaken_;
}

size_t ConnectionBudget::authenticated_count() const {
    std::lock_guard lock(mu_);
    return authenticated_;
}

}  // namespace refhost::bolt

// examples/refhost/bolt/connection_budget.cpp
#include "bolt/connection_budget.hpp"

namespace refhost::bolt {

ConnectionBudget::Admission ConnectionBudget::admit(uint64_t id) {
    std::lock_guard lock(mu_);
    Admission a;
    if (!unauthenticated_ids_.empty() && unauthenticated_ids_.size() >= limits_.max_unauthenticated) {
        a.shed = *unauthenticated_ids_.begin();
        unauthenticated_ids_.erase(unauthenticated_ids_.begin());
        states_[a.shed] = State::Shed;
    }
    states_[id] = State::Unauthenticated;
    unauthenticated_ids_.insert(id);
    return a;
}

bool ConnectionBudget::authenticated(uint64_t id) {
    std::lock_guard lock(mu_);
    auto it = states_.find(id);
    if (it == states_.end()) {
        return false;
    }
    if (it->second != State::Unauthenticated) {
        return it->second == State::Authenticated;
    }
    if (authenticated_ >= limits_.max_authenticated) {
        return false;
    }
    it->second = State::Authenticated;
    unauthenticated_ids_.erase(id);
    ++authenticated_;
    return true;
}

void ConnectionBudget::closed(uint64_t id) {
    std::lock_guard lock(mu_);
    auto it = states_.find(id);
    if (it == states_.end()) {
        return;
    }
    if (it->second == State::Unauthenticated) {
        unauthenticated_ids_.erase(id);
    } else if (it->second == State::Authenticated) {
        --authenticated_;
    }
    states_.erase(it);
}

size_t ConnectionBudget::unauthenticated() const {
    std::lock_guard lock(mu_);
    return unauthenticated_ids_.size();
}

size_t ConnectionBudget::authenticated_count() const {
    std::lock_guard lock(mu_);
    return authenticated_;
}

}  // namespace refhost::bolt

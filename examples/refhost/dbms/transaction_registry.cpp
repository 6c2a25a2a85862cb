// examples/refhost/dbms/transaction_registry.cpp
#include "dbms/transaction_registry.hpp"

#include <cstdio>
#include <ctime>

namespace refhost {

namespace {

Duration to_duration(std::chrono::nanoseconds d) {
    Duration out;
    out.seconds = std::chrono::duration_cast<std::chrono::seconds>(d).count();
    out.nanoseconds = (d - std::chrono::seconds(out.seconds)).count();
    return out;
}

std::string iso_utc(int64_t epoch_ms) {
    std::time_t secs = static_cast<std::time_t>(epoch_ms / 1000);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char buf[64];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                  tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(epoch_ms % 1000));
    return buf;
}

}  // namespace

Error termination_error(const status::Code& code, const std::string& description) {
    return make_error(code, std::string(status::kTerminatedPrefix) + description);
}

// --- TrackedTransaction ------------------------------------------------------------

TrackedTransaction::TrackedTransaction(Identity identity)
    : identity_(std::move(identity)), idle_since_(std::chrono::steady_clock::now()) {}

bool TrackedTransaction::terminate(Error reason) {
    std::shared_ptr<WriteLockWait> wait;
    {
        std::lock_guard lock(mu_);
        if (ended_ || termination_) {
            return false;
        }
        termination_ = std::move(reason);
        terminated_.store(true, std::memory_order_release);
        wait = lock_wait_;
    }
    if (wait) {
        wait->cancel();  // wakes the owner through the wait's callback
    }
    if (identity_.client.wake) {
        identity_.client.wake();
    }
    return true;
}

std::optional<Error> TrackedTransaction::termination() const {
    if (!terminated()) {
        return std::nullopt;
    }
    std::lock_guard lock(mu_);
    return termination_;
}

void TrackedTransaction::query_started(const std::string& text, const Map& parameters, uint64_t query_id) {
    std::lock_guard lock(mu_);
    query_ = text;
    parameters_ = parameters;
    query_id_ = query_id;
}

void TrackedTransaction::query_finished() {
    std::lock_guard lock(mu_);
    query_.reset();
    parameters_.clear();
    query_id_ = 0;
    idle_since_ = std::chrono::steady_clock::now();
}

void TrackedTransaction::lock_wait_started(std::shared_ptr<WriteLockWait> wait) {
    bool cancel_now = false;
    {
        std::lock_guard lock(mu_);
        lock_wait_ = wait;
        cancel_now = termination_.has_value();
    }
    if (cancel_now) {
        wait->cancel();  // terminated before the wait was known here
    }
}

void TrackedTransaction::lock_wait_ended() {
    std::lock_guard lock(mu_);
    if (lock_wait_) {
        waited_before_ += lock_wait_->waited();
        lock_wait_.reset();
    }
}

void TrackedTransaction::set_holds_lock(bool held) {
    std::lock_guard lock(mu_);
    holds_lock_ = held;
}

bool TrackedTransaction::holds_lock() const {
    std::lock_guard lock(mu_);
    return holds_lock_;
}

bool TrackedTransaction::waiting_for_lock() const {
    std::lock_guard lock(mu_);
    return lock_wait_ && lock_wait_->state() == WriteLockWait::State::Waiting;
}

void TrackedTransaction::ended() {
    std::lock_guard lock(mu_);
    ended_ = true;
    holds_lock_ = false;
}

TransactionRow TrackedTransaction::row(const std::string& blocked_by) const {
    auto now = std::chrono::steady_clock::now();
    TransactionRow r;
    r.database = identity_.database;
    r.transaction_id = identity_.id;
    r.connection_id = identity_.client.connection_id;
    if (!identity_.client.client_address.empty()) {
        r.client_address = identity_.client.client_address;
    }
    r.username = identity_.username;
    r.start_time = iso_utc(identity_.start_epoch_ms);
    r.elapsed_time = to_duration(now - identity_.start);
    r.metadata = identity_.client.metadata;
    r.protocol = identity_.client.protocol;
    std::lock_guard lock(mu_);
    if (query_) {
        r.current_query = *query_;
        r.current_query_id = "query-" + std::to_string(query_id_);
        r.parameters = parameters_;
    } else {
        r.idle_time = to_duration(now - idle_since_);
    }
    std::chrono::milliseconds waited = waited_before_;
    bool blocked = lock_wait_ && lock_wait_->state() == WriteLockWait::State::Waiting;
    if (lock_wait_) {
        waited += lock_wait_->waited();
    }
    r.wait_time = to_duration(waited);
    r.active_lock_count = holds_lock_ ? 1 : 0;
    if (termination_) {
        r.status = "Terminated with reason: Status.Code[" + termination_->code + "]";
        r.status_details = termination_->message;
    } else if (ended_) {
        r.status = "Closing";
    } else if (blocked) {
        r.status = "Blocked by: [" + blocked_by + "]";
        r.resource_information = Map{{"lockMode", "EXCLUSIVE"},
                                     {"resourceType", "DATABASE_WRITE_LOCK"},
                                     {"waitTimeMillis", static_cast<int64_t>(lock_wait_->waited().count())}};
    } else {
        r.status = "Running";
    }
    return r;
}

// --- TransactionRegistry -------------------------------------------------------------

std::string TransactionRegistry::next_id(const std::string& database) {
    return database + "-transaction-" + std::to_string(++tx_ids_);
}

void TransactionRegistry::add(const std::shared_ptr<TrackedTransaction>& t, std::chrono::milliseconds timeout,
                              bool from_client) {
    Entry e{t, 0};
    if (timeout.count() > 0) {
        std::weak_ptr<TrackedTransaction> weak = t;
        e.deadline = timer_.schedule(t->identity().start + timeout, [weak, from_client] {
            if (auto tx = weak.lock()) {
                tx->terminate(from_client ? termination_error(status::kTransactionTimedOutClientConfiguration,
                                                              status::kTransactionTimedOutClientDescription)
                                          : termination_error(status::kTransactionTimedOut,
                                                              status::kTransactionTimedOutDescription));
            }
        });
    }
    std::lock_guard lock(mu_);
    open_[t->identity().id] = std::move(e);
}

void TransactionRegistry::remove(const TrackedTransaction& t) {
    DeadlineTimer::Id deadline = 0;
    {
        std::lock_guard lock(mu_);
        auto it = open_.find(t.identity().id);
        if (it == open_.end()) {
            return;
        }
        deadline = it->second.deadline;
        open_.erase(it);
    }
    if (deadline != 0) {
        timer_.cancel(deadline);
    }
    removed_.notify_all();
}

std::vector<std::shared_ptr<TrackedTransaction>> TransactionRegistry::list(const Filter& filter) const {
    std::vector<std::shared_ptr<TrackedTransaction>> out;
    std::lock_guard lock(mu_);
    for (const auto& [id, e] : open_) {
        if (auto t = e.tx.lock(); t && (!filter || filter(*t))) {
            out.push_back(std::move(t));
        }
    }
    return out;
}

std::shared_ptr<TrackedTransaction> TransactionRegistry::find(const std::string& id) const {
    std::lock_guard lock(mu_);
    auto it = open_.find(id);
    return it == open_.end() ? nullptr : it->second.tx.lock();
}

bool TransactionRegistry::wait_until_none(const Filter& filter, Clock::time_point deadline) const {
    auto none = [&] {
        for (const auto& [id, e] : open_) {
            if (auto t = e.tx.lock(); t && (!filter || filter(*t))) {
                return false;
            }
        }
        return true;
    };
    std::unique_lock lock(mu_);
    return removed_.wait_until(lock, deadline, none);
}

size_t TransactionRegistry::terminate_all(const Filter& filter, const Error& reason) {
    size_t n = 0;
    for (const auto& t : list(filter)) {
        n += t->terminate(reason) ? 1 : 0;
    }
    return n;
}

}  // namespace refhost

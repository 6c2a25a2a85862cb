// plugin/upstream/commit_notifier.hpp: after_commit's only job. Subscriptions
// register a signal per database; after_commit records the new last tx and
// wakes them, so a batch leaves as soon as its transaction is durable, with
// no polling delay.
//
// after_commit runs on the host's committing threads and must not block: it
// reads an immutable snapshot of the registrations through an atomic
// shared_ptr (copy-on-write; registrations are rare and take a mutex, readers
// never do), updates atomics and calls AsyncSignal::notify, which posts at
// most one wake-up per waiting subscription.
#pragma once

#include "runtime/async_signal.hpp"

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace ccdr::plugin {

// The last commit of one database as after_commit reported it.
struct CommitPosition {
    std::atomic<uint64_t> last_tx{0};
    std::atomic<int64_t> last_commit_ms{0};

    // Never moves backwards (after_commit calls may race).
    void advance(uint64_t tx, int64_t time_ms) {
        uint64_t seen = last_tx.load(std::memory_order_relaxed);
        while (seen < tx && !last_tx.compare_exchange_weak(seen, tx, std::memory_order_acq_rel)) {
        }
        if (seen < tx) {
            last_commit_ms.store(time_ms, std::memory_order_release);
        }
    }
};

class CommitNotifier {
public:
    // Keeps `signal` registered for `database` while the returned token lives.
    class Registration {
    public:
        Registration(CommitNotifier* owner, std::string database, std::shared_ptr<runtime::AsyncSignal> signal,
                     std::shared_ptr<CommitPosition> position)
            : owner_(owner), database_(std::move(database)), signal_(std::move(signal)), position_(std::move(position)) {}
        Registration(const Registration&) = delete;
        Registration& operator=(const Registration&) = delete;
        ~Registration() { owner_->unregister(database_, signal_); }

        // The database's last commit, as after_commit last reported it.
        const CommitPosition& position() const { return *position_; }
        CommitPosition& position() { return *position_; }
        // The same position, shared (for readers that may outlive the token).
        std::shared_ptr<const CommitPosition> shared_position() const { return position_; }

    private:
        CommitNotifier* owner_;
        std::string database_;
        std::shared_ptr<runtime::AsyncSignal> signal_;
        std::shared_ptr<CommitPosition> position_;
    };

    std::unique_ptr<Registration> subscribe(const std::string& database,
                                            std::shared_ptr<runtime::AsyncSignal> signal);

    // The database stopped, was dropped or promoted on this server: closes
    // (asynchronously, on their strands) the signals of its subscriptions,
    // whose streams then end, and gives later subscribers a fresh position.
    // Never blocks.
    void end_streams(std::string_view database);

    // From after_commit: never blocks.
    void committed(std::string_view database, uint64_t tx_id, int64_t commit_time_ms);

private:
    struct Entry {
        std::shared_ptr<CommitPosition> position;
        std::vector<std::shared_ptr<runtime::AsyncSignal>> signals;
    };
    using Map = std::map<std::string, Entry, std::less<>>;

    void unregister(const std::string& database, const std::shared_ptr<runtime::AsyncSignal>& signal);

    std::mutex writers_;
    std::atomic<std::shared_ptr<const Map>> map_{std::make_shared<const Map>()};
};

}  // namespace ccdr::plugin

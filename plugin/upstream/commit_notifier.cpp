#include "upstream/commit_notifier.hpp"

#include <algorithm>

namespace ccdr::plugin {

std::unique_ptr<CommitNotifier::Registration> CommitNotifier::subscribe(
    const std::string& database, std::shared_ptr<runtime::AsyncSignal> signal) {
    std::lock_guard lock(writers_);
    auto next = std::make_shared<Map>(*map_.load());
    Entry& entry = (*next)[database];
    if (!entry.position) {
        entry.position = std::make_shared<CommitPosition>();
    }
    entry.signals.push_back(signal);
    auto position = entry.position;
    map_.store(std::move(next));
    return std::make_unique<Registration>(this, database, std::move(signal), std::move(position));
}

void CommitNotifier::unregister(const std::string& database, const std::shared_ptr<runtime::AsyncSignal>& signal) {
    std::lock_guard lock(writers_);
    auto next = std::make_shared<Map>(*map_.load());
    auto it = next->find(database);
    if (it == next->end()) {
        return;
    }
    auto& signals = it->second.signals;
    signals.erase(std::remove(signals.begin(), signals.end(), signal), signals.end());
    if (signals.empty()) {
        next->erase(it);
    }
    map_.store(std::move(next));
}

void CommitNotifier::end_streams(std::string_view database) {
    std::lock_guard lock(writers_);
    auto next = std::make_shared<Map>(*map_.load());
    auto it = next->find(database);
    if (it == next->end()) {
        return;
    }
    for (const auto& signal : it->second.signals) {
        signal->close_async();
    }
    // The ending streams keep the old position; a database created later
    // under this name starts counting from its own first commit.
    it->second.position = std::make_shared<CommitPosition>();
    map_.store(std::move(next));
}

void CommitNotifier::committed(std::string_view database, uint64_t tx_id, int64_t commit_time_ms) {
    auto map = map_.load();
    auto it = map->find(database);
    if (it == map->end()) {
        return;
    }
    it->second.position->advance(tx_id, commit_time_ms);
    for (const auto& signal : it->second.signals) {
        signal->notify();
    }
}

}  // namespace ccdr::plugin

// plugin/replica/read_only_databases.hpp: the replica databases this server
// hosts, for before_commit. The committing path reads an immutable snapshot
// through an atomic shared_ptr (it never takes a lock and never calls the
// host); database events replace the snapshot (copy-on-write).
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>

namespace ccdr::plugin {

class ReadOnlyDatabases {
public:
    bool contains(std::string_view database) const {
        auto set = set_.load(std::memory_order_acquire);
        return set->find(database) != set->end();
    }

    void set(const std::string& database, bool read_only) {
        std::lock_guard lock(writers_);
        auto current = set_.load();
        if ((current->count(database) != 0) == read_only) {
            return;
        }
        auto next = std::make_shared<Set>(*current);
        if (read_only) {
            next->insert(database);
        } else {
            next->erase(database);
        }
        set_.store(std::move(next), std::memory_order_release);
    }

private:
    using Set = std::set<std::string, std::less<>>;
    std::mutex writers_;
    std::atomic<std::shared_ptr<const Set>> set_{std::make_shared<const Set>()};
};

}  // namespace ccdr::plugin

// examples/refhost/cypher/parse_cache.cpp: the LRU of checked statements.
#include "cypher/parse_cache.hpp"

#include "cypher/checker.hpp"
#include "cypher/parser.hpp"

namespace refhost::cypher {

std::shared_ptr<const Statement> parse_and_check(std::string_view query) {
    auto st = std::make_shared<Statement>(parse(query));
    check(*st, query);
    return st;
}

std::shared_ptr<const Statement> ParseCache::get(std::string_view query) {
    {
        std::lock_guard lock(mutex_);
        auto it = index_.find(query);
        if (it != index_.end()) {
            lru_.splice(lru_.begin(), lru_, it->second);
            return it->second->second;
        }
        ++parses_;
    }
    // Parsing happens outside the lock; two threads may parse the same new
    // text once each, which is harmless.
    auto st = parse_and_check(query);
    if (std::holds_alternative<SecurityCommand>(st->body)) {
        return st;  // its text may hold a password: never kept
    }
    std::lock_guard lock(mutex_);
    if (index_.find(query) == index_.end()) {
        lru_.emplace_front(std::string(query), st);
        index_.emplace(lru_.front().first, lru_.begin());
        if (lru_.size() > capacity_) {
            index_.erase(lru_.back().first);
            lru_.pop_back();
        }
    }
    return st;
}

size_t ParseCache::parses() const {
    std::lock_guard lock(mutex_);
    return parses_;
}

size_t ParseCache::size() const {
    std::lock_guard lock(mutex_);
    return lru_.size();
}

}  // namespace refhost::cypher

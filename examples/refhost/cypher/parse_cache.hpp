// examples/refhost/cypher/parse_cache.hpp: checked statements by query text,
// so that a query a client repeats (`CREATE (n:Node {…})` with new
// parameters) is parsed once. Least recently used entries go first.
#pragma once

#include "cypher/ast.hpp"

#include <cstddef>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace refhost::cypher {

class ParseCache {
public:
    explicit ParseCache(size_t capacity = 512) : capacity_(capacity) {}

    // The checked statement for `query`, parsed now if not cached. Throws
    // QueryError for a query outside the subset (errors are not cached).
    std::shared_ptr<const Statement> get(std::string_view query);

    size_t parses() const;  // how many times a query text was parsed
    size_t size() const;

private:
    using Entry = std::pair<std::string, std::shared_ptr<const Statement>>;
    size_t capacity_;
    mutable std::mutex mutex_;
    std::list<Entry> lru_;  // most recent first
    std::unordered_map<std::string_view, std::list<Entry>::iterator> index_;
    size_t parses_ = 0;
};

// Parses and checks without caching.
std::shared_ptr<const Statement> parse_and_check(std::string_view query);

}  // namespace refhost::cypher

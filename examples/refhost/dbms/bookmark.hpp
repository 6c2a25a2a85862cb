// examples/refhost/dbms/bookmark.hpp: bookmarks as the refhost writes them:
// "refhost:<database>:<store id>:<tx id>". Opaque to clients; a bookmark of
// another database, or of an earlier database of the same name (another
// store id), asks nothing of a transaction.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace refhost {

struct Bookmark {
    std::string database;
    std::string store_id;
    uint64_t tx_id = 0;

    std::string to_string() const { return "refhost:" + database + ":" + store_id + ":" + std::to_string(tx_id); }
    static std::optional<Bookmark> parse(std::string_view text);
};

}  // namespace refhost

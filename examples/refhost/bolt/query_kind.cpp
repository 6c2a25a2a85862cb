// examples/refhost/bolt/query_kind.cpp: leading-keyword classification.
#include "bolt/query_kind.hpp"

#include <cctype>
#include <string_view>
#include <vector>

namespace refhost::bolt {

namespace {

// Upper-cased leading words (letters, digits, '_'), skipping whitespace and
// comments; stops at the first other character or after `max` words.
std::vector<std::string> leading_words(std::string_view q, size_t max) {
    std::vector<std::string> words;
    size_t i = 0;
    while (i < q.size() && words.size() < max) {
        char c = q[i];
        if (std::isspace(static_cast<unsigned char>(c)) != 0) {
            ++i;
        } else if (q.substr(i, 2) == "//") {
            size_t nl = q.find('\n', i);
            i = nl == std::string_view::npos ? q.size() : nl + 1;
        } else if (q.substr(i, 2) == "/*") {
            size_t end = q.find("*/", i + 2);
            i = end == std::string_view::npos ? q.size() : end + 2;
        } else if (std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '.') {
            std::string w;
            while (i < q.size() && (std::isalnum(static_cast<unsigned char>(q[i])) != 0 || q[i] == '_' || q[i] == '.')) {
                w.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(q[i]))));
                ++i;
            }
            words.push_back(std::move(w));
        } else {
            break;
        }
    }
    return words;
}

bool is_one_of(const std::string& w, std::initializer_list<std::string_view> set) {
    for (auto s : set) {
        if (w == s) {
            return true;
        }
    }
    return false;
}

}  // namespace

std::optional<std::string> administration_command(std::string_view query) {
    auto w = leading_words(query, 6);
    size_t k = 0;
    // Only the versions the engine accepts are skipped: `CYPHER 4 SHOW
    // DATABASES` is no administration command, so the engine (wherever the
    // session sends it) answers with the version's SyntaxError, not with a
    // "run it on system" error that would hide the real mistake.
    if (w.size() >= 2 && w[0] == "CYPHER" && (w[1] == "5" || w[1] == "25")) {
        k = 2;
    }
    auto at = [&](size_t i) -> std::string { return k + i < w.size() ? w[k + i] : std::string(); };
    const std::string first = at(0);
    const std::string second = at(1);
    auto both = [&] { return first + " " + second; };

    if (first == "SHOW") {
        if (is_one_of(second, {"DATABASE", "DATABASES", "SERVER", "SERVERS", "USER", "USERS", "ROLE", "ROLES",
                               "PRIVILEGE", "PRIVILEGES", "ALIAS", "ALIASES"})) {
            return both();
        }
        if (is_one_of(second, {"DEFAULT", "HOME"}) && at(2) == "DATABASE") {
            return both() + " DATABASE";
        }
        if (second == "CURRENT" && at(2) == "USER") {
            return std::string("SHOW CURRENT USER");
        }
        return std::nullopt;
    }
    if (first == "CREATE" || first == "DROP") {
        if (is_one_of(second, {"DATABASE", "USER", "ROLE", "ALIAS"})) {
            return both();
        }
        if (is_one_of(second, {"COMPOSITE", "REPLICA"}) && at(2) == "DATABASE") {
            return both() + " DATABASE";
        }
        if (second == "OR" && at(2) == "REPLACE") {
            return first + " OR REPLACE " + at(3);
        }
        if (first == "DROP" && second == "SERVER") {
            return both();
        }
        return std::nullopt;
    }
    if ((first == "START" || first == "STOP") && second == "DATABASE") {
        return both();
    }
    if (first == "ALTER" && is_one_of(second, {"DATABASE", "USER", "CURRENT", "SERVER", "ALIAS"})) {
        return both();
    }
    if (is_one_of(first, {"GRANT", "DENY", "REVOKE", "DEALLOCATE", "REALLOCATE"})) {
        return first;
    }
    if ((first == "ENABLE" || first == "RENAME") && is_one_of(second, {"SERVER", "ROLE", "USER"})) {
        return both();
    }
    return std::nullopt;
}

}  // namespace refhost::bolt

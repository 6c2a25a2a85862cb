#include "procedures/database_name.hpp"

#include <cctype>

namespace ccdr::plugin {

std::string normalize_database_name(std::string_view name) {
    std::string out(name);
    for (char& c : out) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return out;
}

Status check_database_name(std::string_view name) {
    auto bad = [&](const std::string& why) {
        return Status(CCDR_PROCEDURE_CALL_FAILED, "invalid database name '" + std::string(name) + "': " + why);
    };
    if (name.size() < 3 || name.size() > 63) {
        return bad("must have 3 to 63 characters, has " + std::to_string(name.size()));
    }
    if (!std::isalpha(static_cast<unsigned char>(name.front()))) {
        return bad("must start with an ASCII letter");
    }
    for (char c : name) {
        bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-';
        if (!ok || static_cast<unsigned char>(c) > 127) {
            return bad(std::string("character '") + c + "' is not allowed (letters, digits, '.' and '-' only)");
        }
    }
    if (name.back() == '.' || name.back() == '-') {
        return bad("must not end with '.' or '-'");
    }
    if (name.find("..") != std::string_view::npos) {
        return bad("must not contain '..'");
    }
    if (normalize_database_name(name).rfind("system", 0) == 0) {
        return bad("names starting with 'system' are reserved; the system database cannot be replicated");
    }
    return {};
}

}  // namespace ccdr::plugin

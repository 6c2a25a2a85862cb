// plugin/procedures/database_name.hpp: Neo4j's rules for database names,
// checked before anything is created.
#pragma once

#include <ccdr/status.hpp>

#include <string>
#include <string_view>

namespace ccdr::plugin {

// Neo4j stores database names in lower case; names compare case-insensitively.
std::string normalize_database_name(std::string_view name);

// OK, or CCDR_PROCEDURE_CALL_FAILED saying which rule `name` breaks: 3 to 63
// characters; starts with an ASCII letter; then letters, digits, dots and
// dashes; does not end with a dot or dash; no "..";  not `system` or a name
// starting with "system".
Status check_database_name(std::string_view name);

}  // namespace ccdr::plugin

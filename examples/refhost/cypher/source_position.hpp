// examples/refhost/cypher/source_position.hpp: positions in query text as
// Neo4j reports them ("(line 1, column 8 (offset: 7))" plus the offending
// line and a caret), counted in characters, not bytes.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace refhost::cypher {

struct SourcePosition {
    size_t line = 1;    // 1-based
    size_t column = 1;  // 1-based, in characters
    size_t offset = 0;  // 0-based, in characters
};

SourcePosition position_of(std::string_view query, size_t byte_offset);

// "(line L, column C (offset: O))"
std::string describe(const SourcePosition& p);

// The line holding `byte_offset`, quoted, and a caret under the character:
//   "MATCH (n) FOO"
//              ^
std::string caret_excerpt(std::string_view query, size_t byte_offset);

// Neo4j's SyntaxError message: `message`, the position, then the excerpt.
std::string syntax_message(std::string_view query, size_t byte_offset, const std::string& message);

}  // namespace refhost::cypher

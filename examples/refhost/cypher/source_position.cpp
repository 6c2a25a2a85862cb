// examples/refhost/cypher/source_position.cpp: offsets to lines/columns.
#include "cypher/source_position.hpp"

namespace refhost::cypher {

namespace {

// A UTF-8 continuation byte does not start a character.
bool starts_character(char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }

}  // namespace

SourcePosition position_of(std::string_view query, size_t byte_offset) {
    SourcePosition p;
    if (byte_offset > query.size()) {
        byte_offset = query.size();
    }
    for (size_t i = 0; i < byte_offset; ++i) {
        if (!starts_character(query[i])) {
            continue;
        }
        ++p.offset;
        if (query[i] == '\n') {
            ++p.line;
            p.column = 1;
        } else {
            ++p.column;
        }
    }
    return p;
}

std::string describe(const SourcePosition& p) {
    return "(line " + std::to_string(p.line) + ", column " + std::to_string(p.column) +
           " (offset: " + std::to_string(p.offset) + "))";
}

std::string caret_excerpt(std::string_view query, size_t byte_offset) {
    if (byte_offset > query.size()) {
        byte_offset = query.size();
    }
    size_t begin = query.substr(0, byte_offset).rfind('\n');
    begin = begin == std::string_view::npos ? 0 : begin + 1;
    size_t end = query.find('\n', byte_offset);
    if (end == std::string_view::npos) {
        end = query.size();
    }
    std::string_view line = query.substr(begin, end - begin);
    if (!line.empty() && line.back() == '\r') {
        line.remove_suffix(1);
    }
    size_t column = position_of(query, byte_offset).column;
    return "\"" + std::string(line) + "\"\n" + std::string(column, ' ') + "^";
}

std::string syntax_message(std::string_view query, size_t byte_offset, const std::string& message) {
    return message + " " + describe(position_of(query, byte_offset)) + "\n" + caret_excerpt(query, byte_offset);
}

}  // namespace refhost::cypher

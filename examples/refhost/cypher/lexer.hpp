// examples/refhost/cypher/lexer.hpp: Cypher text to tokens. Keywords are not
// distinguished here (Cypher lets most keywords be names); the parser matches
// them case-insensitively on unquoted identifiers.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace refhost::cypher {

enum class TokenKind {
    End,               // end of input
    Identifier,        // unquoted name or keyword
    QuotedIdentifier,  // `back quoted` name, text unescaped
    Integer,           // text as written (decimal, 0x.., 0o..)
    Float,             // text as written
    String,            // text is the unescaped value
    Parameter,         // $name: text is the name
    Symbol,            // punctuation and operators: ( ) [ ] { } , ; : . .. | + - * / % ^ = <> < <= > >= += =~
};

struct Token {
    TokenKind kind = TokenKind::End;
    std::string text;
    size_t offset = 0;  // byte offset of the first character
    size_t end = 0;     // byte offset after the last character
};

// Throws QueryError (SyntaxError with the position) on a character that
// cannot start a token, an unterminated string/comment/quoted name, or a
// bad escape. The last token is always End.
std::vector<Token> tokenize(std::string_view query);

// How a token is shown in "Invalid input '…'": its source text ('' at the end).
std::string token_display(std::string_view query, const Token& t);

}  // namespace refhost::cypher

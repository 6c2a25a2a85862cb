// examples/refhost/cypher/lexer.cpp: the tokenizer.
#include "cypher/lexer.hpp"

#include "cypher/query_error.hpp"
#include "cypher/source_position.hpp"

#include <cstdint>

namespace refhost::cypher {

namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
// Bytes >= 0x80 are parts of UTF-8 letters; Cypher accepts Unicode letters in names.
bool is_name_start(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || static_cast<unsigned char>(c) >= 0x80;
}
bool is_name_part(char c) { return is_name_start(c) || is_digit(c); }

void append_utf8(std::string& out, uint32_t cp) {
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
}

class Lexer {
public:
    explicit Lexer(std::string_view q) : q_(q) {}

    std::vector<Token> run() {
        std::vector<Token> out;
        for (;;) {
            skip_space_and_comments();
            if (i_ >= q_.size()) {
                out.push_back(Token{TokenKind::End, "", q_.size(), q_.size()});
                return out;
            }
            out.push_back(next());
        }
    }

private:
    [[noreturn]] void fail(size_t at, const std::string& message) {
        throw_error(status::kSyntaxError, syntax_message(q_, at, message));
    }

    char at(size_t k) const { return k < q_.size() ? q_[k] : '\0'; }

    void skip_space_and_comments() {
        for (;;) {
            while (i_ < q_.size() && is_space(q_[i_])) {
                ++i_;
            }
            if (at(i_) == '/' && at(i_ + 1) == '/') {
                while (i_ < q_.size() && q_[i_] != '\n') {
                    ++i_;
                }
                continue;
            }
            if (at(i_) == '/' && at(i_ + 1) == '*') {
                size_t close = q_.find("*/", i_ + 2);
                if (close == std::string_view::npos) {
                    fail(i_, "Failed to parse comment. A comment starting with '/*' must also have a closing '*/'.");
                }
                i_ = close + 2;
                continue;
            }
            return;
        }
    }

    Token next() {
        size_t start = i_;
        char c = q_[i_];
        if (is_name_start(c)) {
            while (i_ < q_.size() && is_name_part(q_[i_])) {
                ++i_;
            }
            return Token{TokenKind::Identifier, std::string(q_.substr(start, i_ - start)), start, i_};
        }
        if (c == '`') {
            return quoted_name(start);
        }
        if (is_digit(c) || (c == '.' && is_digit(at(i_ + 1)))) {
            return number(start);
        }
        if (c == '\'' || c == '"') {
            return string_literal(start, c);
        }
        if (c == '$') {
            ++i_;
            std::string name;
            if (at(i_) == '`') {
                name = quoted_name(i_).text;
            } else if (is_name_part(at(i_))) {
                while (i_ < q_.size() && is_name_part(q_[i_])) {
                    ++i_;
                }
                name = std::string(q_.substr(start + 1, i_ - start - 1));
            } else {
                fail(start + 1, "Invalid input '" + std::string(q_.substr(i_, 1)) + "': expected a parameter name");
            }
            return Token{TokenKind::Parameter, name, start, i_};
        }
        static constexpr std::string_view kTwo[] = {"..", "<>", "<=", ">=", "+=", "=~"};
        for (auto two : kTwo) {
            if (q_.substr(i_, 2) == two) {
                i_ += 2;
                return Token{TokenKind::Symbol, std::string(two), start, i_};
            }
        }
        static constexpr std::string_view kOne = "()[]{},;:.|+-*/%^=<>";
        if (kOne.find(c) != std::string_view::npos) {
            ++i_;
            return Token{TokenKind::Symbol, std::string(1, c), start, i_};
        }
        size_t len = 1;
        while (start + len < q_.size() && (static_cast<unsigned char>(q_[start + len]) & 0xC0) == 0x80) {
            ++len;
        }
        fail(start, "Invalid input '" + std::string(q_.substr(start, len)) + "'");
    }

    Token quoted_name(size_t start) {
        std::string text;
        ++i_;
        for (;;) {
            if (i_ >= q_.size()) {
                fail(start, "Failed to parse escaped name. A name starting with '`' must also end with '`'.");
            }
            if (q_[i_] == '`') {
                if (at(i_ + 1) == '`') {  // `` inside a quoted name is one backquote
                    text += '`';
                    i_ += 2;
                    continue;
                }
                ++i_;
                break;
            }
            text += q_[i_++];
        }
        if (text.empty()) {
            fail(start, "'``' is not a valid name: an escaped name cannot be empty");
        }
        return Token{TokenKind::QuotedIdentifier, text, start, i_};
    }

    Token number(size_t start) {
        if (q_[i_] == '0' && (at(i_ + 1) == 'x' || at(i_ + 1) == 'X' || at(i_ + 1) == 'o' || at(i_ + 1) == 'O')) {
            bool hex = at(i_ + 1) == 'x' || at(i_ + 1) == 'X';
            i_ += 2;
            size_t digits = i_;
            while (i_ < q_.size() && (hex ? is_hex(q_[i_]) : (q_[i_] >= '0' && q_[i_] <= '7'))) {
                ++i_;
            }
            if (i_ == digits || is_name_part(at(i_))) {
                fail(start, std::string("Invalid input '") + std::string(q_.substr(start, i_ + 1 - start)) +
                                "': " + (hex ? "hexadecimal" : "octal") + " integer literal has invalid digits");
            }
            return Token{TokenKind::Integer, std::string(q_.substr(start, i_ - start)), start, i_};
        }
        bool is_float = false;
        while (i_ < q_.size() && is_digit(q_[i_])) {
            ++i_;
        }
        // "1..3" is a range in a slice: the dot belongs to "..", not to the number.
        if (at(i_) == '.' && is_digit(at(i_ + 1))) {
            is_float = true;
            ++i_;
            while (i_ < q_.size() && is_digit(q_[i_])) {
                ++i_;
            }
        }
        if (at(i_) == 'e' || at(i_) == 'E') {
            size_t k = i_ + 1;
            if (at(k) == '+' || at(k) == '-') {
                ++k;
            }
            if (is_digit(at(k))) {
                is_float = true;
                i_ = k;
                while (i_ < q_.size() && is_digit(q_[i_])) {
                    ++i_;
                }
            }
        }
        if (is_name_start(at(i_))) {
            size_t e = i_;
            while (e < q_.size() && is_name_part(q_[e])) {
                ++e;
            }
            fail(start, "Invalid input '" + std::string(q_.substr(start, e - start)) + "': not a number");
        }
        return Token{is_float ? TokenKind::Float : TokenKind::Integer, std::string(q_.substr(start, i_ - start)),
                     start, i_};
    }

    uint32_t hex_digits(size_t from, size_t count, size_t escape_start) {
        uint32_t v = 0;
        for (size_t k = 0; k < count; ++k) {
            char h = at(from + k);
            if (!is_hex(h)) {
                fail(escape_start, "Invalid input '" + std::string(q_.substr(escape_start, from + k + 1 - escape_start)) +
                                       "': a Unicode escape needs " + std::to_string(count) + " hexadecimal digits");
            }
            v = v * 16 + static_cast<uint32_t>(is_digit(h) ? h - '0' : (h | 0x20) - 'a' + 10);
        }
        return v;
    }

    Token string_literal(size_t start, char quote) {
        std::string value;
        ++i_;
        for (;;) {
            if (i_ >= q_.size()) {
                fail(start, std::string("Failed to parse string literal. The query must contain an even number of "
                                        "non-escaped quotes (") + quote + ").");
            }
            char c = q_[i_];
            if (c == quote) {
                ++i_;
                break;
            }
            if (c != '\\') {
                value += c;
                ++i_;
                continue;
            }
            size_t esc = i_;
            char e = at(i_ + 1);
            i_ += 2;
            switch (e) {
                case '\\': value += '\\'; break;
                case '\'': value += '\''; break;
                case '"': value += '"'; break;
                case 'b': value += '\b'; break;
                case 'f': value += '\f'; break;
                case 'n': value += '\n'; break;
                case 'r': value += '\r'; break;
                case 't': value += '\t'; break;
                case 'u':
                case 'U': {
                    size_t n = e == 'u' ? 4 : 8;
                    uint32_t cp = hex_digits(i_, n, esc);
                    i_ += n;
                    if (e == 'u' && cp >= 0xD800 && cp <= 0xDBFF && at(i_) == '\\' && at(i_ + 1) == 'u') {
                        // A UTF-16 surrogate pair written as two \u escapes.
                        uint32_t low = hex_digits(i_ + 2, 4, i_);
                        if (low >= 0xDC00 && low <= 0xDFFF) {
                            cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
                            i_ += 6;
                        }
                    }
                    if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
                        fail(esc, "Invalid input '" + std::string(q_.substr(esc, i_ - esc)) +
                                      "': not a valid Unicode code point");
                    }
                    append_utf8(value, cp);
                    break;
                }
                default:
                    fail(esc, "Invalid input '\\" + std::string(1, e) +
                                  "': invalid escape sequence (valid: \\\\ \\' \\\" \\b \\f \\n \\r \\t \\uXXXX "
                                  "\\UXXXXXXXX)");
            }
        }
        return Token{TokenKind::String, value, start, i_};
    }

    std::string_view q_;
    size_t i_ = 0;
};

}  // namespace

std::vector<Token> tokenize(std::string_view query) { return Lexer(query).run(); }

std::string token_display(std::string_view query, const Token& t) {
    if (t.kind == TokenKind::End) {
        return "";
    }
    return std::string(query.substr(t.offset, t.end - t.offset));
}

}  // namespace refhost::cypher

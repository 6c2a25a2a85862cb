// examples/refhost/shell/literal.cpp: a recursive-descent literal parser.
#include "shell/literal.hpp"

#include <cctype>
#include <charconv>
#include <cmath>
#include <string>

namespace refhost::shell {

namespace {

constexpr const status::Code& kSyntax = status::kSyntaxError;
constexpr size_t kMaxDepth = 64;

class Parser {
public:
    explicit Parser(std::string_view t) : t_(t) {}

    Outcome<Value> value(size_t depth = 0) {
        skip();
        if (depth > kMaxDepth) {
            return error("nesting deeper than 64 levels");
        }
        if (at_end()) {
            return error("a value was expected");
        }
        char c = t_[pos_];
        if (c == '\'' || c == '"') {
            return string_literal();
        }
        if (c == '[') {
            return list(depth);
        }
        if (c == '{') {
            auto m = map(depth);
            if (!m) {
                return m.error();
            }
            return Value(std::move(m.value()));
        }
        if (c == '-' || c == '+' || c == '.' || std::isdigit(static_cast<unsigned char>(c)) != 0) {
            return number();
        }
        if (std::isalpha(static_cast<unsigned char>(c)) != 0) {
            size_t start = pos_;
            std::string word = identifier();
            std::string lower;
            for (char ch : word) {
                lower.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(ch))));
            }
            if (lower == "true") {
                return Value(true);
            }
            if (lower == "false") {
                return Value(false);
            }
            if (lower == "null") {
                return Value();
            }
            if (lower == "nan") {
                return Value(std::nan(""));
            }
            if (lower == "infinity") {
                return Value(HUGE_VAL);
            }
            pos_ = start;
            return error("'" + word + "' is not a literal (only numbers, strings, booleans, null, lists and maps)");
        }
        return error(std::string("unexpected '") + c + "'");
    }

    Outcome<Map> map(size_t depth) {
        Map m;
        ++pos_;  // '{'
        skip();
        if (peek('}')) {
            ++pos_;
            return m;
        }
        for (;;) {
            skip();
            auto key = map_key();
            if (!key) {
                return key.error();
            }
            skip();
            if (!peek(':')) {
                return error("':' expected after the key '" + key.value() + "'");
            }
            ++pos_;
            auto v = value(depth + 1);
            if (!v) {
                return v.error();
            }
            m[key.value()] = std::move(v.value());
            skip();
            if (peek(',')) {
                ++pos_;
                continue;
            }
            if (peek('}')) {
                ++pos_;
                return m;
            }
            return error("',' or '}' expected");
        }
    }

    Outcome<std::string> name() {
        skip();
        if (peek('`')) {
            return backticked();
        }
        if (at_end() || (std::isalpha(static_cast<unsigned char>(t_[pos_])) == 0 && t_[pos_] != '_')) {
            return Error(make_error(kSyntax, message_at("a parameter name was expected")));
        }
        return identifier();
    }

    void skip() {
        while (!at_end() && std::isspace(static_cast<unsigned char>(t_[pos_])) != 0) {
            ++pos_;
        }
    }
    bool at_end() const { return pos_ >= t_.size(); }
    bool peek(char c) const { return !at_end() && t_[pos_] == c; }
    bool peek(std::string_view s) const { return t_.substr(pos_, s.size()) == s; }
    void advance(size_t n) { pos_ += n; }

    Error error(const std::string& what) const { return make_error(kSyntax, message_at(what)); }
    std::string message_at(const std::string& what) const {
        return "Invalid parameter: " + what + " (at offset " + std::to_string(pos_) + " of '" + std::string(t_) + "')";
    }

private:
    std::string identifier() {
        std::string w;
        while (!at_end() && (std::isalnum(static_cast<unsigned char>(t_[pos_])) != 0 || t_[pos_] == '_')) {
            w.push_back(t_[pos_++]);
        }
        return w;
    }

    Outcome<std::string> backticked() {
        ++pos_;
        std::string w;
        while (!at_end() && t_[pos_] != '`') {
            w.push_back(t_[pos_++]);
        }
        if (at_end()) {
            return Error(error("unterminated `name`"));
        }
        ++pos_;
        return w;
    }

    Outcome<std::string> map_key() {
        if (peek('`')) {
            return backticked();
        }
        if (peek('\'') || peek('"')) {
            auto s = string_literal();
            if (!s) {
                return s.error();
            }
            return s->as<std::string>();
        }
        if (at_end() || (std::isalpha(static_cast<unsigned char>(t_[pos_])) == 0 && t_[pos_] != '_')) {
            return Error(error("a map key was expected"));
        }
        return identifier();
    }

    Outcome<Value> list(size_t depth) {
        List l;
        ++pos_;
        skip();
        if (peek(']')) {
            ++pos_;
            return Value(std::move(l));
        }
        for (;;) {
            auto v = value(depth + 1);
            if (!v) {
                return v.error();
            }
            l.push_back(std::move(v.value()));
            skip();
            if (peek(',')) {
                ++pos_;
                continue;
            }
            if (peek(']')) {
                ++pos_;
                return Value(std::move(l));
            }
            return error("',' or ']' expected");
        }
    }

    static void append_utf8(std::string& out, uint32_t cp) {
        if (cp < 0x80) {
            out.push_back(static_cast<char>(cp));
        } else if (cp < 0x800) {
            out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
            out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
        } else if (cp < 0x10000) {
            out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
            out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
            out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
        } else {
            out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
            out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
            out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
            out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
        }
    }

    Outcome<Value> string_literal() {
        char quote = t_[pos_++];
        std::string s;
        while (!at_end() && t_[pos_] != quote) {
            char c = t_[pos_++];
            if (c != '\\') {
                s.push_back(c);
                continue;
            }
            if (at_end()) {
                break;
            }
            char e = t_[pos_++];
            switch (e) {
                case 'n':
                    s.push_back('\n');
                    break;
                case 't':
                    s.push_back('\t');
                    break;
                case 'r':
                    s.push_back('\r');
                    break;
                case 'b':
                    s.push_back('\b');
                    break;
                case 'f':
                    s.push_back('\f');
                    break;
                case '\\':
                case '\'':
                case '"':
                    s.push_back(e);
                    break;
                case 'u': {
                    if (pos_ + 4 > t_.size()) {
                        return error("\\u needs four hex digits");
                    }
                    uint32_t cp = 0;
                    auto r = std::from_chars(t_.data() + pos_, t_.data() + pos_ + 4, cp, 16);
                    if (r.ptr != t_.data() + pos_ + 4) {
                        return error("\\u needs four hex digits");
                    }
                    pos_ += 4;
                    append_utf8(s, cp);
                    break;
                }
                default:
                    return error(std::string("unknown escape \\") + e);
            }
        }
        if (at_end()) {
            return error("unterminated string");
        }
        ++pos_;
        return Value(std::move(s));
    }

    Outcome<Value> number() {
        size_t start = pos_;
        bool negative = false;
        if (peek('-') || peek('+')) {
            negative = t_[pos_] == '-';
            ++pos_;
            skip();
        }
        if (peek("0x") || peek("0X")) {
            pos_ += 2;
            size_t digits = pos_;
            while (!at_end() && std::isxdigit(static_cast<unsigned char>(t_[pos_])) != 0) {
                ++pos_;
            }
            uint64_t v = 0;
            auto r = std::from_chars(t_.data() + digits, t_.data() + pos_, v, 16);
            if (r.ec != std::errc() || v > (negative ? uint64_t{1} << 63 : uint64_t{INT64_MAX})) {
                pos_ = start;
                return error("hexadecimal integer out of range");
            }
            return Value(negative ? static_cast<int64_t>(0 - v) : static_cast<int64_t>(v));
        }
        size_t digits = pos_;
        bool is_float = false;
        while (!at_end()) {
            char c = t_[pos_];
            if (std::isdigit(static_cast<unsigned char>(c)) != 0) {
                ++pos_;
            } else if (c == '.' || c == 'e' || c == 'E') {
                is_float = true;
                ++pos_;
                if ((c == 'e' || c == 'E') && (peek('-') || peek('+'))) {
                    ++pos_;
                }
            } else {
                break;
            }
        }
        std::string text(t_.substr(digits, pos_ - digits));
        if (text.empty() || text == ".") {
            pos_ = start;
            return error("a number was expected");
        }
        if (is_float) {
            double d = 0;
            auto r = std::from_chars(text.data(), text.data() + text.size(), d);
            if (r.ec != std::errc() || r.ptr != text.data() + text.size()) {
                pos_ = start;
                return error("'" + text + "' is not a number");
            }
            return Value(negative ? -d : d);
        }
        uint64_t v = 0;
        auto r = std::from_chars(text.data(), text.data() + text.size(), v);
        if (r.ec != std::errc() || v > (negative ? uint64_t{1} << 63 : uint64_t{INT64_MAX})) {
            pos_ = start;
            return error("integer '" + text + "' out of range");
        }
        return Value(negative ? static_cast<int64_t>(0 - v) : static_cast<int64_t>(v));
    }

    std::string_view t_;
    size_t pos_ = 0;
};

}  // namespace

Outcome<Value> parse_literal(std::string_view text) {
    Parser p(text);
    auto v = p.value();
    if (!v) {
        return v;
    }
    p.skip();
    if (!p.at_end()) {
        return p.error("unexpected text after the value");
    }
    return v;
}

Outcome<Map> parse_parameters(std::string_view text) {
    Parser p(text);
    p.skip();
    if (p.peek('{')) {
        auto m = p.map(0);
        if (!m) {
            return m;
        }
        p.skip();
        if (!p.at_end()) {
            return p.error("unexpected text after the parameter map");
        }
        return m;
    }
    auto name = p.name();
    if (!name) {
        return name.error();
    }
    p.skip();
    if (p.peek("=>")) {
        p.advance(2);
    } else if (p.peek(':')) {
        p.advance(1);
    } else {
        return p.error("'=>' expected after the parameter name (name => value, or {name: value})");
    }
    auto v = p.value();
    if (!v) {
        return v.error();
    }
    p.skip();
    if (!p.at_end()) {
        return p.error("unexpected text after the value");
    }
    return Map{{name.value(), std::move(v.value())}};
}

}  // namespace refhost::shell

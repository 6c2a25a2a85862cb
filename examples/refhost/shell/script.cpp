// examples/refhost/shell/script.cpp: statement splitting.
#include "shell/script.hpp"

#include <cctype>

namespace refhost::shell {

namespace {

std::string trim(std::string_view s) {
    size_t b = 0;
    size_t e = s.size();
    while (b < e && std::isspace(static_cast<unsigned char>(s[b])) != 0) {
        ++b;
    }
    while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1])) != 0) {
        --e;
    }
    return std::string(s.substr(b, e - b));
}

}  // namespace

std::optional<ScriptItem> ScriptSplitter::take() {
    std::optional<ScriptItem> item;
    if (in_command_) {
        item = ScriptItem{ScriptItem::Kind::Command, trim(current_)};
    } else if (has_content_) {
        item = ScriptItem{ScriptItem::Kind::Cypher, trim(current_)};
    }
    current_.clear();
    has_content_ = false;
    in_command_ = false;
    quote_ = 0;
    escape_ = false;
    line_comment_ = false;
    block_comment_ = false;
    return item;
}

std::vector<ScriptItem> ScriptSplitter::feed(std::string_view text) {
    std::vector<ScriptItem> out;
    for (size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        char next = i + 1 < text.size() ? text[i + 1] : '\0';
        if (in_command_) {
            if (c == '\n') {
                if (auto item = take()) {
                    out.push_back(std::move(*item));
                }
            } else {
                current_.push_back(c);
            }
            continue;
        }
        if (line_comment_) {
            current_.push_back(c);
            if (c == '\n') {
                line_comment_ = false;
            }
            continue;
        }
        if (block_comment_) {
            current_.push_back(c);
            if (c == '*' && next == '/') {
                current_.push_back(next);
                ++i;
                block_comment_ = false;
            }
            continue;
        }
        if (quote_ != 0) {
            current_.push_back(c);
            if (escape_) {
                escape_ = false;
            } else if (c == '\\' && quote_ != '`') {
                escape_ = true;
            } else if (c == quote_) {
                quote_ = 0;
            }
            continue;
        }
        if (c == ':' && !has_content_) {
            // A shell command: only at the start of a statement.
            current_.clear();
            in_command_ = true;
            current_.push_back(c);
            continue;
        }
        if (c == '/' && next == '/') {
            line_comment_ = true;
            current_.push_back(c);
            continue;
        }
        if (c == '/' && next == '*') {
            block_comment_ = true;
            current_ += "/*";
            ++i;
            continue;
        }
        if (c == ';') {
            if (auto item = take()) {
                out.push_back(std::move(*item));
            }
            continue;
        }
        if (c == '\'' || c == '"' || c == '`') {
            quote_ = c;
        }
        if (std::isspace(static_cast<unsigned char>(c)) == 0) {
            has_content_ = true;
        }
        current_.push_back(c);
    }
    return out;
}

std::optional<ScriptItem> ScriptSplitter::finish() { return take(); }

std::vector<ScriptItem> split_script(std::string_view text) {
    ScriptSplitter s;
    auto items = s.feed(text);
    if (auto last = s.finish()) {
        items.push_back(std::move(*last));
    }
    return items;
}

}  // namespace refhost::shell

// examples/refhost/shell/script.hpp: splits what the user types or pipes
// into statements, as cypher-shell does: Cypher statements end with `;`
// (outside strings, backticks and comments); a line starting with `:` is a
// shell command (`:use db`, `:param x => 1`, `:exit`, `:help`) ending at the
// end of the line. Input may arrive in pieces (line by line when
// interactive).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace refhost::shell {

struct ScriptItem {
    enum class Kind { Cypher, Command };
    Kind kind = Kind::Cypher;
    std::string text;  // trimmed; without the `;`
    bool operator==(const ScriptItem&) const = default;
};

class ScriptSplitter {
public:
    // The items completed by `text`.
    std::vector<ScriptItem> feed(std::string_view text);
    // At the end of the input: the last statement if it had no `;`.
    std::optional<ScriptItem> finish();
    // True while a statement or command is incomplete.
    bool pending() const { return has_content_ || in_command_; }

private:
    std::optional<ScriptItem> take();

    std::string current_;
    bool has_content_ = false;  // something besides whitespace and comments
    bool in_command_ = false;
    char quote_ = 0;  // '\'', '"' or '`' while inside one
    bool escape_ = false;
    bool line_comment_ = false;
    bool block_comment_ = false;
};

// All items of a whole script.
std::vector<ScriptItem> split_script(std::string_view text);

}  // namespace refhost::shell

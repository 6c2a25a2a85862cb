// examples/refhost/shell/shell.cpp: statements, commands, the prompt.
#include "shell/shell.hpp"

#include "shell/literal.hpp"
#include "shell/output.hpp"
#include "shell/render.hpp"
#include "shell/script.hpp"
#include "shell/session.hpp"

#include <chrono>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>

#include <termios.h>
#include <unistd.h>

namespace refhost::shell {

namespace {

const char* kCommandHelp = R"(Available commands:
  :use DATABASE     run the following statements against DATABASE
  :param name => value, :param {name: value}
                    define query parameters
  :params           list the defined parameters
  :help             this text
  :exit, :quit      leave the shell
Cypher statements end with a semicolon.
)";

class Shell {
public:
    Shell(ShellOptions o, std::istream& in, std::ostream& out, std::ostream& err, Terminal t)
        : options_(std::move(o)), in_(in), out_(out), err_(err), terminal_(t) {
        format_ = options_.format.value_or(t.stdout_is_tty ? Format::Table : Format::Plain);
        params_ = options_.params;
    }

    int run() {
        bool interactive = terminal_.stdin_is_tty && !options_.query && !options_.file && !options_.non_interactive;
        if (interactive && !options_.password) {
            options_.password = ask_password();
        }
        auto session = ShellSession::open(options_, options_.database);
        if (!session) {
            report(session.error());
            return 1;
        }
        session_ = std::move(session.value());

        paced_from_ = std::chrono::steady_clock::now();
        if (options_.query) {
            run_items(split_script(*options_.query));
        } else if (options_.file) {
            std::ifstream f(*options_.file, std::ios::binary);
            if (!f) {
                err_ << "Failed to read file " << *options_.file << ": cannot open it\n";
                return 1;
            }
            std::stringstream text;
            text << f.rdbuf();
            run_items(split_script(text.str()));
        } else if (interactive) {
            prompt_loop();
        } else {
            std::stringstream text;
            text << in_.rdbuf();
            run_items(split_script(text.str()));
        }
        session_->close();
        return failed_ ? 1 : 0;
    }

private:
    void report(const Error& e) {
        err_ << e.code << ": " << e.message << '\n';
        err_.flush();
        failed_ = true;
    }

    std::string ask_password() {
        out_ << "password: " << std::flush;
        termios old{};
        bool restore = tcgetattr(STDIN_FILENO, &old) == 0;
        if (restore) {
            termios quiet = old;
            quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
            tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
        }
        std::string password;
        std::getline(in_, password);
        if (restore) {
            tcsetattr(STDIN_FILENO, TCSANOW, &old);
        }
        out_ << '\n';
        return password;
    }

    // Runs items until one fails (fail-fast) or to the end. Returns false
    // when the shell should stop (:exit or a failure with fail-fast).
    bool run_items(const std::vector<ScriptItem>& items) {
        for (const auto& item : items) {
            bool ok = item.kind == ScriptItem::Kind::Command ? command(item.text) : statement(item.text);
            if (exit_requested_) {
                return false;
            }
            if (!ok && !options_.fail_at_end && !interactive_) {
                return false;
            }
        }
        return true;
    }

    // --rate: statement i is due at start + i / rate; a late one goes at once.
    void wait_for_turn() {
        if (!options_.rate) {
            return;
        }
        auto due = paced_from_ + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                     std::chrono::duration<double>(static_cast<double>(paced_sent_) / *options_.rate));
        ++paced_sent_;
        std::this_thread::sleep_until(due);
    }

    bool statement(const std::string& query) {
        wait_for_turn();
        auto r = session_->run(query, params_);
        if (!r) {
            report(r.error());
            return false;
        }
        print_result(out_, format_, r.value());
        out_.flush();
        return true;
    }

    bool command(const std::string& text) {
        std::string name = text.substr(0, text.find_first_of(" \t"));
        std::string arg = name.size() < text.size() ? text.substr(name.size()) : std::string();
        size_t b = arg.find_first_not_of(" \t");
        arg = b == std::string::npos ? std::string() : arg.substr(b);
        while (!arg.empty() && (arg.back() == ';' || arg.back() == ' ' || arg.back() == '\r')) {
            arg.pop_back();
        }
        if (name == ":exit" || name == ":quit") {
            exit_requested_ = true;
            return true;
        }
        if (name == ":help") {
            out_ << kCommandHelp;
            return true;
        }
        if (name == ":params") {
            for (const auto& [k, v] : params_) {
                out_ << ":param " << k << " => " << render(v) << '\n';
            }
            return true;
        }
        if (name == ":param") {
            auto p = parse_parameters(arg);
            if (!p) {
                report(p.error());
                return false;
            }
            for (auto& [k, v] : p.value()) {
                params_[k] = v;
            }
            return true;
        }
        if (name == ":use") {
            if (arg.size() >= 2 && arg.front() == '`' && arg.back() == '`') {
                arg = arg.substr(1, arg.size() - 2);
            }
            auto s = ShellSession::open(options_, arg);
            if (!s) {
                report(s.error());
                return false;
            }
            session_->close();
            session_ = std::move(s.value());
            return true;
        }
        report(make_error(status::kRequestInvalid,
                          "Could not find command " + name + ", use :help to see available commands"));
        return false;
    }

    std::string prompt() const {
        std::string db = session_->database().empty() ? std::string("(default)") : session_->database();
        return options_.username + "@" + db + "> ";
    }

    void prompt_loop() {
        interactive_ = true;
        out_ << "Connected to Neo4j using Bolt protocol version " << session_->version().to_string() << " at "
             << options_.address << " as user " << options_.username << ".\n"
             << "Type :help for a list of available commands or :exit to exit the shell.\n"
             << "Note that Cypher queries must end with a semicolon.\n";
        ScriptSplitter splitter;
        std::string line;
        for (;;) {
            std::string p = prompt();
            out_ << (splitter.pending() ? std::string(p.size() - 2, ' ') + "> " : p) << std::flush;
            if (!std::getline(in_, line)) {
                out_ << '\n';
                break;
            }
            if (!run_items(splitter.feed(line + "\n"))) {
                break;
            }
        }
        // Failures at the prompt do not make the exit status.
        failed_ = false;
    }

    ShellOptions options_;
    std::istream& in_;
    std::ostream& out_;
    std::ostream& err_;
    Terminal terminal_;
    Format format_ = Format::Plain;
    Map params_;
    std::unique_ptr<ShellSession> session_;
    std::chrono::steady_clock::time_point paced_from_;
    uint64_t paced_sent_ = 0;
    bool failed_ = false;
    bool interactive_ = false;
    bool exit_requested_ = false;
};

}  // namespace

int run_shell(ShellOptions options, std::istream& in, std::ostream& out, std::ostream& err, Terminal terminal) {
    Shell shell(std::move(options), in, out, err, terminal);
    return shell.run();
}

}  // namespace refhost::shell

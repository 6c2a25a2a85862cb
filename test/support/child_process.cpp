#include "support/child_process.hpp"

#include "support/eventually.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace refhost::test {

namespace {

std::string slurp(const std::filesystem::path& p) {
    std::ifstream in(p);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

int decode(int status) {
    if (WIFEXITED(status)) {
        return WEXITSTATUS(status);
    }
    if (WIFSIGNALED(status)) {
        return 128 + WTERMSIG(status);
    }
    return -1;
}

}  // namespace

ChildProcess::ChildProcess(std::vector<std::string> argv, const std::filesystem::path& output_dir,
                           std::vector<std::string> extra_env) {
    static int counter = 0;
    std::string tag = std::to_string(::getpid()) + "-" + std::to_string(counter++);
    out_ = output_dir / ("child-" + tag + ".out");
    err_ = output_dir / ("child-" + tag + ".err");
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, out_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&actions, 2, err_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    std::vector<char*> args;
    for (auto& a : argv) {
        args.push_back(a.data());
    }
    args.push_back(nullptr);
    std::vector<std::string> env_strings;
    for (char** e = environ; *e != nullptr; ++e) {
        env_strings.emplace_back(*e);
    }
    env_strings.insert(env_strings.end(), extra_env.begin(), extra_env.end());
    std::vector<char*> env;
    for (auto& e : env_strings) {
        env.push_back(e.data());
    }
    env.push_back(nullptr);
    int rc = posix_spawn(&pid_, args[0], &actions, nullptr, args.data(), env.data());
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) {
        throw std::runtime_error("cannot start " + argv[0]);
    }
}

ChildProcess::~ChildProcess() {
    if (pid_ > 0 && !exit_code_) {
        ::kill(pid_, SIGTERM);
        if (!wait_exit(std::chrono::seconds(10))) {
            kill9();
        }
    }
}

std::optional<int> ChildProcess::wait_exit(std::chrono::milliseconds timeout) {
    if (exit_code_) {
        return exit_code_;
    }
    ccdr::test::eventually(
        [&] {
            int status = 0;
            if (::waitpid(pid_, &status, WNOHANG) != pid_) {
                return false;
            }
            exit_code_ = decode(status);
            return true;
        },
        timeout, std::chrono::milliseconds(5));
    return exit_code_;
}

bool ChildProcess::wait_for_stdout(const std::string& text, std::chrono::milliseconds timeout) {
    // Until the text shows or the process exits (its output is complete then).
    ccdr::test::eventually(
        [&] { return out().find(text) != std::string::npos || wait_exit(std::chrono::milliseconds(0)); },
        timeout);
    return out().find(text) != std::string::npos;
}

void ChildProcess::signal(int sig) {
    if (pid_ > 0 && !exit_code_) {
        ::kill(pid_, sig);
    }
}

void ChildProcess::kill9() {
    if (pid_ > 0 && !exit_code_) {
        ::kill(pid_, SIGKILL);
        int status = 0;
        ::waitpid(pid_, &status, 0);
        exit_code_ = decode(status);
    }
}

std::string ChildProcess::out() const { return slurp(out_); }
std::string ChildProcess::err() const { return slurp(err_); }

}  // namespace refhost::test

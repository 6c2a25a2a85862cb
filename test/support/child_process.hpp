// test/support/child_process.hpp: a program run by a test, with stdout and
// stderr captured to files, always stopped by its PID when the guard goes
// (SIGTERM, then SIGKILL after a grace period), pass or fail.
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <sys/types.h>

namespace refhost::test {

class ChildProcess {
public:
    // Starts `argv[0]` with `argv`, extra environment entries NAME=VALUE
    // added to the test's own; output goes to files in `output_dir`.
    ChildProcess(std::vector<std::string> argv, const std::filesystem::path& output_dir,
                 std::vector<std::string> extra_env = {});
    ~ChildProcess();
    ChildProcess(const ChildProcess&) = delete;
    ChildProcess& operator=(const ChildProcess&) = delete;

    pid_t pid() const { return pid_; }
    // Waits until stdout holds `text` (true) or the process exited or the
    // timeout passed (false).
    bool wait_for_stdout(const std::string& text, std::chrono::milliseconds timeout);
    // Waits for the exit; the exit code (128 + signal when killed), or
    // nullopt on timeout.
    std::optional<int> wait_exit(std::chrono::milliseconds timeout);
    void signal(int sig);
    // SIGKILL and reap.
    void kill9();
    std::string out() const;
    std::string err() const;

private:
    pid_t pid_ = -1;
    std::optional<int> exit_code_;
    std::filesystem::path out_;
    std::filesystem::path err_;
};

}  // namespace refhost::test

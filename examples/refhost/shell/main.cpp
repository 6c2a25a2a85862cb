// examples/refhost/shell/main.cpp: the ccdr-shell executable.
#include "shell/options.hpp"
#include "shell/shell.hpp"

#include <cstdlib>
#include <iostream>

#include <unistd.h>

int main(int argc, char** argv) {
    using namespace refhost::shell;
    std::vector<std::string> args(argv + 1, argv + argc);
    auto parsed = parse_arguments(args, [](const std::string& name) -> std::optional<std::string> {
        const char* v = std::getenv(name.c_str());
        return v != nullptr ? std::optional<std::string>(v) : std::nullopt;
    });
    if (!parsed) {
        std::cerr << "ccdr-shell: " << parsed.error().message << '\n' << "Try 'ccdr-shell --help'.\n";
        return 2;
    }
    switch (parsed->action) {
        case Arguments::Action::Help:
            std::cout << usage();
            return 0;
        case Arguments::Action::Version:
            std::cout << version_line() << '\n';
            return 0;
        case Arguments::Action::Run:
            break;
    }
    Terminal terminal{isatty(STDIN_FILENO) == 1, isatty(STDOUT_FILENO) == 1};
    return run_shell(std::move(parsed->options), std::cin, std::cout, std::cerr, terminal);
}

// examples/refhost/shell/shell.hpp: ccdr-shell's main loop, independent of
// the process (streams and terminal flags are passed in) so tests can run it
// in-process.
//
// Statements come from the query argument, -f FILE, the interactive prompt
// (stdin is a terminal) or piped stdin, in that order of precedence. Errors
// go to `err` as "<Neo4j code>: <message>"; the exit status is 0 when every
// statement succeeded, 1 otherwise.
#pragma once

#include "shell/options.hpp"

#include <istream>
#include <ostream>

namespace refhost::shell {

struct Terminal {
    bool stdin_is_tty = false;
    bool stdout_is_tty = false;
};

int run_shell(ShellOptions options, std::istream& in, std::ostream& out, std::ostream& err, Terminal terminal);

}  // namespace refhost::shell

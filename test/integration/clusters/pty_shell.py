"""One ccdr-shell session driven statement by statement (netem_lag.sh).

ccdr-shell reads a non-terminal stdin whole before it runs anything (a script
piped into it starts only at end of input), so a paced writer cannot feed it
through a pipe. Under a pseudo-terminal it runs its prompt loop instead: one
statement per line, each executed at once, its result printed and the prompt
shown again. This class starts the shell on the slave side of a pty in raw
mode (no echo, no line editing), writes one statement and reads up to the
next prompt, which is the statement's result: a synchronous round trip per
statement, as a driver session in autocommit mode does. Errors go to the
shell's stderr, which is a file, not the pty.
"""

import os
import pty
import subprocess
import tty


class ShellGone(Exception):
    """The shell exited (or was stopped) before answering."""


class PtyShell:
    def __init__(self, argv, user, database, stderr_path):
        self.prompt = ("%s@%s> " % (user, database)).encode()
        master, slave = pty.openpty()
        tty.setraw(slave)
        self.master = master
        with open(stderr_path, "ab") as err:
            self.process = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=err, close_fds=True)
        os.close(slave)
        self.pending = b""
        self._read_to_prompt()  # the banner

    @property
    def pid(self):
        return self.process.pid

    def _read_to_prompt(self):
        while not self.pending.endswith(self.prompt):
            try:
                chunk = os.read(self.master, 65536)
            except OSError:  # EIO: the slave side is closed, the shell is gone
                chunk = b""
            if not chunk:
                raise ShellGone("ccdr-shell (pid %d) exited" % self.process.pid)
            self.pending += chunk
        out = self.pending[: -len(self.prompt)]
        self.pending = b""
        return out.decode(errors="replace")

    def run(self, statement):
        """Runs one statement (ending in ';'); returns what it printed."""
        try:
            os.write(self.master, statement.encode() + b"\n")
        except OSError as e:
            raise ShellGone("ccdr-shell (pid %d): %s" % (self.process.pid, e)) from None
        return self._read_to_prompt()

    def stop(self):
        """SIGTERM, then SIGKILL after 5 s; always reaps the process."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        try:
            os.close(self.master)
        except OSError:
            pass

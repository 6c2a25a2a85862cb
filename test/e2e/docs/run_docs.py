#!/usr/bin/env python3
"""Runs the shell blocks of operator pages in order and checks their outputs.

The convention (docs/operations.md, "How this page is tested"):

- A fenced block with at least one line starting with "$ " is a shell
  block. Each "$ " line is one command (a line ending in "\\" continues on
  the next); the lines after it, up to the next "$ " line or the end of the
  block, are the output the page shows for it.
- The shown output is compared with what the command printed (stdout and
  stderr together), line by line, trailing blanks ignored. In a shown line,
  "…" stands for any text within the line (ids, times, ports of a run),
  with the blanks that follow it (a table cell keeps its width). A
  shown line that is only "…", or "… (" followed by a comment ending in
  ")", stands for any number of lines, none included.
- A command whose shown output is empty must print nothing and exit 0.
  With output shown, the exit status is not checked (an error the page
  shows is the expected result).
- A shell block whose first line is "# not run by the docs test: REASON"
  is skipped; the reason must be given (it is printed in the test's log).
- Blocks run in page order, pages in the order given, in one bash session
  (variables, `cd` and background jobs carry over), in a scratch directory,
  with PATH starting with the staged tools. "/usr/lib/ccdr/plugins/" in a
  command is read as the staged plugins directory (the test is not root
  and installs nothing).

Usage: run_docs.py --scratch DIR --bin DIR --plugins DIR [--keep-going]
                   [--capture FILE] [--timeout S] PAGE.md...
Exit 0 when every command matched; 1 otherwise (each mismatch printed with
the page, line, command, shown and printed output).
"""
import argparse
import os
import re
import select
import signal
import subprocess
import sys
import time

FENCE = re.compile(r"^(\s*)(```+)(.*)$")
SKIP = re.compile(r"^# not run by the docs test:(.*)$")
ELLIPSIS = "…"


class Command:
    def __init__(self, page, line, text):
        self.page, self.line, self.text, self.shown = page, line, text, []


def parse_page(path):
    """Returns the page's items in order: Command, or ("skip", line, reason)."""
    items = []
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        indent, fence = len(m.group(1)), m.group(2)
        start = i + 1
        j = start
        while j < len(lines) and not (lines[j].strip().startswith(fence) and lines[j].strip().strip("`") == ""):
            j += 1
        body = [l[indent:] if l[:indent].strip() == "" else l.lstrip() for l in lines[start:j]]
        i = j + 1
        if not any(l.startswith("$ ") for l in body):
            continue
        skip = SKIP.match(body[0]) if body else None
        if skip:
            reason = skip.group(1).strip()
            if not reason:
                raise SystemExit(f"{path}:{start + 1}: a skipped block must give its reason")
            items.append(("skip", start + 1, reason))
            continue
        if not body[0].startswith("$ "):
            raise SystemExit(f"{path}:{start + 1}: a shell block starts with a '$ ' command line")
        current = None
        k = 0
        while k < len(body):
            line = body[k]
            if line.startswith("$ "):
                text, first = line[2:], start + k + 1
                while text.endswith("\\") and k + 1 < len(body):
                    k += 1
                    text = text + "\n" + body[k]
                current = Command(path, first, text)
                items.append(current)
            else:
                current.shown.append(line)
            k += 1
        # A block's trailing blank lines are not output.
        while current.shown and current.shown[-1].strip() == "":
            current.shown.pop()
    return items


def is_any_lines(shown):
    s = shown.strip()
    return s == ELLIPSIS or (s.startswith(ELLIPSIS + " (") and s.endswith(")"))


def line_regex(shown):
    # Blanks after an ellipsis belong to it: a table cell written as "…"
    # keeps its column's width on the page whatever the run printed there.
    parts = re.split(ELLIPSIS + " *", shown.rstrip())
    return re.compile("^" + ".*".join(re.escape(p) for p in parts) + "$")


def matches(shown, printed):
    """True when the printed lines fit the shown ones (see the module text)."""
    pats = [None if is_any_lines(s) else line_regex(s) for s in shown]
    printed = [p.rstrip() for p in printed]
    memo = {}

    def fit(i, j):
        key = (i, j)
        if key in memo:
            return memo[key]
        if i == len(pats):
            r = j == len(printed)
        elif pats[i] is None:
            r = fit(i + 1, j) or (j < len(printed) and fit(i, j + 1))
        else:
            r = j < len(printed) and pats[i].match(printed[j]) is not None and fit(i + 1, j + 1)
        memo[key] = r
        return r

    sys.setrecursionlimit(max(10000, 4 * (len(pats) + len(printed)) + 100))
    return fit(0, 0)


class Session:
    """One bash process; each command's output goes to a file, a marker line to us."""

    def __init__(self, scratch, env):
        self.scratch = scratch
        self.proc = subprocess.Popen(["bash", "--noprofile", "--norc"], cwd=scratch, env=env,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        self.n = 0
        self.buffer = b""

    def run(self, text, timeout):
        self.n += 1
        n = self.n
        cmd_file = os.path.join(self.scratch, f".docs-test/cmd.{n}")
        out_file = os.path.join(self.scratch, f".docs-test/out.{n}")
        with open(cmd_file, "w", encoding="utf-8") as f:
            f.write(text + "\n")
        # disown: a background job the page kills later (kill -KILL $(cat
        # A.pid)) is not reported by this shell in another command's output.
        script = (f"{{ . '{cmd_file}' ; }} > '{out_file}' 2>&1 < /dev/null; "
                  f"echo \"@@docs-test-done {n} $?\"; disown -a\n")
        self.proc.stdin.write(script.encode())
        self.proc.stdin.flush()
        deadline = time.monotonic() + timeout
        marker = re.compile(rb"@@docs-test-done " + str(n).encode() + rb" (\d+)\n")
        while True:
            m = marker.search(self.buffer)
            if m:
                self.buffer = self.buffer[m.end():]
                rc = int(m.group(1))
                break
            left = deadline - time.monotonic()
            if left <= 0:
                return None, self._read(out_file)
            ready, _, _ = select.select([self.proc.stdout], [], [], left)
            if ready:
                chunk = os.read(self.proc.stdout.fileno(), 65536)
                if not chunk:
                    return None, self._read(out_file) + ["(the bash session ended)"]
                self.buffer += chunk
        return rc, self._read(out_file)

    @staticmethod
    def _read(path):
        try:
            with open(path, encoding="utf-8", errors="replace") as f:
                text = f.read()
        except FileNotFoundError:
            return []
        lines = text.split("\n")
        while lines and lines[-1].strip() == "":
            lines.pop()  # as the page's blocks, whose trailing blank lines are not output
        return lines

    def close(self):
        # Every process the page started (refhost clusters in the background
        # included) is in this session's process group: stop them by it.
        pgid = self.proc.pid
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(pgid, sig)
            except ProcessLookupError:
                break
            end = time.monotonic() + 10
            while time.monotonic() < end:
                try:
                    os.killpg(pgid, 0)
                except ProcessLookupError:
                    break
                time.sleep(0.1)
        self.proc.wait()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--scratch", required=True)
    ap.add_argument("--bin", required=True)
    ap.add_argument("--plugins", required=True)
    ap.add_argument("--keep-going", action="store_true")
    ap.add_argument("--capture")
    ap.add_argument("--timeout", type=float, default=120)
    ap.add_argument("--until", help="PAGE.md:LINE: run nothing past that line (while writing a page)")
    ap.add_argument("pages", nargs="+")
    a = ap.parse_args()

    items = []
    for page in a.pages:
        items += parse_page(page)
    if a.until:
        upage, uline = a.until.rsplit(":", 1)
        last = next(k for k, it in enumerate(items)
                    if os.path.basename(it.page if isinstance(it, Command) else page) == upage)
        items = [it for it in items if not (isinstance(it, Command) and os.path.basename(it.page) == upage
                                            and it.line > int(uline))]
    os.makedirs(os.path.join(a.scratch, ".docs-test"), exist_ok=True)
    env = dict(os.environ)
    env["PATH"] = os.path.abspath(a.bin) + ":" + env.get("PATH", "/usr/bin:/bin")
    env["LC_ALL"] = "C.UTF-8"
    plugins = os.path.abspath(a.plugins).rstrip("/") + "/"
    session = Session(os.path.abspath(a.scratch), env)

    def stop(signum, _frame):  # ctest's timeout, ^C: still stop what the page started
        raise SystemExit(f"stopped by signal {signum}")

    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, stop)
    capture = open(a.capture, "w", encoding="utf-8") if a.capture else None
    failures, ran, skipped = 0, 0, 0
    t_start = time.monotonic()
    try:
        for item in items:
            if isinstance(item, tuple):
                skipped += 1
                print(f"skip {item[1]}: {item[2]}", flush=True)
                continue
            text = item.text.replace("/usr/lib/ccdr/plugins/", plugins)
            t0 = time.monotonic()
            rc, printed = session.run(text, a.timeout)
            ran += 1
            where = f"{os.path.basename(item.page)}:{item.line}"
            if capture:
                capture.write(f"### {where} rc={rc}\n$ {item.text}\n" + "".join(l + "\n" for l in printed))
                capture.flush()
            ok = rc is not None and matches(item.shown, printed)
            if ok and not item.shown and rc != 0:
                ok = False
            print(f"{'ok  ' if ok else 'FAIL'} {where} {time.monotonic() - t0:6.2f}s  $ {item.text.splitlines()[0][:110]}",
                  flush=True)
            if not ok:
                failures += 1
                why = "timed out" if rc is None else f"exit status {rc}"
                print(f"---- {where}: {why}; the page shows:", *item.shown, sep="\n    ")
                print("---- the command printed:", *printed, sep="\n    ", flush=True)
                if not a.keep_going or rc is None:
                    break  # after a timeout the session still runs that command
    finally:
        session.close()
        if capture:
            capture.close()
    print(f"{ran} commands run, {skipped} blocks skipped (reasons above), {failures} failed, "
          f"{time.monotonic() - t_start:.1f}s")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

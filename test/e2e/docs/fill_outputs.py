#!/usr/bin/env python3
"""Writes captured outputs into a page, for an author who adds commands.

  run_docs.py ... --keep-going --capture run.txt docs/operations.md
  fill_outputs.py run.txt docs/operations.md [LINE ...]

For every command of the page shown with no output that printed some in
the captured run, the printed lines are inserted below the command, with
the parts that change from run to run written as "…" (ids, clock times,
epoch milliseconds, durations of a query, back-off delays). Commands that
already show output are left as they are, but for those whose line is
given: their shown output is replaced. Read the result before
committing it: the page must still say what the reader needs to see.
Commands are found by the line numbers of the captured run: fill right
after that run, before any other edit of the page, and once per run (a
second fill from the same capture writes at shifted lines).
"""
import os
import re
import sys

VOLATILE = [
    (re.compile(r"after \d+ ms, consumed after another \d+ ms"), "after …"),
    (re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"), "…"),
    (re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+\+\d\d:\d\d "), "… "),
    (re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z"), "…"),
    (re.compile(r"\b1[78]\d{11}\b"), "…"),
    (re.compile(r"retrying in \d+ms"), "retrying in …"),
    (re.compile(r"\b(in|for) \d+ ms\b"), r"\1 … ms"),
    (re.compile(r"127\.0\.0\.1:(3[2-9]|[4-6]\d)\d{3}\b"), "127.0.0.1:…"),  # ephemeral client ports
]


def mask(line):
    for pattern, replacement in VOLATILE:
        line = pattern.sub(replacement, line)
    return line


def read_capture(path):
    runs, key, out = {}, None, None
    with open(path, encoding="utf-8") as f:
        for line in f.read().split("\n"):
            m = re.match(r"^### (\S+):(\d+) rc=", line)
            if m:
                key = (m.group(1), int(m.group(2)))
                runs[key] = out = []
                continue
            if key is not None:
                out.append(line)
    for k, lines in runs.items():
        # drop the "$ command" lines (a command may span lines) and the final blank
        while lines and lines[-1] == "":
            lines.pop()
        runs[k] = lines
    return runs


def main(capture, page, replace=()):
    runs = read_capture(capture)
    with open(page, encoding="utf-8") as f:
        lines = f.read().split("\n")
    name = os.path.basename(page)
    inserts = []
    for (pname, line), printed in runs.items():
        if pname != name:
            continue
        i = line - 1
        text = lines[i]
        k = i
        while lines[k].endswith("\\"):
            k += 1
        end = k + 1
        while end < len(lines) and not (lines[end].strip().startswith("$ ") or lines[end].strip().startswith("```")):
            end += 1
        if end > k + 1 and line not in replace:
            continue  # shows output already
        cmd_lines = k - i + 1
        body = printed[cmd_lines:]
        if not body:
            continue
        indent = text[: len(text) - len(text.lstrip())]
        inserts.append((k + 1, end, [indent + mask(b) if b else "" for b in body]))
    for at, end, block in sorted(inserts, reverse=True):
        lines[at:end] = block
    with open(page, "w", encoding="utf-8") as f:
        f.write("\n".join(lines))
    print(f"{len(inserts)} outputs written into {page}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], {int(x) for x in sys.argv[3:]})

#!/usr/bin/python3
"""Paced writers and a commit-to-visible probe for netem_lag.sh.

Writers: WRITERS ccdr-shell sessions on cluster A (pty_shell.py), each paced
at RATE / WRITERS single-node autocommit transactions a second for SECONDS;
each session waits for its commit before the next statement and a late writer
sends at once, until the window ends (what it could not send by then is not
sent), so the achieved rate is what A committed in the window.

Markers: an extra session on A sets the id of one (:MarkerTop) node to k = 0, 1,
2, ... every MARKER_INTERVAL (one autocommit transaction each), noting the
monotonic time its commit was acknowledged; a session on B (one on each B
given: --bolt-b takes several ports, test/bench/replica_lag_scale.sh) reads that id from
the replica database every POLL_INTERVAL (one node found through the label
index: the poll costs the same at the end of a long run as at its start) and notes,
for every id it sees for the first time, the time the poll's answer came
back. Both clocks are this process's, so commit-to-visible lag = seen - acknowledged
(0 when B showed it first): it includes shipping over the emulated link (one-way delay,
jitter, retransmissions after loss), B's apply and commit, and up to one
poll's period and duration of measuring error (reported as `resolution`).

The PIDs of every ccdr-shell go to --pids (one a line) as soon as they start,
so the calling script can stop them by PID whatever happens to this process;
on SIGTERM/SIGINT this process stops them itself. The result is JSON in --out.
"""

import argparse
import json
import os
import signal
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pty_shell import PtyShell, ShellGone  # noqa: E402

MARKER_INTERVAL = 0.1
POLL_INTERVAL = 0.01
DRAIN_TIMEOUT = 60.0  # seconds to wait, after the writes, for the last markers on B


def percentile(values, p):
    """The p-quantile (nearest rank, in ms, rounded to 0.1 ms); None when empty."""
    if not values:
        return None
    s = sorted(values)
    return round(s[min(len(s) - 1, int(p * len(s)))], 1)


class Load:
    def __init__(self, a):
        self.args = a
        self.stop = threading.Event()
        self.writes_done = threading.Event()
        self.markers_done = threading.Event()  # the marker writer has returned
        self.shells = []
        self.lock = threading.Lock()
        self.committed = 0
        self.failed = 0
        self.commit_ms = []
        self.errors = []
        self.marker_sent = {}
        self.marker_seen = [{} for _ in a.bolt_b]  # one map per replica probed
        self.poll_ms = []
        self.write_start = None
        self.write_end = None

    def shell(self, ns, port, database, tag):
        a = self.args
        argv = [a.shell, "-a", "bolt://127.0.0.1:%d" % port, "-u", a.user, "-p", a.password, "-d", database,
                "--format", "plain"]
        if ns:
            argv = ["ip", "netns", "exec", ns] + argv  # ip execs the shell: the PID is the shell's
        s = PtyShell(argv, a.user, database, os.path.join(a.dir, "shell-%s.err" % tag))
        with self.lock:
            self.shells.append(s)
            with open(a.pids, "a") as f:
                f.write("%d\n" % s.pid)
        return s

    def writer(self, w, shell):
        a = self.args
        interval = a.writers / a.rate
        i = 0
        local_ms = []
        try:
            while not self.stop.is_set():
                due = self.write_start + w * interval / a.writers + i * interval
                now = time.monotonic()
                if due >= self.write_start + a.seconds or now >= self.write_start + a.seconds:
                    break
                if due > now:
                    time.sleep(due - now)
                t = time.monotonic()
                out = shell.run("CREATE (:Event {writer: %d, seq: %d}) RETURN 1 AS ok;" % (w, i))
                local_ms.append((time.monotonic() - t) * 1000)
                with self.lock:
                    if out.split() == ["ok", "1"]:
                        self.committed += 1
                    else:
                        self.failed += 1
                i += 1
        except ShellGone as e:
            self.errors.append(str(e))
        with self.lock:
            self.commit_ms.extend(local_ms)

    def marker_writer(self, shell):
        k = 0
        try:
            while not self.stop.is_set() and not self.writes_done.is_set():
                t = time.monotonic()
                answer = shell.run("MATCH (t:MarkerTop) SET t.id = %d RETURN 1 AS ok;" % k).split()
                # The lag starts when the commit is acknowledged, as in
                # test/bench/vs-postgres (A's commit latency is reported
                # apart, from the writers).
                if answer == ["ok", "1"]:
                    self.marker_sent[k] = time.monotonic()
                k += 1
                rest = MARKER_INTERVAL - (time.monotonic() - t)
                if rest > 0:
                    self.writes_done.wait(rest)
        except ShellGone as e:
            self.errors.append(str(e))

    def prober(self, shell, index):
        seen_at = self.marker_seen[index]
        best = -1
        try:
            while not self.stop.is_set():
                t = time.monotonic()
                out = shell.run("MATCH (t:MarkerTop) RETURN t.id AS k;")
                seen = time.monotonic()
                self.poll_ms.append((seen - t) * 1000)
                lines = out.split()
                if len(lines) == 2 and lines[1].lstrip("-").isdigit():
                    top = int(lines[1])
                    for k in range(best + 1, top + 1):
                        seen_at[k] = seen
                    best = max(best, top)
                if self.markers_done.is_set() and best >= max(self.marker_sent, default=-1):
                    return
                if self.markers_done.is_set() and seen - self.write_end > DRAIN_TIMEOUT:
                    return
                time.sleep(POLL_INTERVAL)
        except ShellGone as e:
            self.errors.append(str(e))

    def run(self):
        a = self.args
        writers = [self.shell(a.ns_a, a.bolt_a, a.db_a, "w%d" % w) for w in range(a.writers)]
        marker = self.shell(a.ns_a, a.bolt_a, a.db_a, "marker")
        if marker.run("CREATE (:MarkerTop {id: -1}) RETURN 1 AS ok;").split() != ["ok", "1"]:
            raise ShellGone("could not create the (:MarkerTop) node on A")
        probes = [self.shell(a.ns_b, port, a.db_b, "probe%d" % i) for i, port in enumerate(a.bolt_b)]
        self.write_start = time.monotonic()
        threads = [threading.Thread(target=self.writer, args=(w, s)) for w, s in enumerate(writers)]
        threads.append(threading.Thread(target=self.marker_writer, args=(marker,)))
        probers = [threading.Thread(target=self.prober, args=(s, i)) for i, s in enumerate(probes)]
        for t in threads + probers:
            t.daemon = True
            t.start()
        for t in threads[:-1]:
            while t.is_alive():
                t.join(0.2)
        self.write_end = time.monotonic()
        self.writes_done.set()
        threads[-1].join()
        self.markers_done.set()
        for prober in probers:
            while prober.is_alive():
                prober.join(0.2)

    def stop_all(self):
        self.stop.set()
        with self.lock:
            shells = list(self.shells)
        for s in shells:
            s.stop()

    def result(self):
        elapsed = (self.write_end or time.monotonic()) - self.write_start if self.write_start else 0.0
        # Seen before the acknowledgement came back counts as 0, as in vs-postgres.
        def lags_of(seen_at):
            return [max(0.0, seen_at[k] - t) * 1000 for k, t in self.marker_sent.items() if k in seen_at]

        per_replica = [lags_of(m) for m in self.marker_seen]
        lags = per_replica[0]
        bound = self.args.bound_ms
        return {
            "replicas": [{"bolt": port, "markers_seen": len(x), "visible_ms_p50": percentile(x, 0.5),
                          "visible_ms_p99": percentile(x, 0.99), "visible_ms_max": round(max(x), 1) if x else None}
                         for port, x in zip(self.args.bolt_b, per_replica)],
            "writers": self.args.writers, "rate_asked": self.args.rate, "seconds_asked": self.args.seconds,
            "write_seconds": round(elapsed, 3), "committed": self.committed, "failed": self.failed,
            "achieved_rate": round(self.committed / elapsed, 1) if elapsed > 0 else 0.0,
            "commit_ms_p50": percentile(self.commit_ms, 0.5), "commit_ms_p99": percentile(self.commit_ms, 0.99),
            "markers_sent": len(self.marker_sent), "markers_seen": len(lags),
            "visible_ms_p50": percentile(lags, 0.5), "visible_ms_p99": percentile(lags, 0.99),
            "visible_ms_max": round(max(lags), 1) if lags else None,
            "visible_over_bound": sum(1 for x in lags if x >= bound) if bound else None,
            "resolution_ms": round(POLL_INTERVAL * 1000 + (percentile(self.poll_ms, 0.5) or 0.0), 1),
            "errors": self.errors,
        }


def main(argv):
    p = argparse.ArgumentParser(description="Paced writers on A and a commit-to-visible probe on B.")
    p.add_argument("--shell", required=True, help="ccdr-shell binary")
    p.add_argument("--user", default="neo4j")
    p.add_argument("--password", required=True)
    p.add_argument("--ns-a", default="", help="network namespace of A's shells (none: this one)")
    p.add_argument("--ns-b", default="", help="network namespace of B's shell")
    p.add_argument("--bolt-a", type=int, required=True)
    p.add_argument("--bolt-b", type=int, nargs="+", required=True,
                   help="Bolt port(s) of the replica server(s) probed; the top-level figures are the first's")
    p.add_argument("--db-a", required=True, help="database written on A")
    p.add_argument("--db-b", required=True, help="replica database polled on B")
    p.add_argument("--rate", type=float, required=True, help="transactions a second, all writers together")
    p.add_argument("--seconds", type=float, required=True)
    p.add_argument("--writers", type=int, default=4)
    p.add_argument("--bound-ms", type=float, help="count the markers whose lag reaches this (RTT + 100 ms)")
    p.add_argument("--dir", required=True, help="where the shells' stderr files go")
    p.add_argument("--pids", required=True, help="file the shells' PIDs are appended to")
    p.add_argument("--out", required=True, help="JSON result")
    a = p.parse_args(argv)
    if a.rate <= 0 or a.seconds <= 0 or a.writers < 1:
        p.error("--rate and --seconds must be > 0 and --writers >= 1")
    load = Load(a)

    def on_signal(signum, _frame):
        raise KeyboardInterrupt("signal %d" % signum)

    signal.signal(signal.SIGTERM, on_signal)
    rc = 0
    try:
        load.run()
    except KeyboardInterrupt:
        rc = 1
    except (ShellGone, OSError) as e:
        load.errors.append(str(e))
        rc = 1
    finally:
        load.stop_all()
    with open(a.out, "w") as f:
        json.dump(load.result(), f)
        f.write("\n")
    return rc


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

#!/usr/bin/env python3
"""Where one transaction's milliseconds go (issue 18 item 3).

    latency_steps.py TRACE_DIR UPSTREAM_DB REPLICA_DB FROM_TX TO_TX

Reads the files that ccdr.debug.latency_trace wrote into TRACE_DIR (every
server of both clusters, one machine, so one monotonic clock; the format is
in plugin/runtime/latency_trace.hpp) and, for every transaction FROM_TX..TO_TX,
the time of each step: after_commit, read, sent on the upstream's database,
received, apply_start, applied on the replica's. A step's time for tx t is
the first record of that step whose range ends at or after t (after_commit
names only a group's last tx). Prints, per step, the percentiles of the time
from the step before, in milliseconds, and the same for the whole path.
Exits 1 when no transaction of the range has every step.
"""
import bisect
import glob
import os
import sys

UPSTREAM_STEPS = ["after_commit", "read", "sent"]
REPLICA_STEPS = ["received", "apply_start", "applied"]
STEPS = UPSTREAM_STEPS + REPLICA_STEPS


def load(trace_dir, upstream_db, replica_db):
    events = {s: [] for s in STEPS}
    for path in glob.glob(os.path.join(trace_dir, "*.trace")):
        with open(path) as f:
            for line in f:
                parts = line.split()
                if len(parts) != 5:
                    continue
                ns, step, db, first, last = parts
                if step not in events:
                    continue
                if (step in UPSTREAM_STEPS and db != upstream_db) or (step in REPLICA_STEPS and db != replica_db):
                    continue
                events[step].append((int(last), int(first), int(ns)))
    for s in STEPS:
        events[s].sort()
    return events


def step_time(records, keys, tx, check_first):
    """The earliest time of a record whose range ends at or after tx."""
    i = bisect.bisect_left(keys, tx)
    best = None
    # Records with the same end (a batch sent again after a reconnect): the earliest.
    while i < len(records) and (best is None or records[i][0] == records[i - 1][0]):
        last, first, ns = records[i]
        if check_first and first > tx:
            break
        best = ns if best is None else min(best, ns)
        i += 1
    return best


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(p * len(values)))]


def main():
    if len(sys.argv) != 6:
        sys.stderr.write(__doc__)
        return 2
    trace_dir, upstream_db, replica_db = sys.argv[1:4]
    from_tx, to_tx = int(sys.argv[4]), int(sys.argv[5])
    events = load(trace_dir, upstream_db, replica_db)
    keys = {s: [r[0] for r in events[s]] for s in STEPS}
    deltas = {s: [] for s in STEPS[1:]}
    total = []
    for tx in range(from_tx, to_tx + 1):
        times = []
        for s in STEPS:
            t = step_time(events[s], keys[s], tx, s != "after_commit")
            if t is None:
                break
            times.append(t)
        if len(times) != len(STEPS):
            continue
        for s, a, b in zip(STEPS[1:], times, times[1:]):
            deltas[s].append((b - a) / 1e6)
        total.append((times[-1] - times[0]) / 1e6)
    if not total:
        print(f"latency steps: no transaction of {from_tx}..{to_tx} has every step in {trace_dir}")
        return 1
    print(f"latency steps over {len(total)} of {to_tx - from_tx + 1} transactions (ms; from the step before):")
    print(f"  {'step':<46} {'p50':>8} {'p90':>8} {'p99':>8} {'max':>8}")
    names = {
        "read": "after_commit -> read (wake, log read, frame)",
        "sent": "read -> sent (socket write)",
        "received": "sent -> received (wire, TLS, decode, verify)",
        "apply_start": "received -> apply_start (queue)",
        "applied": "apply_start -> applied (apply_batch, fsync)",
    }
    for s in STEPS[1:]:
        d = deltas[s]
        print(f"  {names[s]:<46} {percentile(d, .5):8.3f} {percentile(d, .9):8.3f} {percentile(d, .99):8.3f} "
              f"{max(d):8.3f}")
    print(f"  {'after_commit -> applied (the whole path)':<46} {percentile(total, .5):8.3f} "
          f"{percentile(total, .9):8.3f} {percentile(total, .99):8.3f} {max(total):8.3f}")
    for s in STEPS[1:]:
        print(f"STEP {s} p50_ms {percentile(deltas[s], .5):.3f} p99_ms {percentile(deltas[s], .99):.3f}")
    print(f"STEP total p50_ms {percentile(total, .5):.3f} p99_ms {percentile(total, .99):.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

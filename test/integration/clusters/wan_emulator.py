#!/usr/bin/python3
"""A userspace WAN emulator between two network namespaces (netem_lag.sh).

Where the kernel has no sch_netem (`tc qdisc add ... netem` answers
"Specified qdisc kind is unknown") and cannot load modules, this joins
namespace A and namespace B through one TAP device in each: every Ethernet
frame the kernel of A sends out of its TAP is read here and, unless lost,
written into B's TAP after a delay, and the same from B to A. Layer 2 is
forwarded as is, so ARP works and the two TAPs form a plain /24 link.

Per direction and per frame it applies what `tc qdisc ... netem delay D J
loss L` does on an egress queue:
  - a delay drawn uniformly from [D - J, D + J] (netem's default, table-less
    jitter), each frame scheduled on its own; frames may therefore overtake
    each other, as they do with netem (tfifo orders by time to send);
  - independent loss with probability L, decided when the frame arrives;
  - a queue limit (netem's `limit`, 1000 frames by default) beyond which
    arriving frames are dropped and counted apart from the random loss.
--seed makes the draws reproducible (one generator per direction).

How the TAPs are reached: the devices are created by the caller inside the
namespaces (`ip -n NS tuntap add dev TAP mode tap`, persistent). A TAP is
attached in the network namespace of the thread that opens /dev/net/tun, so
this process (single-threaded) enters each namespace in turn with libc's
setns(fd, CLONE_NEWNET) through ctypes (os.setns exists only from Python
3.12; Debian 12 has 3.11), opens /dev/net/tun and attaches with TUNSETIFF,
then returns to its own namespace. The two descriptors stay bound to their
devices wherever the process is. This process creates and removes no device:
the caller removes the namespaces, which removes the TAPs.

The loop is one poll() over both TAPs and a signal wake-up pipe, with a heap
of due frames (time to send, sequence, direction, frame): no thread per frame,
a few microseconds of work per frame, enough for thousands of frames a second
each way. On a busy machine the process may be scheduled late, which would
add to the delay: --rt-priority runs it under SCHED_FIFO (it sleeps in poll()
between frames, so it takes little CPU), and the lateness is counted.

Counters (frames and bytes forwarded, frames lost, frames dropped at the
queue limit, write errors, frames sent more than 5 ms after their time and
the largest such lateness, per direction) go to --stats FILE (JSON, written
whole through a rename) every second, on SIGUSR1 and at exit, and to stdout
at exit. SIGTERM or SIGINT ends it cleanly: the frames still queued are
discarded (counted as `discarded_at_exit`), the descriptors closed, exit 0.

  wan_emulator.py --ns-a NS --tap-a TAP --ns-b NS --tap-b TAP
                  --delay-ms 40 --jitter-ms 10 --loss 0.01 [--limit 1000]
                  [--seed N] [--stats FILE]
"""

import argparse
import ctypes
import errno
import fcntl
import heapq
import json
import os
import random
import select
import signal
import struct
import sys
import time

CLONE_NEWNET = 0x40000000
TUNSETIFF = 0x400454CA
IFF_TAP = 0x0002
IFF_NO_PI = 0x1000
FRAME_BUFFER = 65536
READS_PER_WAKE = 256  # frames read from one TAP before looking at the other and the heap

_libc = ctypes.CDLL(None, use_errno=True)


def setns(fd):
    if _libc.setns(fd, CLONE_NEWNET) != 0:
        err = ctypes.get_errno()
        raise OSError(err, "setns(CLONE_NEWNET): " + os.strerror(err))


def attach_tap(namespace, tap):
    """Opens /dev/net/tun inside `namespace` and attaches to its TAP `tap`."""
    own = os.open("/proc/self/ns/net", os.O_RDONLY)
    target = os.open("/run/netns/" + namespace, os.O_RDONLY)
    try:
        setns(target)
        try:
            fd = os.open("/dev/net/tun", os.O_RDWR | os.O_NONBLOCK)
            try:
                fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", tap.encode(), IFF_TAP | IFF_NO_PI))
            except OSError as e:
                os.close(fd)
                raise OSError(e.errno, "attaching to TAP %s in namespace %s: %s"
                              % (tap, namespace, os.strerror(e.errno))) from None
        finally:
            setns(own)
    finally:
        os.close(target)
        os.close(own)
    return fd


class Direction:
    """One way of the link: its random source, its queue length and counters."""

    def __init__(self, name, out_fd, seed):
        self.name = name
        self.out_fd = out_fd
        self.rng = random.Random(seed)
        self.queued = 0
        self.counters = {"received": 0, "forwarded": 0, "forwarded_bytes": 0, "lost": 0,
                         "dropped_queue_full": 0, "write_errors": 0, "discarded_at_exit": 0,
                         "late_over_5ms": 0, "late_ms_max": 0.0}


class Emulator:
    def __init__(self, args):
        self.delay = args.delay_ms / 1000.0
        self.jitter = args.jitter_ms / 1000.0
        self.loss = args.loss
        self.limit = args.limit
        self.stats_path = args.stats
        self.fd_a = attach_tap(args.ns_a, args.tap_a)
        self.fd_b = attach_tap(args.ns_b, args.tap_b)
        base = args.seed if args.seed is not None else random.SystemRandom().randrange(1 << 62)
        self.seed = base
        # A frame read from A's TAP goes out of B's, and the reverse.
        self.ways = {self.fd_a: Direction("a_to_b", self.fd_b, base * 2),
                     self.fd_b: Direction("b_to_a", self.fd_a, base * 2 + 1)}
        self.heap = []
        self.sequence = 0
        self.started = time.monotonic()
        self.stop_signal = None
        self.stats_requested = False
        self.wake_r, self.wake_w = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
        signal.set_wakeup_fd(self.wake_w)
        signal.signal(signal.SIGTERM, self._on_stop)
        signal.signal(signal.SIGINT, self._on_stop)
        signal.signal(signal.SIGUSR1, self._on_stats)

    def _on_stop(self, signum, _frame):
        self.stop_signal = signum

    def _on_stats(self, _signum, _frame):
        self.stats_requested = True

    def _receive(self, fd):
        way = self.ways[fd]
        for _ in range(READS_PER_WAKE):
            try:
                frame = os.read(fd, FRAME_BUFFER)
            except BlockingIOError:
                return
            except OSError as e:
                if e.errno == errno.EIO:  # the device went down under us
                    return
                raise
            way.counters["received"] += 1
            if way.rng.random() < self.loss:
                way.counters["lost"] += 1
                continue
            if way.queued >= self.limit:
                way.counters["dropped_queue_full"] += 1
                continue
            delay = max(0.0, way.rng.uniform(self.delay - self.jitter, self.delay + self.jitter))
            self.sequence += 1
            heapq.heappush(self.heap, (time.monotonic() + delay, self.sequence, fd, frame))
            way.queued += 1

    def _send_due(self, now):
        while self.heap and self.heap[0][0] <= now:
            due, _, fd, frame = heapq.heappop(self.heap)
            way = self.ways[fd]
            way.queued -= 1
            # How late this process sends (scheduling on a busy machine): it
            # adds to the emulated delay, so it is counted, not hidden.
            late_ms = (now - due) * 1000
            if late_ms > 5:
                way.counters["late_over_5ms"] += 1
            if late_ms > way.counters["late_ms_max"]:
                way.counters["late_ms_max"] = round(late_ms, 1)
            try:
                os.write(way.out_fd, frame)
                way.counters["forwarded"] += 1
                way.counters["forwarded_bytes"] += len(frame)
            except OSError:
                # A TAP write fails only when the receiving device is down or
                # out of buffers: the frame is lost, as on a real link.
                way.counters["write_errors"] += 1

    def snapshot(self):
        return {"delay_ms": self.delay * 1000, "jitter_ms": self.jitter * 1000, "loss": self.loss,
                "limit": self.limit, "seed": self.seed,
                "seconds": round(time.monotonic() - self.started, 3),
                "a_to_b": dict(self.ways[self.fd_a].counters),
                "b_to_a": dict(self.ways[self.fd_b].counters)}

    def write_stats(self):
        if not self.stats_path:
            return
        tmp = self.stats_path + ".tmp"
        with open(tmp, "w") as f:
            json.dump(self.snapshot(), f)
            f.write("\n")
        os.replace(tmp, self.stats_path)

    def run(self):
        poller = select.poll()
        for fd in (self.fd_a, self.fd_b, self.wake_r):
            poller.register(fd, select.POLLIN)
        next_stats = time.monotonic() + 1.0
        while self.stop_signal is None:
            now = time.monotonic()
            due = min(next_stats, self.heap[0][0] if self.heap else next_stats)
            timeout_ms = max(0, int((due - now) * 1000 + 0.999))  # round up: never wake early
            for fd, _ in poller.poll(timeout_ms):
                if fd == self.wake_r:
                    try:
                        while os.read(self.wake_r, 512):
                            pass
                    except BlockingIOError:
                        pass
                else:
                    self._receive(fd)
            now = time.monotonic()
            self._send_due(now)
            if self.stats_requested or now >= next_stats:
                self.stats_requested = False
                self.write_stats()
                next_stats = now + 1.0
        for _, _, fd, _ in self.heap:
            self.ways[fd].counters["discarded_at_exit"] += 1
        self.heap.clear()
        self.write_stats()
        print("wan_emulator: stopped by signal %d: %s" % (self.stop_signal, json.dumps(self.snapshot())),
              flush=True)
        os.close(self.fd_a)
        os.close(self.fd_b)


def parse_args(argv):
    p = argparse.ArgumentParser(description="Userspace netem-like WAN link between TAPs in two namespaces.")
    p.add_argument("--ns-a", required=True, help="network namespace of side A (as in `ip netns list`)")
    p.add_argument("--tap-a", required=True, help="TAP device in namespace A")
    p.add_argument("--ns-b", required=True, help="network namespace of side B")
    p.add_argument("--tap-b", required=True, help="TAP device in namespace B")
    p.add_argument("--delay-ms", type=float, default=0.0, help="mean one-way delay D (each direction)")
    p.add_argument("--jitter-ms", type=float, default=0.0, help="jitter J: delay uniform in [D-J, D+J]")
    p.add_argument("--loss", type=float, default=0.0, help="probability of losing a frame, 0..1")
    p.add_argument("--limit", type=int, default=1000, help="frames queued per direction before tail drop")
    p.add_argument("--rt-priority", type=int, default=0,
                   help="SCHED_FIFO priority 1..99 (0: normal scheduling), so a busy machine delays frames less")
    p.add_argument("--seed", type=int, help="seed of the random draws (reproducible runs)")
    p.add_argument("--stats", help="JSON counters file, rewritten every second, on SIGUSR1 and at exit")
    a = p.parse_args(argv)
    if a.delay_ms < 0 or a.jitter_ms < 0:
        p.error("--delay-ms and --jitter-ms must be >= 0 (got %g and %g)" % (a.delay_ms, a.jitter_ms))
    if not 0.0 <= a.loss <= 1.0:
        p.error("--loss is a probability, 0..1 (got %g; 1%% is 0.01)" % a.loss)
    if a.limit < 1:
        p.error("--limit must be >= 1 (got %d)" % a.limit)
    return a


def main(argv):
    args = parse_args(argv)
    if args.rt_priority:
        try:
            os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(args.rt_priority))
        except OSError as e:
            print("wan_emulator: SCHED_FIFO %d refused (%s): normal scheduling" % (args.rt_priority, e),
                  file=sys.stderr)
    try:
        emulator = Emulator(args)
    except OSError as e:
        print("wan_emulator: %s" % e, file=sys.stderr)
        return 1
    emulator.run()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

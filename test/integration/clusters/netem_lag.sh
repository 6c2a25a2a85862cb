#!/usr/bin/env bash
# Cross-region emulation: cluster A and cluster B in their own network
# namespaces, joined by a link that delays every frame 40 ms ± 10 ms (uniform)
# and loses 1 % of them, each way (a round trip of ~80 ms): tc netem, or the
# userspace emulator wan_emulator.py where the kernel has no sch_netem
# (wan_link.sh).
# The clusters' replication listeners use the link's addresses (10.77.x.1/2,
# certificates naming them); Bolt stays on each namespace's own 127.0.0.1.
#
# Load: wan_load.py runs WRITERS (CCDR_NETEM_WRITERS, default 16) ccdr-shell
# sessions on A at RATE/WRITERS single-node autocommit tx/s each for SECONDS
# (one session cannot do 500 durable tx/s: each commit waits for its answer
# and an fsync); the achieved rate is printed next to the asked one.
#
# What the figures measure:
#   - lag_seconds: the plugin's ccdr.replica.lag_seconds gauge of both replica
#     members (CSV metrics, one sample a second per member, from the write
#     window). The plugin computes it in whole milliseconds: the age, on the
#     upstream's clock, of the oldest transaction the member has not applied,
#     0 when it knows of none missing (docs/metrics.md). Two limits: the clock
#     offset it uses is measured from the upstream's send time, so one one-way
#     delay of the link is not counted, and a sample a second is few (20 s
#     give ~40 samples: their p99 is their maximum).
#   - commit-to-visible: a marker every 100 ms on A (the next id set on one
#     (:MarkerTop) node), polled on B's replica every 10 ms; seen - acknowledged on one monotonic clock (from the
#     marker's commit acknowledgement on A, as test/bench/vs-postgres
#     measures; 0 when B showed it first). This is the lag a user of B
#     observes, network included; its resolution is the poll period plus one
#     poll (printed).
# The issue's condition, lag in seconds p99 < RTT + 100 ms, is checked on
# the gauge and printed ("condition met" / "condition NOT met"); it fails the
# run only with CCDR_NETEM_ASSERT_LAG=1 (the long CTest form). The
# commit-to-visible p99 is printed against the same bound. Always asserted: A holds what
# the writers committed, every marker reached B, and the replica equals the
# upstream (verifyReplicaDatabase) after the run. RTT is the median TCP connect time of 20
# from B's namespace to A's replication listener.
# Needs root (ip netns) and tc netem or /dev/net/tun; without them the script
# says so and exits 77 (skip).
#   netem_lag.sh BUILD_DIR [SECONDS [RATE]]
build="$(realpath "${1:?usage: netem_lag.sh BUILD_DIR [SECONDS [RATE]]}")"
seconds="${2:-60}"
rate="${3:-500}"
writers="${CCDR_NETEM_WRITERS:-16}"
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/wan_link.sh"
wan_link_can_run netem_lag.sh
source "$here/lib.sh"
tag=$$
net=$((tag % 200 + 20))
ns_a="ccdrA$tag" ns_b="ccdrB$tag"
ip_a="10.77.$net.1" ip_b="10.77.$net.2"
load_pid=""

# Helper processes are stopped by PID before lib.sh's cleanup (which stops the
# clusters, then SIGKILLs any job left): the load driver first (it stops its
# shells), then any shell it left, then the emulator; the namespaces go last
# (extra_cleanup: wan_link_down), taking the veth or TAP devices with them.
stop_helpers() {  # stop_helpers STATUS: returns STATUS, for lib.sh's cleanup to read as $?
  if wan_alive "$load_pid"; then stop_pid "$load_pid"; fi
  if [ -f "$work/shell.pids" ]; then
    while read -r p; do if wan_alive "$p"; then stop_pid "$p"; fi; done <"$work/shell.pids"
  fi
  [ -z "$load_pid" ] || wait "$load_pid" 2>/dev/null || true
  wan_emulator_stop
  return "$1"
}
trap 'exit_status=$?; set +e; stop_helpers "$exit_status"; cleanup' EXIT
extra_cleanup() { wan_link_down; }
wan_link_up "$ns_a" "$ns_b" "$ip_a" "$ip_b" "$tag"
emulation="$wan_emulation"

CCDR_CERT_SANS="IP:$ip_a,IP:$ip_b" "$dr/gen-certs.sh" "$work/certs" A B >/dev/null  # the link's addresses
cluster_ns[A]="$ns_a"
cluster_ns[B]="$ns_b"
make_cluster A 1 "$work/certs/A/cluster"
make_cluster B 2 "$work/certs/B/cluster"
sed -i "s/^\(refhost.server.[0-9]*.cluster.listen_address=\)127.0.0.1/\1$ip_a/" "$work/A/conf/neo4j.conf"
sed -i "s/^\(refhost.server.[0-9]*.cluster.listen_address=\)127.0.0.1/\1$ip_b/" "$work/B/conf/neo4j.conf"
start_cluster A
start_cluster B
# RTT: the median TCP handshake time from B's namespace to A's listener.
rtt=$(ip netns exec "$ns_b" python3 - "$ip_a" "$A_cluster" <<'PY'
import socket, sys, time
times = []
for _ in range(20):
    t = time.monotonic()
    s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=5)
    times.append((time.monotonic() - t) * 1000)
    s.close()
times.sort()
print("%.1f" % times[len(times) // 2])
PY
)
echo "RTT between the namespaces (median TCP connect of 20) = $rtt ms"
q A -d system "CREATE DATABASE foo WAIT" >/dev/null
q B -d system "CALL internal.dbms.createReplicaDatabase('foo-replica', 1, 1, {remote: 'foo', addresses: ['$ip_a:$A_cluster']})" >/dev/null
q A -d foo "CREATE (:Warmup)" >/dev/null
wait_converged A foo B foo-replica >/dev/null

# The load: paced writers and the commit-to-visible probe (wan_load.py), run
# in the background so that a signal reaches the trap at once.
t0=$(date +%s.%N)
python3 "$here/wan_load.py" --shell "$shell_bin" --password "$password" --ns-a "$ns_a" --ns-b "$ns_b" \
  --bolt-a "$A_bolt" --bolt-b "$B_bolt" --db-a foo --db-b foo-replica --rate "$rate" --seconds "$seconds" \
  --writers "$writers" --bound-ms "$(python3 -c "print($rtt + 100)")" --dir "$work" --pids "$work/shell.pids" --out "$work/load.json" >"$work/load.out" 2>&1 &
load_pid=$!
load_rc=0
wait "$load_pid" || load_rc=$?
load_pid=""
t1=$(date +%s.%N)
[ "$load_rc" = 0 ] || { cat "$work/load.out" "$work/load.json" >&2 || true; fail "wan_load.py failed (exit $load_rc)"; }
events=$(q A -d foo "MATCH (e:Event) RETURN count(e) AS c" | tail -1)
tx=$(wait_converged A foo B foo-replica 3000)
sleep 1.5  # the last CSV samples

# The link's counters now.
link_counts=$(wan_link_counts)

# The figure, printed whatever it says; the verdict comes after verification.
python3 - "$work/B/metrics" "$rtt" "$rate" "$t0" "$t1" "$emulation" "$work/load.json" "$link_counts" \
  >"$work/figure.txt" 2>&1 <<'PY' || { cat "$work/figure.txt" >&2; fail "no figure"; }
import glob, json, sys
metrics, rtt, rate, t0, t1, emulation, load_path, link = sys.argv[1:9]
rtt, t0, t1 = float(rtt), float(t0), float(t1)
load = json.load(open(load_path))
rows = []
for f in glob.glob(metrics + "/**/*foo-replica.ccdr.replica.lag_seconds.csv", recursive=True):
    for line in open(f).read().split("\n")[1:]:
        if "," in line:
            t, v = line.split(",")[:2]
            t = float(t) / (1000.0 if float(t) > 1e11 else 1.0)  # seconds or milliseconds
            if t0 <= t <= t1 + 1:
                rows.append(float(v))
rows.sort()
if not rows:
    sys.exit("no lag_seconds samples in the write window")
def pct(p):
    return rows[min(len(rows) - 1, int(p * len(rows)))]
bound = (rtt + 100.0) / 1000.0
vis = [float("nan") if load[k] is None else load[k] for k in ("visible_ms_p50", "visible_ms_p99", "visible_ms_max")]
print("figure: %s, 40 ms ± 10 ms and 1 %% loss each way, RTT %.1f ms; %d writers, %.1f tx/s achieved of %s asked "
      "(%d tx in %.1f s, commit p50 %s ms); lag_seconds gauge p50 %.3f s, p99 %.3f s, max %.3f s over %d samples; "
      "commit-to-visible p50 %.3f s, p99 %.3f s, max %.3f s over %d markers, %d at or above RTT + 100 ms "
      "(resolution ~%.0f ms); link: %s"
      % (emulation, rtt, load["writers"], load["achieved_rate"], rate, load["committed"], load["write_seconds"],
         load["commit_ms_p50"], pct(0.5), pct(0.99), rows[-1], len(rows),
         vis[0] / 1000, vis[1] / 1000, vis[2] / 1000, load["markers_seen"], load["visible_over_bound"],
         load["resolution_ms"], link),
      )
# The condition is the issue's: the lag in seconds (the plugin's gauge) at
# p99 below RTT + 100 ms. The commit-to-visible probe is held to the same
# bound in the printed line only.
print("commit-to-visible p99 %.3f s is %s RTT + 100 ms = %.3f s"
      % (vis[1] / 1000, "below" if vis[1] / 1000 < bound else "NOT below", bound))
if pct(0.99) >= bound:
    print("condition NOT met: lag_seconds p99 %.3f s >= RTT + 100 ms = %.3f s" % (pct(0.99), bound))
else:
    print("condition met: lag_seconds p99 %.3f s below RTT + 100 ms = %.3f s" % (pct(0.99), bound))
print("%d %d" % (load["markers_sent"], load["markers_seen"]))
PY
head -3 "$work/figure.txt"
verdict=$(sed -n 3p "$work/figure.txt")
read -r markers_sent markers_seen < <(tail -1 "$work/figure.txt")
[ "$events" = "$(python3 -c "import json; print(json.load(open('$work/load.json'))['committed'])")" ] ||
  fail "A holds $events events, the writers counted $(cat "$work/load.json")"
pass "A holds the $events events the writers committed"
rows=$(verify_rows B foo-replica)
echo "$rows" | awk -v tx="$tx" '$1 != tx || $2 != "TRUE" { bad = 1 } END { exit bad }' || fail "not equal after the run: $rows"
pass "after $events transactions over the emulated link every member equals the upstream at tx $tx"
[ "$markers_sent" = "$markers_seen" ] || fail "$((markers_sent - markers_seen)) of $markers_sent markers never seen on B"
pass "all $markers_sent markers committed on A were seen on B"
# The lag condition fails the run only where asked (the long CTest form): on
# a shared 2-core machine its p99 varies from run to run around the bound.
if [ -n "${CCDR_NETEM_ASSERT_LAG:-}" ]; then
  case "$verdict" in "condition met"*) pass "${verdict#condition met: }" ;; *) fail "$verdict" ;; esac
fi
echo "$checks passed, 0 failed"

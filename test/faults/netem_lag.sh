#!/usr/bin/env bash
# Cross-region emulation: cluster A and cluster B in their own network
# namespaces, joined by a veth pair whose both ends have
# `tc netem delay 40ms 10ms loss 1%` (so a round trip is ~80 ms), created and
# removed by this script. A writer commits single-node transactions at
# RATE tx/s on A for SECONDS; the replica's lag in seconds (the plugin's
# ccdr.replica.lag_seconds gauge, sampled every second from the CSV metrics of
# both members) is printed as p50/p99/max next to the measured RTT. The
# clusters' replication listeners use the veth addresses (10.77.x.1/2);
# Bolt stays on each namespace's own 127.0.0.1.
# Needs root (ip netns, tc); without it the script says so and exits 77 (skip).
#   netem_lag.sh BUILD_DIR [SECONDS [RATE]]
build="$(realpath "${1:?usage: netem_lag.sh BUILD_DIR [SECONDS [RATE]]}")"
seconds="${2:-60}"
rate="${3:-500}"
if [ "$(id -u)" != 0 ] || ! command -v tc >/dev/null || ! ip netns list >/dev/null 2>&1; then
  echo "SKIPPED: netem_lag.sh needs root, iproute2 and tc (network namespaces and netem)"
  exit 77
fi
modprobe sch_netem 2>/dev/null || true
source "$(dirname "$0")/lib.sh"
tag=$$
net=$((tag % 200 + 20))
ns_a="ccdrA$tag" ns_b="ccdrB$tag"
ip_a="10.77.$net.1" ip_b="10.77.$net.2"
extra_cleanup() {
  ip netns del "$ns_a" 2>/dev/null || true
  ip netns del "$ns_b" 2>/dev/null || true
}
ip netns add "$ns_a"
ip netns add "$ns_b"
ip link add "va$tag" type veth peer name "vb$tag"
ip link set "va$tag" netns "$ns_a"
ip link set "vb$tag" netns "$ns_b"
ip -n "$ns_a" addr add "$ip_a/24" dev "va$tag"
ip -n "$ns_b" addr add "$ip_b/24" dev "vb$tag"
for ns in "$ns_a" "$ns_b"; do ip -n "$ns" link set lo up; done
ip -n "$ns_a" link set "va$tag" up
ip -n "$ns_b" link set "vb$tag" up
netem="40ms±10ms 1% loss each way"
if ! tc -n "$ns_a" qdisc add dev "va$tag" root netem delay 40ms 10ms loss 1% 2>"$work/tc.err"; then
  if [ -z "${CCDR_NETEM_OPTIONAL:-}" ]; then
    echo "SKIPPED: tc netem is not available here (no sch_netem in this kernel?): $(cat "$work/tc.err")"
    exit 77
  fi
  # CCDR_NETEM_OPTIONAL=1: measure over the plain veth pair (checks the
  # set-up and gives the figure without emulated distance).
  echo "WARNING: tc netem is not available ($(cat "$work/tc.err")); measuring over the veth pair without delay or loss"
  netem="none (veth pair only)"
else
  tc -n "$ns_b" qdisc add dev "vb$tag" root netem delay 40ms 10ms loss 1%
fi

CCDR_CERT_SANS="IP:$ip_a,IP:$ip_b" "$dr/gen-certs.sh" "$work/certs" A B >/dev/null  # the veth addresses
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
echo "figure: RTT between the namespaces (median TCP connect of 20) = $rtt ms"
q A -d system "CREATE DATABASE foo WAIT" >/dev/null
q B -d system "CALL internal.dbms.createReplicaDatabase('foo-replica', 1, 1, {remote: 'foo', addresses: ['$ip_a:$A_cluster']})" >/dev/null
q A -d foo "CREATE (:Warmup)" >/dev/null
wait_converged A foo B foo-replica >/dev/null

# The paced writer: RATE statements a second into one ccdr-shell session.
t0=$(date +%s.%N)
python3 - "$rate" "$seconds" <<'PY' | in_ns A "$shell_bin" -a "bolt://127.0.0.1:$A_bolt" -u neo4j -p "$password" -d foo --format plain >/dev/null
import sys, time
rate, seconds = int(sys.argv[1]), float(sys.argv[2])
start = time.monotonic()
i = 0
while time.monotonic() - start < seconds:
    due = start + i / rate
    now = time.monotonic()
    if due > now:
        time.sleep(due - now)
    sys.stdout.write("CREATE (:Event {seq: %d});\n" % i)
    i += 1
    if i % 50 == 0:
        sys.stdout.flush()
sys.stdout.flush()
PY
t1=$(date +%s.%N)
events=$(q A -d foo "MATCH (e:Event) RETURN count(e) AS c" | tail -1)
achieved=$(python3 -c "print(round($events / ($t1 - $t0), 1))")
tx=$(wait_converged A foo B foo-replica 3000)
sleep 1.5
python3 - "$work/B/metrics" "$rtt" "$achieved" "$rate" "$t0" "$t1" "$netem" <<'PY'
import glob, sys
t0, t1 = float(sys.argv[5]), float(sys.argv[6])
rows = []
for f in glob.glob(sys.argv[1] + "/**/*foo-replica.ccdr.replica.lag_seconds.csv", recursive=True):
    for line in open(f).read().split("\n")[1:]:
        if "," in line:
            t, v = line.split(",")[:2]
            t = float(t) / (1000.0 if float(t) > 1e11 else 1.0)  # seconds or milliseconds
            if t0 <= t <= t1 + 1:
                rows.append(float(v))
rows.sort()
if not rows:
    sys.exit("no lag samples")
def pct(p):
    return rows[min(len(rows) - 1, int(p * len(rows)))]
print("figure: netem %s (RTT %s ms), %s tx/s achieved of %s asked: lag_seconds p50 %.3f, p99 %.3f, max %.3f over %d samples"
      % (sys.argv[7], sys.argv[2], sys.argv[3], sys.argv[4], pct(0.5), pct(0.99), rows[-1], len(rows)))
PY
rows=$(verify_rows B foo-replica)
echo "$rows" | awk -v tx="$tx" '$1 != tx || $2 != "TRUE" { bad = 1 } END { exit bad }' || fail "not equal after the run: $rows"
pass "after $events transactions under netem every member equals the upstream at tx $tx"
echo "$checks passed, 0 failed"

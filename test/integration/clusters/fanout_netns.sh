#!/usr/bin/env bash
# Fan-out with the clusters as separate machines (issue 19 item 4): cluster A
# (1 server, database foo) and cluster B (5 servers) each run as their own
# refhost process in their own network namespace, joined only by the
# emulated WAN of netem_lag.sh (wan_link.sh: 40 ms ± 10 ms, 1 % loss each
# way; tc netem, or the userspace emulator where the kernel has none). B
# holds foo-replica with the seed's topology, 3 primaries + 2 secondaries.
# B's replication listeners are on B's link address, so the members' traffic
# among themselves stays inside B's namespace (local routes, loopback) and
# only what crosses the WAN passes B's link device.
#
# Two phases of the same fixed write load on A (TRANSACTIONS single-node
# autocommit CREATEs with a 200-character random string, from 4 ccdr-shell
# sessions in A's namespace):
#   on:  foo-replica created with replicaConfig's defaults (fanOut true),
#        counted once settled: 4 members `following puller` and A serving
#        one subscription (showReplicaSubscriptions);
#   off: after alterReplicaDatabase(fanOut: false), counted once every member
#        pulls from A itself and A serves 5 subscriptions.
# Each phase counts the bytes B's namespace received on its link device
# (/sys/class/net/DEV/statistics/rx_bytes read inside the namespace, Ethernet
# frames: batches, heartbeats, TCP/TLS overhead, retransmissions after loss)
# from before the first commit until every member holds A's last tx, and
# prints them per transaction, beside the sent bytes and A's subscriptions.
#
# Asserted: A committed the TRANSACTIONS of each phase; in each phase every
# member of foo-replica equals A at A's last tx (verifyReplicaDatabase); with
# fan-out A serves exactly one subscription for foo-replica once settled;
# WAN bytes per tx with fan-out on < 0.5 x with it off. Printed beside them:
# on / (off / 5), the fan-out stream against one member's own stream (the
# issue's goal: <= 1.1 x a single member's).
# Needs root (ip netns) and tc netem or /dev/net/tun; without them the script
# says so and exits 77 (skip).
#   fanout_netns.sh BUILD_DIR [TRANSACTIONS]
build="$(realpath "${1:?usage: fanout_netns.sh BUILD_DIR [TRANSACTIONS]}")"
transactions="${2:-3000}"
writers=4
members=5
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/wan_link.sh"
wan_link_can_run fanout_netns.sh
source "$here/lib.sh"
tag=$$
net=$((tag % 200 + 20))
ns_a="ccdrA$tag" ns_b="ccdrB$tag"
ip_a="10.77.$net.1" ip_b="10.77.$net.2"
writer_pids=()

# Writers, then the emulator, are stopped by PID before lib.sh's cleanup
# (which stops the clusters, then SIGKILLs any job left); the namespaces go
# last (extra_cleanup), taking the link's devices with them.
stop_helpers() {  # stop_helpers STATUS: returns STATUS, for lib.sh's cleanup to read as $?
  local p
  for p in "${writer_pids[@]}"; do
    if wan_alive "$p"; then stop_pid "$p"; fi
    wait "$p" 2>/dev/null || true
  done
  wan_emulator_stop
  return "$1"
}
trap 'exit_status=$?; set +e; stop_helpers "$exit_status"; cleanup' EXIT
extra_cleanup() { wan_link_down; }
wan_link_up "$ns_a" "$ns_b" "$ip_a" "$ip_b" "$tag"

CCDR_CERT_SANS="IP:$ip_a,IP:$ip_b" "$dr/gen-certs.sh" "$work/certs" A B >/dev/null  # the link's addresses
cluster_ns[A]="$ns_a"
cluster_ns[B]="$ns_b"
make_cluster A 1 "$work/certs/A/cluster"
make_cluster B "$members" "$work/certs/B/cluster"
sed -i "s/^\(refhost.server.[0-9]*.cluster.listen_address=\)127.0.0.1/\1$ip_a/" "$work/A/conf/neo4j.conf"
sed -i "s/^\(refhost.server.[0-9]*.cluster.listen_address=\)127.0.0.1/\1$ip_b/" "$work/B/conf/neo4j.conf"
start_cluster A
start_cluster B
q A -d system "CREATE DATABASE foo WAIT" >/dev/null
q B -d system "CALL internal.dbms.createReplicaDatabase('foo-replica', 3, 2, {remote: 'foo', addresses: ['$ip_a:$A_cluster']})" >/dev/null

# subscriptions: how many subscriptions A serves for foo (all foo-replica's).
subscriptions() {
  q A -d system "CALL internal.dbms.showReplicaSubscriptions('foo') YIELD replicaDatabase RETURN count(*) AS n" | tail -1
}
# members_say CONDITION N: N members of foo-replica have a statusMessage
# meeting CONDITION (Cypher, after `statusMessage`).
members_say() {
  [ "$(q B -d system "SHOW DATABASE foo-replica YIELD statusMessage WHERE statusMessage $1 RETURN count(*) AS n" | tail -1)" = "$2" ]
}
# The puller says `pulling from ADDRESS (puller)`, a member without fan-out
# `pulling from ADDRESS` (docs/operations.md).
settled_on() { members_say "STARTS WITH 'following puller'" $((members - 1)) && [ "$(subscriptions)" = 1 ]; }
settled_off() { members_say "= 'pulling from $ip_a:$A_cluster'" "$members" && [ "$(subscriptions)" = "$members" ]; }
wan_rx() { ip netns exec "$ns_b" cat "/sys/class/net/$wan_dev_b/statistics/rx_bytes"; }
wan_tx() { ip netns exec "$ns_b" cat "/sys/class/net/$wan_dev_b/statistics/tx_bytes"; }

# The load files, the same for both phases but for the serial numbers: one
# CREATE a line, each with 200 random hexadecimal characters (LZ4 cannot
# shrink them below ~100 bytes).
python3 - "$work" "$writers" "$transactions" <<'PY'
import os, sys
work, writers, total = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
for phase in ("on", "off"):
    for w in range(writers):
        with open(os.path.join(work, "load.%s.%d.cypher" % (phase, w)), "w") as f:
            for k in range(w, total, writers):
                f.write("CREATE (:Item {phase: '%s', serial: %d, pad: '%s'});\n" % (phase, k, os.urandom(100).hex()))
PY

# measure PHASE: the load on A; sets committed, seconds, rx_bytes, tx_bytes, tx_end.
measure() {
  local phase="$1" w t0 tx0 rx0 sent0
  tx0=$(last_tx A foo max)
  rx0=$(wan_rx)
  sent0=$(wan_tx)
  t0=$(date +%s.%N)
  writer_pids=()
  for ((w = 0; w < writers; w++)); do
    # ip execs the shell: the PID kept is the shell's own, stopped by stop_helpers.
    ip netns exec "$ns_a" "$shell_bin" -a "bolt://127.0.0.1:$A_bolt" -u neo4j -p "$password" -d foo --format plain --fail-fast \
      -f "$work/load.$phase.$w.cypher" >"$work/load.$phase.$w.out" 2>&1 &
    writer_pids+=($!)
  done
  for w in "${writer_pids[@]}"; do wait "$w" || fail "a writer of phase $phase failed: $(tail -3 "$work"/load."$phase".*.out)"; done
  writer_pids=()
  tx_end=$(wait_converged A foo B foo-replica 3000)
  seconds=$(python3 -c "import time; print('%.1f' % (time.time() - $t0))")
  rx_bytes=$(($(wan_rx) - rx0))
  tx_bytes=$(($(wan_tx) - sent0))
  committed=$((tx_end - tx0))
  [ "$committed" = "$transactions" ] || fail "phase $phase: A committed $committed transactions, the writers sent $transactions"
  local rows
  rows=$(verify_rows B foo-replica)
  [ "$(echo "$rows" | wc -l)" = "$members" ] || fail "phase $phase: verifyReplicaDatabase gave rows for other than $members members: $rows"
  echo "$rows" | awk -v tx="$tx_end" '$1 != tx || $2 != "TRUE" { bad = 1 } END { exit bad }' ||
    fail "phase $phase: not every member equals A at tx $tx_end: $rows"
  pass "fan-out $phase: after $committed transactions every one of the $members members equals A at tx $tx_end"
}

# Phase 1: fan-out on (replicaConfig's default).
wait_converged A foo B foo-replica >/dev/null
eventually --tries 600 settled_on ||
  fail "fan-out on did not settle to one puller, $((members - 1)) followers and 1 subscription on A: $(subscriptions) subscriptions"
subs_on=$(subscriptions)
pass "fan-out on: A serves exactly $subs_on subscription for foo-replica, $((members - 1)) members follow the puller"
measure on
on_committed=$committed on_seconds=$seconds on_rx=$rx_bytes on_tx=$tx_bytes
subs_on_after=$(subscriptions)

# Phase 2: fan-out off, the same replica database.
q B -d system "CALL internal.dbms.alterReplicaDatabase('foo-replica', {fanOut: false})" >/dev/null
eventually --tries 600 settled_off ||
  fail "fan-out off did not settle to $members members pulling from A: $(subscriptions) subscriptions"
subs_off=$(subscriptions)
measure off
off_committed=$committed off_seconds=$seconds off_rx=$rx_bytes off_tx=$tx_bytes
link_counts=$(wan_link_counts)

python3 - "$on_committed" "$on_seconds" "$on_rx" "$on_tx" "$subs_on" "$subs_on_after" \
  "$off_committed" "$off_seconds" "$off_rx" "$off_tx" "$subs_off" "$members" >"$work/figure.txt" <<'PY'
import sys
a = sys.argv[1:]
on = dict(n=int(a[0]), s=float(a[1]), rx=int(a[2]), tx=int(a[3]), subs="%s settled, %s after the load" % (a[4], a[5]))
off = dict(n=int(a[6]), s=float(a[7]), rx=int(a[8]), tx=int(a[9]), subs=a[10])
members = int(a[11])
for p in (on, off):
    p["per_tx"] = p["rx"] / p["n"]
ratio = on["per_tx"] / off["per_tx"]
print("%-12s %8s %8s %14s %12s %14s  %s" % ("fan-out", "tx", "seconds", "WAN rx bytes", "rx bytes/tx", "WAN tx bytes", "subscriptions on A"))
for name, p in (("on", on), ("off", off)):
    print("%-12s %8d %8.1f %14d %12.1f %14d  %s" % (name, p["n"], p["s"], p["rx"], p["per_tx"], p["tx"], p["subs"]))
print("WAN bytes received by B per tx: fan-out on / off = %.3f (asserted < 0.5); on / (off / %d members) = %.2f x "
      "a member's own stream (goal <= 1.1 x a single member's)" % (ratio, members, on["per_tx"] / (off["per_tx"] / members)))
print("%.6f" % ratio)
PY
head -4 "$work/figure.txt"
echo "link: $link_counts"
ratio=$(tail -1 "$work/figure.txt")
python3 -c "import sys; sys.exit(0 if $ratio < 0.5 else 1)" ||
  fail "fan-out on carried $ratio x the WAN bytes per tx of fan-out off (bound 0.5)"
pass "fan-out on carried $ratio x the WAN bytes per tx of fan-out off (< 0.5)"
echo "$checks passed, 0 failed"

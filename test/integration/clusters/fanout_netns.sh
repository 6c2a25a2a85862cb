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
# Three phases of the same fixed write load on A (TRANSACTIONS single-node
# autocommit CREATEs with a 200-character random string, from 4 ccdr-shell
# sessions in A's namespace):
#   single: the reference, a replica database of one member (foo-single),
#        dropped afterwards (counted once A serves its one subscription);
#   on:  foo-replica, 3 primaries + 2 secondaries, created with
#        replicaConfig's defaults (fanOut true), counted once settled: 4
#        members `following puller` and A serving one subscription
#        (showReplicaSubscriptions);
#   off: the same after alterReplicaDatabase(fanOut: false), counted once
#        every member pulls from A itself and A serves 5 subscriptions.
# Each phase counts the bytes B's namespace received on its link device
# (/sys/class/net/DEV/statistics/rx_bytes read inside the namespace, Ethernet
# frames: batches, heartbeats, TCP/TLS overhead, retransmissions after loss)
# from before the first commit until every member holds A's last tx, and
# prints them per transaction, beside the sent bytes and A's subscriptions.
#
# Asserted: A committed the TRANSACTIONS of each phase; after each phase every
# member equals A at A's last tx (verifyReplicaDatabase); with fan-out A
# serves exactly one subscription for foo-replica once settled; WAN bytes per
# tx with fan-out on < 0.5 x with it off. Printed, not asserted: fan-out on
# against the single member (the issue's goal: <= 1.1 x; with 1 % loss and
# a few seconds of load the figure moves by a few per cent).
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

# The load files, the same for every phase but for the serial numbers: one
# CREATE a line, each with 200 random hexadecimal characters (LZ4 cannot
# shrink them below ~100 bytes).
python3 - "$work" "$writers" "$transactions" <<'PY'
import os, sys
work, writers, total = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
for phase in ("single", "on", "off"):
    for w in range(writers):
        with open(os.path.join(work, "load.%s.%d.cypher" % (phase, w)), "w") as f:
            for k in range(w, total, writers):
                f.write("CREATE (:Item {phase: '%s', serial: %d, pad: '%s'});\n" % (phase, k, os.urandom(100).hex()))
PY

# measure PHASE DB MEMBERS: the load on A while DB (of MEMBERS members)
# replicates foo; appends "PHASE committed seconds rx_bytes tx_bytes
# subscriptions_after" to $work/phases.txt, then checks every member of DB
# equals A.
measure() {
  local phase="$1" db="$2" n="$3" w t0 tx0 rx0 sent0 tx_end rows
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
  tx_end=$(wait_converged A foo B "$db" 3000)
  echo "$phase $((tx_end - tx0)) $(python3 -c "import time; print('%.1f' % (time.time() - $t0))")" \
    "$(($(wan_rx) - rx0)) $(($(wan_tx) - sent0)) $(subscriptions)" >>"$work/phases.txt"
  [ "$((tx_end - tx0))" = "$transactions" ] ||
    fail "phase $phase: A committed $((tx_end - tx0)) transactions, the writers sent $transactions"
  rows=$(verify_rows B "$db")
  [ "$(echo "$rows" | wc -l)" = "$n" ] || fail "phase $phase: verifyReplicaDatabase gave rows for other than $n members: $rows"
  echo "$rows" | awk -v tx="$tx_end" '$1 != tx || $2 != "TRUE" { bad = 1 } END { exit bad }' ||
    fail "phase $phase: not every member equals A at tx $tx_end: $rows"
  pass "phase $phase: after $transactions transactions every one of the $n members of $db equals A at tx $tx_end"
}
subscriptions_are() { [ "$(subscriptions)" = "$1" ]; }

# Phase 1, the reference: a replica database of one member (foo-single),
# dropped afterwards so that its stream is not counted in the next phases.
q B -d system "CALL internal.dbms.createReplicaDatabase('foo-single', 1, 0, {remote: 'foo', addresses: ['$ip_a:$A_cluster']})" >/dev/null
wait_converged A foo B foo-single >/dev/null
eventually --tries 600 subscriptions_are 1 || fail "foo-single's member did not subscribe to A: $(subscriptions) subscriptions"
measure single foo-single 1
q B -d system "DROP DATABASE foo-single WAIT" >/dev/null
eventually --tries 600 subscriptions_are 0 || fail "A still serves $(subscriptions) subscriptions after foo-single was dropped"

# Phase 2: the seed's topology with fan-out on (replicaConfig's default).
q B -d system "CALL internal.dbms.createReplicaDatabase('foo-replica', 3, 2, {remote: 'foo', addresses: ['$ip_a:$A_cluster']})" >/dev/null
wait_converged A foo B foo-replica >/dev/null
eventually --tries 600 settled_on ||
  fail "fan-out on did not settle to one puller, $((members - 1)) followers and 1 subscription on A: $(subscriptions) subscriptions"
pass "fan-out on: A serves exactly $(subscriptions) subscription for foo-replica, $((members - 1)) members follow the puller"
measure on foo-replica "$members"

# Phase 3: fan-out off, the same replica database.
q B -d system "CALL internal.dbms.alterReplicaDatabase('foo-replica', {fanOut: false})" >/dev/null
eventually --tries 600 settled_off ||
  fail "fan-out off did not settle to $members members pulling from A: $(subscriptions) subscriptions"
measure off foo-replica "$members"
link_counts=$(wan_link_counts)

python3 - "$work/phases.txt" >"$work/figure.txt" <<'PY'
import sys
rows = {}
for line in open(sys.argv[1]):
    name, n, s, rx, tx, subs = line.split()
    rows[name] = dict(n=int(n), s=float(s), rx=int(rx), tx=int(tx), subs=int(subs), per_tx=int(rx) / int(n))
titles = {"single": "1 member", "on": "3+2, fan-out on", "off": "3+2, fan-out off"}
print("%-18s %6s %8s %13s %12s %13s %10s  %s" % ("replica database", "tx", "seconds", "WAN rx bytes", "rx bytes/tx",
                                                "WAN tx bytes", "x single", "subscriptions on A after"))
for name in ("single", "on", "off"):
    r = rows[name]
    print("%-18s %6d %8.1f %13d %12.1f %13d %10.2f  %d"
          % (titles[name], r["n"], r["s"], r["rx"], r["per_tx"], r["tx"], r["per_tx"] / rows["single"]["per_tx"], r["subs"]))
ratio = rows["on"]["per_tx"] / rows["off"]["per_tx"]
print("WAN bytes received by B per tx: fan-out on / off = %.3f (asserted < 0.5); on = %.2f x a single member's (goal <= 1.1)"
      % (ratio, rows["on"]["per_tx"] / rows["single"]["per_tx"]))
print("%.6f" % ratio)
PY
head -5 "$work/figure.txt"
echo "link: $link_counts"
ratio=$(tail -1 "$work/figure.txt")
python3 -c "import sys; sys.exit(0 if $ratio < 0.5 else 1)" ||
  fail "fan-out on carried $ratio x the WAN bytes per tx of fan-out off (bound 0.5)"
pass "fan-out on carried $ratio x the WAN bytes per tx of fan-out off (< 0.5)"
echo "$checks passed, 0 failed"

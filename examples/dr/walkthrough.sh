#!/usr/bin/env bash
# The disaster-recovery walk-through: two clusters on this machine, a replica
# of `foo` in the second, a planned switchover there and back, the loss of
# the first cluster with transactions the second never got, promotion, fence
# on heal, re-attach without a store copy, and failback by switchover —
# every step done the way an operator does it, with ccdr-shell.
#
#   examples/dr/walkthrough.sh [--build-dir DIR] [--work-dir DIR] [--keep] [--lag-png FILE]
#
# --lag-png FILE draws the replica's lag (seconds and transactions) during a
# burst of 2 000 single-node transactions (examples/monitoring/lag-plot.sh).
#
# Ports: cluster A uses Bolt 17687-17689 and cluster 16000-16002; cluster B
# Bolt 7687-7691 and cluster 6000-6004 (the layout of docs/operations.md and
# README). CCDR_DEMO_PORT_OFFSET shifts them all.
# Everything started is stopped at the end (and on any failure), by PID.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
build="$root/build/default"
work=""
keep=0
lag_png=""
while (($#)); do
  case "$1" in
    --build-dir) build="$2"; shift 2 ;;
    --work-dir) work="$2"; shift 2 ;;
    --keep) keep=1; shift ;;
    --lag-png) lag_png="$(realpath -m "$2")"; shift 2 ;;
    *) echo "walkthrough.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
refhost="$build/examples/refhost/refhost"
shell_bin="$build/examples/refhost/ccdr-shell"
plugin="$build/plugin/libccdr.so"
for f in "$refhost" "$shell_bin" "$plugin"; do
  [ -x "$f" ] || [ -f "$f" ] || { echo "missing $f: build first (scripts/setup.sh)" >&2; exit 1; }
done
off="${CCDR_DEMO_PORT_OFFSET:-0}"
a_bolt=$((17687 + off)) a_cluster=$((16000 + off))
b_bolt=$((7687 + off)) b_cluster=$((6000 + off))
[ -n "$work" ] || work="$(mktemp -d /tmp/ccdr-dr.XXXXXX)"
mkdir -p "$work"
password="ccdr-demo-password"
started=$(date +%s)

pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do
    for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$p" 2>/dev/null || true
  done
  if ((keep == 0)); then rm -rf "$work"; else echo "work directory kept: $work"; fi
}
trap cleanup EXIT

bold=$'\e[1m' dim=$'\e[2m' reset=$'\e[0m'
[ -t 1 ] || { bold="" dim="" reset=""; }
n=0
step() { n=$((n + 1)); printf '\n%s== %d. %s%s\n' "$bold" "$n" "$1" "$reset"; }
say() { printf '%s\n' "$*" | fold -s -w 100; }
# shell ADDRESS [options...] QUERY: runs ccdr-shell, echoing the command first.
shell() {
  local shown=("ccdr-shell" "$@")
  printf '%s$ %s%s\n' "$dim" "${shown[*]}" "$reset"
  "$shell_bin" -u neo4j -p "$password" --format table "$@"
}
# expect_fail ...: like shell, but the command must fail; shows the error.
expect_fail() {
  local shown=("ccdr-shell" "$@")
  printf '%s$ %s%s\n' "$dim" "${shown[*]}" "$reset"
  if "$shell_bin" -u neo4j -p "$password" --format table "$@" 2>"$work/err"; then
    echo "expected this command to fail, and it did not" >&2
    exit 1
  fi
  sed 's/^/  /' "$work/err"
}
start_cluster() {  # start_cluster NAME HOME
  "$refhost" --home "$2" >"$work/$1.out" 2>&1 &
  local pid=$!
  pids+=("$pid")
  for _ in $(seq 300); do
    grep -q "cluster ready" "$work/$1.out" 2>/dev/null && { echo "$pid" >"$work/$1.pid"; return 0; }
    kill -0 "$pid" 2>/dev/null || { cat "$work/$1.out" >&2; exit 1; }
    sleep 0.1
  done
  echo "cluster $1 did not become ready" >&2
  cat "$work/$1.out" >&2
  exit 1
}
metric() {  # metric HOME SERVER_ID DB: last value of last_committed_tx_id from the CSV files
  local f
  f=$(find "$1/metrics" -path "*$2*" -name "neo4j.database.$3.transaction.last_committed_tx_id.csv" | head -1)
  [ -n "$f" ] && tail -1 "$f" | cut -d, -f2
}
wait_equal_tx() {  # wait_equal_tx A_ADDR A_DB B_ADDR B_DB: until lastCommittedTxn agrees
  local qa="SHOW DATABASE \`$2\` YIELD lastCommittedTxn RETURN max(lastCommittedTxn) AS tx"
  local qb="SHOW DATABASE \`$4\` YIELD lastCommittedTxn RETURN min(lastCommittedTxn) AS tx"
  for _ in $(seq 200); do
    ta=$("$shell_bin" -a "$1" -u neo4j -p "$password" -d system --format plain "$qa" | tail -1)
    tb=$("$shell_bin" -a "$3" -u neo4j -p "$password" -d system --format plain "$qb" | tail -1)
    [ "$ta" = "$tb" ] && { echo "$ta"; return 0; }
    sleep 0.1
  done
  echo "replica did not catch up: $ta vs $tb" >&2
  exit 1
}

step "Certificates: one CA per cluster, each cluster trusting the other's CA and its own"
"$here/gen-certs.sh" "$work/certs" clusterA clusterB
(cd "$work/certs" && find clusterA clusterB | sort | sed 's/^/  /')

step "Cluster A (3 servers) and cluster B (5 servers: 3 primary-, 2 secondary-constrained)"
"$here/make-home.sh" "$work/A" --servers 3 --bolt-port "$a_bolt" --cluster-port "$a_cluster" \
  --certs "$work/certs/clusterA/cluster" --plugin "$plugin" --password "$password" --refhost "$refhost"
"$here/make-home.sh" "$work/B" --servers 5 --bolt-port "$b_bolt" --cluster-port "$b_cluster" \
  --modes PRIMARY,PRIMARY,PRIMARY,SECONDARY,SECONDARY \
  --certs "$work/certs/clusterB/cluster" --plugin "$plugin" --password "$password" --refhost "$refhost"
say "Each home has conf/neo4j.conf, plugins/libccdr.so and certificates/cluster/ with the cluster SSL policy enabled."
start_cluster A "$work/A"
start_cluster B "$work/B"
grep -h "ccdr" "$work/A/logs/debug.log" | grep -m1 "loaded" | sed 's/^/  A debug.log: /'
A="neo4j://127.0.0.1:$a_bolt"
B="neo4j://127.0.0.1:$b_bolt"
a_addrs="\"127.0.0.1:$a_cluster\", \"127.0.0.1:$((a_cluster + 1))\", \"127.0.0.1:$((a_cluster + 2))\""

step "On cluster A: create foo and write to it"
shell -a "$A" -d system "CREATE DATABASE foo TOPOLOGY 3 PRIMARIES WAIT"
shell -a "$A" -d foo "UNWIND range(1, 100) AS i CREATE (:Customer {id: i, name: 'customer ' + toString(i)})"
shell -a "$A" -d foo "MATCH (c:Customer) RETURN count(c) AS customers"

step "On cluster B: create foo-replica (3 primaries, 2 secondaries) pulling from A"
shell -a "$B" -d system "CALL internal.dbms.createReplicaDatabase(\"foo-replica\", 3, 2, {remote: \"foo\", addresses: [$a_addrs]})"
shell -a "$B" -d system "SHOW DATABASE foo-replica"
say "type is replica, access read-only, and no member is a writer."
shell -a "$B" -d system "CALL dbms.routing.getRoutingTable({}, \"foo-replica\")"
say "Every member is a reader (and a router); there is no WRITE entry."

step "Reading the replica needs read access"
tx=$(wait_equal_tx "$A" foo "$B" foo-replica)
shell -a "$B" -d foo-replica --access-mode read "MATCH (c:Customer) RETURN count(c) AS customers"
say "A write session through routing cannot find a writer:"
expect_fail -a "$B" -d foo-replica "CREATE (:Customer {id: 0})"
say "A write sent straight to a replica server is refused by the plugin:"
expect_fail -a "bolt://127.0.0.1:$b_bolt" -d foo-replica "CREATE (:Customer {id: 0})"

step "Access is set up on each cluster: users and roles are not replicated"
shell -a "$A" -d system "CREATE USER app SET PASSWORD 'app-secret-1' CHANGE NOT REQUIRED"
shell -a "$A" -d system "GRANT ROLE editor TO app"
say "The drift check on B asks A over the replication link (names and roles, never a password):"
shell -a "$B" -d system "CALL internal.dbms.compareSecurity(\"foo-replica\") YIELD user, rolesHere, rolesThere, verdict"
shell -a "$B" -d system "CREATE USER app SET PASSWORD 'app-secret-1' CHANGE NOT REQUIRED"
shell -a "$B" -d system "GRANT ROLE editor TO app"
shell -a "$B" -d system "CALL internal.dbms.compareSecurity(\"foo-replica\") YIELD user, verdict"
verdicts=$("$shell_bin" -a "$B" -u neo4j -p "$password" -d system --format plain \
  "CALL internal.dbms.compareSecurity(\"foo-replica\") YIELD verdict")
if grep -qE 'missing|differ' <<<"$verdicts"; then
  echo "compareSecurity still reports differences: $verdicts" >&2
  exit 1
fi
say "No difference left: after a failover the application's user is there, with the same role."

step "Watching lag: last_committed_tx_id on both sides"
shell -a "$A" -d foo "UNWIND range(101, 150) AS i CREATE (:Customer {id: i})"
tx=$(wait_equal_tx "$A" foo "$B" foo-replica)
shell -a "$A" -d system "SHOW DATABASE foo YIELD name, address, lastCommittedTxn"
shell -a "$B" -d system "SHOW DATABASE foo-replica YIELD name, address, lastCommittedTxn, replicationLag, statusMessage"
sleep 1.2  # one CSV interval, so the metric files have caught up too
say "metrics/…/neo4j.database.foo.transaction.last_committed_tx_id.csv on A: $(metric "$work/A" "" foo)"
say "metrics/…/neo4j.database.foo-replica.transaction.last_committed_tx_id.csv on B: $(metric "$work/B" "" foo-replica)"
say "A burst of 2 000 transactions, one node each, from one client:"
for i in $(seq 1 2000); do echo "CREATE (:Event {seq: $i});"; done >"$work/burst.cypher"
t0=$(date +%s%N)
"$shell_bin" -a "$A" -u neo4j -p "$password" -d foo --format plain -f "$work/burst.cypher" >/dev/null
t1=$(date +%s%N)
tx=$(wait_equal_tx "$A" foo "$B" foo-replica)
t2=$(date +%s%N)
say "2 000 commits on A took $(((t1 - t0) / 1000000)) ms; every member of foo-replica had tx $tx $(((t2 - t1) / 1000000)) ms after the last commit (polling every 100 ms)."
shell -a "$B" -d system "SHOW DATABASE foo-replica YIELD address, lastCommittedTxn, replicationLag, statusMessage"
if [ -n "$lag_png" ]; then
  sleep 2  # the CSV files' last interval
  # A server of B hosting a member of foo-replica, by name (SHOW SERVERS):
  # lag-plot.sh maps it to the folder of its server id.
  member=$("$shell_bin" -a "$B" -u neo4j -p "$password" -d system --format plain "SHOW SERVERS YIELD name, hosting" |
    grep -m1 '"foo-replica"' | cut -d, -f1 | tr -d '"')
  "$root/examples/monitoring/lag-plot.sh" --title "foo-replica lag during 2 000 commits ($member)" \
    --metrics "$work/B/metrics/$member" foo-replica "$lag_png"
  say "lag picture: $lag_png"
fi

step "Planned switchover: the writer moves to cluster B with nothing lost and no store copy"
say "One call on the replica's cluster fences foo on A, waits until every member of foo-replica has A's last transaction, promotes foo-replica and makes A's foo its replica:"
shell -a "$B" -d system "CALL internal.dbms.switchoverReplicaDatabase('foo-replica') YIELD database, switchedAtTx, upstreamIsReplica, writesRefusedMs"
shell -a "$B" -d foo-replica "CREATE (:Customer {id: 500, name: 'written in region B'})"
shell -a "$A" -d system "SHOW DATABASE foo YIELD address, type, access, lastCommittedTxn, statusMessage"
expect_fail -a "bolt://127.0.0.1:$a_bolt" -d foo "CREATE (:Customer {id: 0})"
tx=$(wait_equal_tx "$B" foo-replica "$A" foo)
say "A's foo follows foo-replica (both at tx $tx)."

step "Switching back: the same call on cluster A"
shell -a "$A" -d system "CALL internal.dbms.switchoverReplicaDatabase('foo') YIELD database, switchedAtTx, upstreamIsReplica, writesRefusedMs"
shell -a "$A" -d foo "CREATE (:Customer {id: 501, name: 'back in region A'})"
customers=$("$shell_bin" -a "$A" -u neo4j -p "$password" -d foo --format plain \
  "MATCH (c:Customer) RETURN count(c)" | tail -1)
[ "$customers" = "152" ] || { echo "expected 152 customers on A after switching back, found $customers" >&2; exit 1; }
tx=$(wait_equal_tx "$A" foo "$B" foo-replica)
shell -a "$B" -d system "CALL internal.dbms.verifyReplicaDatabase('foo-replica') YIELD address, txId, match"

step "A DR drill in region B: a writable copy of the replica, made inside cluster B"
shell -a "$B" -d system "CALL internal.dbms.createDrillDatabase('foo-replica', 'foo-drill') YIELD database, copiedAtTx, message"
shell -a "$B" -d foo-drill "MATCH (c:Customer) DETACH DELETE c"
drill=$("$shell_bin" -a "$B" -u neo4j -p "$password" -d foo-drill --format plain "MATCH (c:Customer) RETURN count(c)" | tail -1)
replica=$("$shell_bin" -a "$B" -u neo4j -p "$password" -d foo-replica --access-mode read --format plain \
  "MATCH (c:Customer) RETURN count(c)" | tail -1)
[ "$drill" = "0" ] && [ "$replica" = "152" ] || { echo "drill: $drill customers (expected 0), replica: $replica (expected 152)" >&2; exit 1; }
say "The drill deleted every customer; foo-replica still has its $replica and keeps following A."
shell -a "$B" -d system "DROP DATABASE foo-drill WAIT"

step "Disaster: cluster A is lost (kill -9) after committing 3 transactions B never received"
say "(foo-replica is stopped, as for maintenance in region B, while A keeps committing; then A is lost)"
shell -a "$B" -d system "STOP DATABASE foo-replica WAIT"
for i in 1 2 3; do
  "$shell_bin" -a "bolt://127.0.0.1:$a_bolt" -u neo4j -p "$password" -d foo --format plain \
    "CREATE (:Order {id: $i, note: 'committed in region A, never replicated'})" >/dev/null
done
a_pid="$(cat "$work/A.pid")"
{ kill -KILL "$a_pid"; wait "$a_pid"; } 2>/dev/null || true
shell -a "$B" -d system "START DATABASE foo-replica WAIT"
say "Cluster A's process is gone, with 3 orders that never reached B. The replica still serves reads:"
shell -a "$B" -d foo-replica --access-mode read "MATCH (c:Customer) RETURN count(c) AS customers"

step "Promote foo-replica on cluster B"
say "Before promoting, what would be lost (as last heard from A):"
shell -a "bolt://127.0.0.1:$b_bolt" -d system "CALL internal.dbms.promotionReport('foo-replica') YIELD serverId, lastAppliedTx, upstreamLastTx, txAtRisk, upstreamAnswers"
t0=$(date +%s%N)
shell -a "$B" -d system "CALL internal.dbms.promoteReplicaDatabase('foo-replica')"
t1=$(date +%s%N)
say "promotion took $(((t1 - t0) / 1000000)) ms, shell start-up included"
shell -a "$B" -d system "SHOW DATABASE foo-replica"
say "type is standard now, with exactly one writer. Writes work:"
shell -a "$B" -d foo-replica "CREATE (:Customer {id: 1000, name: 'written in the DR region'})"
shell -a "$B" -d foo-replica "MATCH (e:Event) RETURN count(e) AS events, max(e.seq) AS last"
events=$("$shell_bin" -a "$B" -u neo4j -p "$password" -d foo-replica --format plain \
  "MATCH (e:Event) RETURN count(e)" | tail -1)
[ "$events" = "2000" ] || { echo "expected 2000 events on the promoted replica, found $events" >&2; exit 1; }
say "Every transaction B received before A was lost is there."

step "Cluster A is back: fence on heal makes its old foo read-only"
start_cluster A2 "$work/A"
for _ in $(seq 100); do
  access=$("$shell_bin" -a "$A" -u neo4j -p "$password" -d system --format plain \
    "SHOW DATABASE foo YIELD access RETURN collect(DISTINCT access)" | tail -1)
  [ "$access" = '["read-only"]' ] && break
  sleep 0.1
done
shell -a "$A" -d system "SHOW DATABASE foo YIELD address, access, statusMessage"
expect_fail -a "bolt://127.0.0.1:$a_bolt" -d foo "CREATE (:Order {id: 4})"
say "Applications still pointed at region A cannot write into a history that has ended."

step "Re-attach A's foo as a replica of foo-replica: no store copy; the lost orders go to a file"
b_all=""  # the cluster address of each server of B (cluster port = Bolt port shifted)
while read -r bolt; do
  bolt="${bolt//\"/}"
  b_all+="${b_all:+, }\"127.0.0.1:$((b_cluster + ${bolt##*:} - b_bolt))\""
done < <("$shell_bin" -a "$B" -u neo4j -p "$password" -d system --format plain \
  "SHOW SERVERS YIELD address RETURN address" | tail -n +2)
shell -a "$A" -d system "CALL internal.dbms.reattachAsReplica('foo', {remote: 'foo-replica', addresses: [$b_all]}) YIELD sharedTx, lostTransactions, lostFile"
lost_file=$(find "$work/A/data" -path '*lost-transactions*' -name 'foo-*.jsonl' | head -1)
[ -n "$lost_file" ] || { echo "no lost-transactions file under $work/A/data" >&2; exit 1; }
lost=$(wc -l <"$lost_file")
[ "$lost" = "3" ] || { echo "expected 3 lost transactions in $lost_file, found $lost" >&2; exit 1; }
say "${lost_file#"$work"/}:"
cut -c1-160 "$lost_file" | sed 's/^/  /'
tx=$(wait_equal_tx "$B" foo-replica "$A" foo)
shell -a "$A" -d system "CALL internal.dbms.verifyReplicaDatabase('foo') YIELD address, txId, match"

step "Failback: switch over to cluster A again"
shell -a "$A" -d system "CALL internal.dbms.switchoverReplicaDatabase('foo') YIELD database, switchedAtTx, upstreamIsReplica"
shell -a "$A" -d foo "CREATE (:Customer {id: 2000, name: 'back in the main region'})"
customers=$("$shell_bin" -a "$A" -u neo4j -p "$password" -d foo --format plain \
  "MATCH (c:Customer) RETURN count(c)" | tail -1)
[ "$customers" = "154" ] || { echo "expected 154 customers on A after failback, found $customers" >&2; exit 1; }
shell -a "$B" -d system "SHOW DATABASE foo-replica YIELD address, type, access, writer, lastCommittedTxn"

step "Done in $(($(date +%s) - started)) s; stopping both clusters"

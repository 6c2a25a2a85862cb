#!/usr/bin/env bash
# The log held for replicas (docs/operations.md §10) between two refhost
# clusters over mutual TLS. The upstream keeps only "100 txs" by its
# retention policy and holds at most 256KiB of log for a replica member.
#  1. The replica's cluster is stopped while the upstream writes 300
#     transactions and restarts: the upstream keeps the log from the tx after
#     the replica's position (beyond its retention), across its restart; the
#     replica comes back and catches up from the log: 0 store copies.
#  2. Stopped again while the upstream writes more than the cap: the catch-up
#     window reaches 0, the hold is released and pruning wins; the upstream's
#     log is back to its retention, never more than the cap (disk safety: a
#     replica that never returns keeps nothing beyond it). The replica comes
#     back, says it needs a store copy, then does one: 1 store copy.
#  3. DROP DATABASE of the replica ends the upstream's hold at once.
#  4. A replica dropped while the upstream is down: the replica's server owes
#     the release (in its data directory, across its restart) and tells the
#     upstream once it answers again.
#   log_hold_refhost.sh BUILD_DIR
build="$(realpath "${1:?usage: log_hold_refhost.sh BUILD_DIR}")"
source "$(dirname "$0")/lib.sh"
command -v sqlite3 >/dev/null || { echo "sqlite3 is not installed: skipped"; exit 77; }

cap=262144  # ccdr.upstream.replica_log_hold.max_size below
"$dr/gen-certs.sh" "$work/certs" A B >/dev/null
make_cluster A 1 "$work/certs/A/cluster" --set "db.tx_log.rotation.retention_policy=100 txs" \
  --set "ccdr.upstream.replica_log_hold.max_size=256KiB" --set "ccdr.upstream.replica_log_hold.max_age=1h"
make_cluster B 1 "$work/certs/B/cluster" --set "ccdr.backoff.max=500ms"
start_cluster A
start_cluster B

q A -d system "CREATE DATABASE foo WAIT" >/dev/null
q A -d foo "CREATE (:Item {id: 0})" >/dev/null
q B -d system "CALL internal.dbms.createReplicaDatabase('foo-replica', 1, 0, {remote: 'foo', addresses: [$A_addrs]})" >/dev/null
wait_converged A foo B foo-replica >/dev/null

# writes N PAD: N transactions on A's foo, each a node with a PAD-byte string.
writes() {
  local pad i
  pad=$(head -c "$2" /dev/zero | tr '\0' 'x')
  for ((i = 1; i <= $1; i++)); do echo "CREATE (:Event {seq: $i, pad: '$pad'});"; done >"$work/writes.cypher"
  q A -d foo -f "$work/writes.cypher" >/dev/null
}
# a_log ARGS: test/support/log_segments.py on the log of A's member of foo (while A runs).
a_log() {
  local dir
  dir=$(find "$work/A/data" -type d -path "*databases/foo" | head -1)
  python3 "$log_segments" "$dir/$(cat "$dir/CURRENT")" "$@"
}
# metric CLUSTER GLOB: the newest value of the metric CSV matching GLOB (empty if none yet).
metric() {
  local f
  f=$(find "$work/$1/metrics" -name "$2" | head -1)
  [ -n "$f" ] && tail -1 "$f" | cut -d, -f2
}
# metric_history CLUSTER GLOB: every value written so far, one a line.
metric_history() {
  local f
  f=$(find "$work/$1/metrics" -name "$2" | head -1)
  [ -n "$f" ] && grep -E '^[0-9]' "$f" | cut -d, -f2
}
window_glob="*foo.ccdr.upstream.replica.*.foo-replica.catch_up_window_seconds.csv"
held_glob="*foo.ccdr.upstream.replica.*.foo-replica.log_hold_bytes.csv"
copies_served() {
  q A -d system "CALL internal.dbms.showReplicaSubscriptions('foo') YIELD storeCopiesServed RETURN storeCopiesServed" |
    tail -1
}
# held_as_measured FROM: the hold's bytes (metric) are the log's bytes after FROM: a pruning
# pass has run since the last write.
held_as_measured() {
  local want got
  want=$(a_log bytes-after "$1")
  got=$(metric A "$held_glob")
  [ -n "$got" ] && [ "$(printf '%.0f' "$got")" = "$want" ]
}

# hold_at TX: A's holds file has the replica's hold at TX (a pruning pass saw its ACK).
hold_at() {
  local f
  f=$(find "$work/A/data" -name replica_log_holds.tsv | head -1)
  [ -n "$f" ] && awk -F'\t' -v tx="$1" '$4 == "foo-replica" && $5 == tx && $6 == "0" { found = 1 } END { exit !found }' "$f"
}

# --- 1. held: the replica catches up from the log -----------------------------------
tx1=$(last_tx B foo-replica min)
eventually --tries 300 hold_at "$tx1" || fail "A holds nothing for the replica at tx $tx1"
stop_cluster B
writes 300 100
eventually --tries 300 held_as_measured "$tx1" || fail "no pruning pass measured the hold (metric $(metric A "$held_glob"))"
read -r oldest last _ < <(a_log summary)
((last - tx1 > 100)) || fail "the writes must outgrow the retention: replica at $tx1, last $last"
((oldest <= tx1 + 1)) || fail "the log was pruned past the replica's position: starts at $oldest, replica at $tx1"
pass "A holds its log from tx $oldest for the replica at tx $tx1 (retention alone: from tx $((last - 99))); $(metric A "$held_glob") bytes held, catch-up window $(metric A "$window_glob") s"

stop_cluster A
start_cluster A
writes 20 100
eventually --tries 300 held_as_measured "$tx1" || fail "no pruning pass after A's restart measured the hold"
read -r oldest _ < <(a_log summary)
((oldest <= tx1 + 1)) || fail "the hold did not survive A's restart: log starts at $oldest, replica at $tx1"
pass "the hold survived A's restart (log from tx $oldest; $work/A/data/.../ccdr/replica_log_holds.tsv: $(cat "$(find "$work/A/data" -name replica_log_holds.tsv | head -1)" | cut -f4,5 | tr '\t' ' '))"

start_cluster B
tx=$(wait_converged A foo B foo-replica)
served=$(copies_served)
copies_b=$(grep -c "starts a store copy" "$work/B/logs/debug.log" || true)
echo "store copies: replica side $copies_b (debug.log), upstream side storeCopiesServed $served"
[ "$copies_b" = 0 ] && [ "$served" = 0 ] || fail "the replica caught up by a store copy (replica $copies_b, upstream $served)"
grep -q "needs a store copy" "$work/B/logs/debug.log" && fail "the replica said it needs a store copy"
pass "the replica caught up from the log to tx $tx after $((tx - tx1)) transactions: 0 store copies"
positive() { [ -n "$1" ] && [ "$1" != "NULL" ] && awk -v v="$1" 'BEGIN { exit !(v + 0 > 0) }'; }
replica_window() { positive "$(metric B "*foo-replica.ccdr.replica.catch_up_window_seconds.csv")"; }
eventually --tries 300 replica_window || fail "the replica reports no catch-up window (HOLD_STATUS)"
column=$(q A -d system "CALL internal.dbms.showReplicaSubscriptions('foo') YIELD catchUpWindowSeconds RETURN catchUpWindowSeconds" | tail -1)
positive "$column" || fail "showReplicaSubscriptions' catchUpWindowSeconds is $column"
pass "catch-up window: replica metric $(metric B "*foo-replica.ccdr.replica.catch_up_window_seconds.csv") s, upstream metric $(metric A "$window_glob") s, showReplicaSubscriptions $column s"

# --- 2. past the cap: released, pruning wins, a store copy said beforehand ---------
tx2=$(last_tx B foo-replica min)
eventually --tries 300 hold_at "$tx2" || fail "A's hold did not follow the replica to tx $tx2"
stop_cluster B
released() {
  local v
  v=$(metric A "$window_glob")
  [ -n "$v" ] && awk -v v="$v" 'BEGIN { exit !(v + 0 == 0) }'
}
writes 150 2000
eventually --tries 300 released || fail "the catch-up window did not reach 0 (now $(metric A "$window_glob"))"
windows=$(metric_history A "$window_glob" | tr '\n' ' ')
grep -q "reached its cap: the log from tx $((tx2 + 1)) is .* more than ccdr.upstream.replica_log_hold.max_size" \
  "$work/A/logs/debug.log" || fail "A did not log the release"
pass "the catch-up window reached 0 and A released the hold: $(grep -o 'reached its cap: .*' "$work/A/logs/debug.log" | tail -1)"
echo "catch-up window samples (s): $windows"

# Disk safety: the replica never came back; the log is back to the retention, within the cap.
pruned_to_retention() {
  read -r oldest last count bytes < <(a_log summary)
  [ "$count" = 100 ]
}
eventually --tries 300 pruned_to_retention || fail "A's log did not shrink to its retention: $count txs"
((bytes <= cap)) || fail "A's log is $bytes bytes, more than the cap ($cap)"
((oldest > tx2 + 1)) || fail "A still holds the log from tx $oldest for the replica at tx $tx2"
max_held=$(metric_history A "$held_glob" | sort -g | tail -1)
(($(printf '%.0f' "$max_held") <= cap)) || fail "the hold kept $max_held bytes, more than the cap ($cap)"
pass "A's log: $count txs ($oldest..$last), $bytes bytes <= cap $cap; the most log ever held for the replica: $max_held bytes"

start_cluster B
tx=$(wait_converged A foo B foo-replica)
needs=$(grep -n "needs a store copy" "$work/B/logs/debug.log" | head -1)
starts=$(grep -n "starts a store copy" "$work/B/logs/debug.log" | head -1)
[ -n "$needs" ] || fail "the replica did not say it needs a store copy"
[ -n "$starts" ] || fail "the replica did no store copy"
((${needs%%:*} < ${starts%%:*})) || fail "the replica said it needs a store copy only after starting it"
echo "${needs#*:}"
served=$(copies_served)
copies_b=$(grep -c "starts a store copy" "$work/B/logs/debug.log" || true)
echo "store copies: replica side $copies_b (debug.log), upstream side storeCopiesServed $served"
[ "$copies_b" = 1 ] && [ "$served" = 1 ] || fail "expected one store copy (replica $copies_b, upstream $served)"
pass "the replica said it needs a store copy, then did one, and converged at tx $tx"

# --- 3. the replica database is dropped: its hold ends at once ----------------------
holds_file=$(find "$work/A/data" -name replica_log_holds.tsv | head -1)
eventually --tries 300 grep -q "foo-replica" "$holds_file" || fail "no hold for the replica after its store copy"
q B -d system "DROP DATABASE \`foo-replica\`" >/dev/null
eventually --tries 300 grep -q "replica database 'foo-replica' of cluster .* was dropped: 1 log hold(s) of 'foo' ended" \
  "$work/A/logs/debug.log" || fail "A did not end the hold of the dropped replica"
grep -q "foo-replica" "$holds_file" && fail "the hold is still in $holds_file"
eventually --tries 300 grep -q "replica database 'foo-replica' dropped: told .*: 1 log hold(s) ended" \
  "$work/B/logs/debug.log" || fail "B did not log what A answered to HOLD_RELEASE"
pass "DROP DATABASE on B ended A's hold: $(grep -o "dropped: told .*" "$work/B/logs/debug.log" | tail -1)"

# --- 4. dropped while the upstream is down: told on the next contact ---------------
# B owes A the release (saved in B's data directory) across B's own restart,
# and tells A once A answers again.
q B -d system "CALL internal.dbms.createReplicaDatabase('bar-replica', 1, 0, {remote: 'foo', addresses: [$A_addrs]})" >/dev/null
wait_converged A foo B bar-replica >/dev/null
eventually --tries 300 grep -q "bar-replica" "$holds_file" || fail "no hold for bar-replica"
stop_cluster A
q B -d system "DROP DATABASE \`bar-replica\`" >/dev/null
eventually --tries 300 grep -q "replica database 'bar-replica' dropped: cannot tell .* yet" "$work/B/logs/debug.log" ||
  fail "B did not say it could not tell A yet"
owed_file=$(find "$work/B/data" -name pending_hold_releases.tsv | head -1)
grep -q "^bar-replica" "$owed_file" || fail "the owed release is not in B's $owed_file"
stop_cluster B
grep -q "bar-replica" "$holds_file" || fail "A lost its hold for bar-replica while down"
start_cluster A
start_cluster B
eventually --tries 300 grep -q "replica database 'bar-replica' of cluster .* was dropped: 1 log hold(s) of 'foo' ended" \
  "$work/A/logs/debug.log" || fail "A did not end the hold of bar-replica, dropped while it was down"
grep -q "bar-replica" "$holds_file" && fail "the hold of bar-replica is still in $holds_file"
eventually --tries 300 grep -q "replica database 'bar-replica' dropped: told .*: 1 log hold(s) ended" \
  "$work/B/logs/debug.log" || fail "B did not log what A answered"
eventually --tries 300 bash -c "! grep -q bar-replica '$owed_file'" || fail "B still owes the release"
pass "dropped while A was down, told after both restarted: $(grep -o "'bar-replica' dropped: cannot tell [^;]*" "$work/B/logs/debug.log" | head -1) ... $(grep -o "'bar-replica' dropped: told .*" "$work/B/logs/debug.log" | tail -1)"
echo "$checks passed, 0 failed"

#!/usr/bin/env bash
# Crash rounds between two refhost clusters under a steady write load:
#   phase 1: REPLICA_ROUNDS x kill -9 of the replica cluster B at a random
#            moment, alternately while streaming and while catching up right
#            after a restart;
#   phase 2: UPSTREAM_ROUNDS x kill -9 of the upstream cluster A at a random
#            moment, every other round while a new replica is in its store
#            copy (A keeps only 100 transactions of log, so a new replica
#            needs one).
# After every round: the writer is paused, both sides converge, and
# internal.dbms.verifyReplicaDatabase must report every member equal to the
# upstream at the same tx id; the replica's lastCommittedTxn equals the
# upstream's on every member and its :Event count equals the upstream's
# (nothing lost, nothing applied twice).
#   crash_rounds.sh BUILD_DIR [REPLICA_ROUNDS [UPSTREAM_ROUNDS]]
build="$(realpath "${1:?usage: crash_rounds.sh BUILD_DIR [REPLICA_ROUNDS [UPSTREAM_ROUNDS]]}")"
replica_rounds="${2:-5}"
upstream_rounds="${3:-3}"
source "$(dirname "$0")/lib.sh"

"$dr/gen-certs.sh" "$work/certs" A B >/dev/null
make_cluster A 1 "$work/certs/A/cluster" --set "db.tx_log.rotation.retention_policy=100 txs"
make_cluster B 2 "$work/certs/B/cluster" --set "ccdr.backoff.max=500ms" --set "ccdr.io.timeout=5s" \
  --set "ccdr.connect.timeout=2s"
start_cluster A
start_cluster B
q A -d system "CREATE DATABASE foo WAIT" >/dev/null
q A -d foo "UNWIND range(1, 2000) AS i CREATE (:Item {id: i, pad: 'abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz0123456789'})" >/dev/null
q B -d system "CALL internal.dbms.createReplicaDatabase('foo-replica', 1, 1, {remote: 'foo', addresses: [$A_addrs]})" >/dev/null

# The writer: single-node transactions, one after the other, until stopped.
seq_next=1
writer_pid=""
start_writer() {
  local from=$seq_next
  seq_next=$((seq_next + 200000))
  for ((i = from; i < from + 200000; i++)); do echo "CREATE (:Event {seq: $i});"; done >"$work/writer.cypher"
  "$shell_bin" -a "bolt://127.0.0.1:$A_bolt" -u neo4j -p "$password" -d foo --format plain \
    -f "$work/writer.cypher" >/dev/null 2>&1 &
  writer_pid=$!
}
stop_writer() { [ -n "$writer_pid" ] && { kill -KILL "$writer_pid" 2>/dev/null || true; wait "$writer_pid" 2>/dev/null || true; }; writer_pid=""; }
rand_ms() { python3 -c "import random; print(random.randint($1, $2) / 1000)"; }

reconnects_total=0
check_round() {  # check_round LABEL DB
  local label="$1" db="$2"
  kill -STOP "$writer_pid" 2>/dev/null || true
  local tx
  tx=$(wait_converged A foo B "$db" 1200)
  local rows
  rows=$(verify_rows B "$db")
  echo "$rows" | awk -v tx="$tx" 'NF < 2 || $1 != tx || $2 != "TRUE" { bad = 1 } END { exit bad || NR == 0 }' ||
    fail "$label: fingerprints differ or not at tx $tx: $rows"
  local up_events rep_events
  up_events=$(q A -d foo "MATCH (e:Event) RETURN count(e) AS c" | tail -1)
  rep_events=$(q B -d "$db" --access-mode read "MATCH (e:Event) RETURN count(e) AS c" | tail -1)
  [ "$up_events" = "$rep_events" ] || fail "$label: upstream has $up_events events, replica $rep_events"
  [ "$(last_tx B "$db" max)" = "$tx" ] || fail "$label: members of $db disagree on the last tx"
  kill -CONT "$writer_pid" 2>/dev/null || true
  pass "$label: every member of $db equals the upstream at tx $tx ($up_events events)"
}

start_writer
started=$(date +%s)
for ((r = 1; r <= replica_rounds; r++)); do
  if ((r % 2 == 1)); then
    sleep "$(rand_ms 500 2500)"  # streaming
    phase=streaming
  else
    stop_cluster_b_at=$(rand_ms 0 400)  # just after a restart: catching up
    phase=catch-up
  fi
  kill9_cluster B
  sleep "$(rand_ms 100 1500)"  # A keeps committing meanwhile
  start_cluster B
  if [ "$phase" = catch-up ]; then
    sleep "$stop_cluster_b_at"
    kill9_cluster B
    start_cluster B
  fi
  check_round "replica round $r ($phase)" foo-replica
done
replica_seconds=$(($(date +%s) - started))

started=$(date +%s)
copies=0
for ((r = 1; r <= upstream_rounds; r++)); do
  if ((r % 2 == 0)); then
    # A new replica needs a store copy (A's log holds 100 txs); kill A during it.
    copies=$((copies + 1))
    q B -d system "CALL internal.dbms.createReplicaDatabase('copy$copies', 1, 1, {remote: 'foo', addresses: [$A_addrs]})" >/dev/null
    sleep "$(rand_ms 0 300)"
    phase="store copy of copy$copies"
  else
    sleep "$(rand_ms 500 2500)"
    phase=streaming
  fi
  kill9_cluster A
  stop_writer
  sleep "$(rand_ms 100 1500)"
  start_cluster A
  start_writer
  check_round "upstream round $r ($phase)" foo-replica
  if ((r % 2 == 0)); then
    check_round "upstream round $r (copy$copies after the store copy)" "copy$copies"
  fi
done
upstream_seconds=$(($(date +%s) - started))
stop_writer

sleep 1.5  # the last CSV interval
for name in reconnects store_copies checksum_failures; do
  total=0
  for f in $(find "$work/B/metrics" -name "*ccdr.replica.$name.csv" 2>/dev/null); do
    v=$(tail -1 "$f" | cut -d, -f2)
    total=$(python3 -c "print(int($total + float('$v')))")
  done
  echo "figure: replica members' $name (all members, since their last start) = $total"
done
echo "figure: $replica_rounds replica rounds in $replica_seconds s, $upstream_rounds upstream rounds ($copies during a store copy) in $upstream_seconds s"
echo "$checks passed, 0 failed"

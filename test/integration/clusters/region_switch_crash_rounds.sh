#!/usr/bin/env bash
# Crash rounds of the region switch (issue 15): kill -9 of either cluster's
# process at a random moment during a planned switchover, and during a
# re-attach after a failover; restart it, let the operator's recovery run
# (decided from the state found, as docs/operations.md says), and check:
#   - each database is in the old configuration or the new one (switchover:
#     foo standard and the other a replica following it, or the reverse;
#     re-attach: the old database still standard (maybe fenced) or a replica
#     of the promoted one);
#   - never two writable (standard, read-write) databases of one lineage
#     (the same store id): for the switchover right after the restart, for
#     the re-attach once its recovery has run (before it, the failover
#     itself leaves two);
#   - never an acknowledged transaction lost: clients write known keys
#     through every round (keyed_writer.js); every acknowledged key is on
#     the database that ends up the writer, or, for a failover's lost tail
#     and writes the old database took after it, in a lost-transactions
#     file of its cluster (and not in its store);
#   - the replica then converges: verifyReplicaDatabase equal on every member.
# Recoveries: "none" (the call finished, or never started), "unfence"
# (ALTER DATABASE ... SET ACCESS READ WRITE: fenced, not promoted),
# "reattach" (promoted, the old upstream fenced but not demoted:
# reattachAsReplica), "rerun reattach" (the re-attach did not happen).
#   region_switch_crash_rounds.sh BUILD_DIR [SWITCHOVER_ROUNDS [REATTACH_ROUNDS [SEED]]]
build="$(realpath "${1:?usage: region_switch_crash_rounds.sh BUILD_DIR [SWITCHOVER_ROUNDS [REATTACH_ROUNDS [SEED]]]}")"
switch_rounds="${2:-3}"
reattach_rounds="${3:-3}"
seed="${4:-$(date +%s)}"
source "$(dirname "$0")/lib.sh"
here="$(cd "$(dirname "$0")" && pwd)"
node_bin="${CCDR_NODE:-node}"
command -v "$node_bin" >/dev/null || { echo "node is needed for the writers (keyed_writer.js)"; exit 77; }
echo "seed $seed (rerun with: region_switch_crash_rounds.sh BUILD_DIR $switch_rounds $reattach_rounds $seed)"

"$dr/gen-certs.sh" "$work/certs" A B >/dev/null
for c in A B; do
  make_cluster "$c" 2 "$work/certs/$c/cluster" --set "ccdr.backoff.max=500ms" --set "ccdr.io.timeout=5s" \
    --set "ccdr.connect.timeout=2s"
done
declare -A db=([A]=foo [B]=foo-replica)
declare -A other=([A]=B [B]=A)
start_cluster A
start_cluster B
q A -d system "CREATE DATABASE foo TOPOLOGY 2 PRIMARIES WAIT" >/dev/null
q A -d foo "UNWIND range(1, 500) AS i CREATE (:Seed {i: i})" >/dev/null
q B -d system "CALL internal.dbms.createReplicaDatabase('foo-replica', 2, 0, {remote: 'foo', addresses: [$A_addrs]})" >/dev/null
wait_converged A foo B foo-replica >/dev/null
writer=A  # the cluster whose database is the writer

# The random moments span a whole call: one switchover there and back,
# uncut, measures it first (shell start included, as in the rounds); then
# the last call that returned before its kill sets the span.
now_ms() { echo $(($(date +%s%N) / 1000000)); }
call_ms=0
for c in B A; do
  t0=$(now_ms)
  q "$c" -d system "CALL internal.dbms.switchoverReplicaDatabase('${db[$c]}') YIELD upstreamIsReplica RETURN upstreamIsReplica" |
    tail -1 | grep -qx TRUE || fail "the calibration switchover to $c did not complete"
  t=$(($(now_ms) - t0))
  ((t > call_ms)) && call_ms=$t
done
((call_ms >= 300)) || call_ms=300
echo "figure: an uncut switchover call took up to $call_ms ms here: the first kills fall 0..$call_ms ms after the call starts"

addrs_of() { local v="${1}_addrs"; echo "${!v}"; }
target_of() { local v="${1}_bolt"; echo "neo4j://127.0.0.1:${!v}/${db[$1]}"; }

# The writers: node clients with known keys (keyed_writer.js); every
# acknowledged key lands in $work/acked.
writer_pids=()
start_writers() {  # start_writers NAME CLIENTS CLUSTER...
  local name="$1" clients="$2" targets=() c
  shift 2
  for c in "$@"; do targets+=("$(target_of "$c")"); done
  "$node_bin" "$here/keyed_writer.js" "$name" "$clients" "$work/acked" "$password" "${targets[@]}" \
    >>"$work/writers.out" 2>&1 &
  writer_pids+=($!)
}
acked_lines() { { wc -l <"$work/$1"; } 2>/dev/null || echo 0; }
# wait_acks FILE N: until N more writes than now are acknowledged in FILE.
wait_acks() {
  local target=$(($(acked_lines "$1") + $2))
  at_least() { (($(acked_lines "$1") >= $2)); }
  eventually --tries 600 at_least "$1" "$target" || fail "the writers got no write acknowledged ($1)"
}
stop_writers() {
  local p
  for p in "${writer_pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${writer_pids[@]}"; do
    eventually --tries 150 gone "$p" || kill -KILL "$p" 2>/dev/null || true
    wait "$p" 2>/dev/null || true
  done
  writer_pids=()
}

# state C: "type/access" of C's database, one word when every member agrees.
state() {
  local rows
  rows=$(q "$1" -d system "SHOW DATABASE \`${db[$1]}\` YIELD type, access RETURN type + '/' + access AS s" |
    tail -n +2 | tr -d '"' | sort -u)
  [ -n "$rows" ] || rows="absent"
  echo "$rows" | paste -sd'|'
}
store_id() {
  q "$1" -d system "SHOW DATABASE \`${db[$1]}\` YIELD store RETURN DISTINCT store" | tail -n +2 | tr -d '"' | paste -sd'|'
}
writable() { [ "$(state "$1")" = "standard/read-write" ]; }

# never_two_writable LABEL: not both databases standard and read-write while
# they share a store id (one lineage).
never_two_writable() {
  if writable A && writable B && [ "$(store_id A)" = "$(store_id B)" ]; then
    fail "$1: two writable databases of one lineage (store $(store_id A)): A $(state A), B $(state B)"
  fi
}

# settled LABEL: W's database is the writer, the other a replica following it
# on every member, verifyReplicaDatabase equal; every acknowledged key (the
# file $work/acked) is on the writer.
settled() {
  local label="$1" w="$writer" r="${other[$writer]}"
  [ "$(state "$w")" = "standard/read-write" ] || fail "$label: $w's ${db[$w]} is $(state "$w"), not the writer"
  [ "$(state "$r")" = "replica/read-only" ] || fail "$label: $r's ${db[$r]} is $(state "$r"), not a replica"
  never_two_writable "$label"
  local tx rows
  tx=$(wait_converged "$w" "${db[$w]}" "$r" "${db[$r]}" 1200)
  rows=$(verify_rows "$r" "${db[$r]}")
  echo "$rows" | awk -v tx="$tx" 'NF < 2 || $1 != tx || $2 != "TRUE" { bad = 1 } END { exit bad || NR == 0 }' ||
    fail "$label: fingerprints differ or not at tx $tx: $rows"
  q "$w" -d "${db[$w]}" "MATCH (k:K) RETURN k.key AS key" | tail -n +2 | tr -d '"' | sort >"$work/present"
  local on_replica
  on_replica=$(q "$r" -d "${db[$r]}" --access-mode read "MATCH (k:K) RETURN count(k) AS n" | tail -1)
  [ "$on_replica" = "$(wc -l <"$work/present")" ] ||
    fail "$label: the replica has $on_replica keys, the writer $(wc -l <"$work/present")"
  cut -d' ' -f1 "$work/acked" | sort -u >"$work/acked.keys"
  local missing
  missing=$(comm -23 "$work/acked.keys" "$work/present" | head -5)
  [ -z "$missing" ] || fail "$label: acknowledged keys missing on $w's ${db[$w]}: $missing"
  echo "   settled: $w's ${db[$w]} writer at tx $tx, $(wc -l <"$work/acked.keys") acknowledged keys all there," \
    "$r's ${db[$r]} equal on every member"
}

log_lines() { wc -l <"$work/$1/logs/debug.log" 2>/dev/null || echo 0; }
# last_step C FROM PATTERN: the last line of C's debug.log after line FROM
# matching PATTERN, shortened to what it says.
last_step() {
  { tail -n "+$(($2 + 1))" "$work/$1/logs/debug.log" 2>/dev/null | grep -E "$3" || true; } | tail -1 |
    sed -E 's/^.*\] //' | cut -c1-110
}

# pick_victim ROUND W R: the writer's cluster in rounds 1, 0 (mod 4), the
# replica's in rounds 2, 3: as the writer moves, both clusters are killed in
# both roles, and any two rounds kill both roles.
pick_victim() { if (($1 % 4 < 2)); then echo "$2"; else echo "$3"; fi; }
declare -A recovered=()
count_recovery() { recovered["$1"]=$((${recovered["$1"]:-0} + 1)); }
RANDOM=$seed

# --- switchover rounds -----------------------------------------------------
switch_started=$(date +%s)
for ((round = 1; round <= switch_rounds; round++)); do
  w="$writer"
  r="${other[$w]}"
  delay=$((RANDOM % (call_ms + 1)))
  victim=$(pick_victim "$round" "$w" "$r")
  from_w=$(log_lines "$w")
  from_r=$(log_lines "$r")
  start_writers "s$round" 4 "$w" "$r"
  wait_acks acked 20
  call_started=$(now_ms)
  rm -f "$work/call.end"
  {
    timeout 150 "$shell_bin" -a "bolt://127.0.0.1:$(v="${r}_bolt"; echo "${!v}")" -u neo4j -p "$password" \
      --format plain -d system "CALL internal.dbms.switchoverReplicaDatabase('${db[$r]}')" >"$work/call.out" 2>&1 &&
      now_ms >"$work/call.end"
  } &
  call_pid=$!
  sleep "$(printf '%d.%03d' $((delay / 1000)) $((delay % 1000)))"
  kill9_cluster "$victim"
  call_rc=0
  wait "$call_pid" || call_rc=$?
  returned=""
  if [ -s "$work/call.end" ]; then  # it finished before the kill: the next rounds' span
    call_ms=$(($(cat "$work/call.end") - call_started))
    returned=" (the call returned after $call_ms ms, before the kill)"
  fi
  start_cluster "$victim"
  step_w=$(last_step "$w" "$from_w" "fenced \(read-only\) at the request|is now a replica of|writable again|ended before its next step")
  step_r=$(last_step "$r" "$from_r" "switchover of")
  sw="$(state "$w")"
  sr="$(state "$r")"
  label="switchover round $round ($w->$r, seed $seed, kill -9 of $victim after ${delay} ms)"
  echo "$label: call rc $call_rc$returned: $(tail -1 "$work/call.out" | cut -c1-160)"
  echo "   log of $w: ${step_w:-nothing of the switchover}"
  echo "   log of $r: ${step_r:-nothing of the switchover}"
  echo "   found: $w's ${db[$w]} $sw, $r's ${db[$r]} $sr"
  never_two_writable "$label (after the restart)"
  case "$sw,$sr" in
    standard/read-write,replica/read-only)
      recovery=none ;;
    standard/read-only,replica/read-only)
      recovery=unfence
      q "$w" -d system "ALTER DATABASE \`${db[$w]}\` SET ACCESS READ WRITE" >/dev/null ;;
    replica/read-only,standard/read-write)
      recovery=none
      writer="$r" ;;
    standard/read-only,standard/read-write)
      recovery=reattach
      q "$w" -d system "CALL internal.dbms.reattachAsReplica('${db[$w]}', {remote: '${db[$r]}', addresses: [$(addrs_of "$r")]}) YIELD lostTransactions RETURN lostTransactions" |
        tail -1 | grep -qx 0 || fail "$label: the re-attach after a switchover undid transactions"
      writer="$r" ;;
    *)
      fail "$label: neither the old configuration nor the new one: $w's ${db[$w]} $sw, $r's ${db[$r]} $sr" ;;
  esac
  count_recovery "switchover: $recovery"
  echo "   recovery: $recovery"
  eventually --tries 300 writable "$writer" || fail "$label: $writer's ${db[$writer]} did not become writable"
  stop_writers
  settled "$label"
  pass "$label: $( [ "$writer" = "$w" ] && echo "old configuration" || echo "new configuration"), recovery $recovery"
done
switch_seconds=$(($(date +%s) - switch_started))

# --- re-attach rounds ------------------------------------------------------
# Each round is a failover from the writer W to the replica R with a lost
# tail: R's cluster dies, W commits TAIL transactions, W's cluster dies, R's
# comes back and is promoted, clients write to it (and one stray client to
# W's old database once it is back), then W's cluster re-attaches its
# database while one of the two is killed.
tail_n=5
lost_files() { find "$work/$1" -path '*lost-transactions/*.jsonl' | wc -l; }
reattach_ms=$((call_ms * 2))  # until an uncut re-attach has been measured
reattach_measured=0
measured_reattach() {  # measured_reattach MS: the last uncut call sets the span (the log grows)
  reattach_ms=$1
  reattach_measured=1
}
reattach_started=$(date +%s)
: >"$work/lost.keys"
for ((round = 1; round <= reattach_rounds; round++)); do
  w="$writer"
  r="${other[$w]}"
  delay=$((RANDOM % (reattach_ms + 1)))
  victim=$(pick_victim "$round" "$w" "$r")
  label="re-attach round $round ($w's ${db[$w]} to $r's ${db[$r]}, seed $seed, kill -9 of $victim after ${delay} ms)"
  kill9_cluster "$r"
  for ((i = 1; i <= tail_n; i++)); do echo "CREATE (:K {key: 't$round-$i'});"; done >"$work/tail.cypher"
  q "$w" -d "${db[$w]}" -f "$work/tail.cypher" >/dev/null
  for ((i = 1; i <= tail_n; i++)); do echo "t$round-$i"; done >>"$work/lost.keys"
  kill9_cluster "$w"
  start_cluster "$r"
  q "$r" -d system "CALL internal.dbms.promoteReplicaDatabase('${db[$r]}')" >/dev/null
  eventually --tries 300 writable "$r" || fail "$label: $r's ${db[$r]} not writable after its promotion"
  start_writers "ra$round" 3 "$r"
  start_cluster "$w"
  # A client left pointed at the old writer: what it gets acknowledged there
  # is lost by design, and must be in the lost-transactions file.
  : >"$work/acked.stray"
  "$node_bin" "$here/keyed_writer.js" "st$round" 1 "$work/acked.stray" "$password" "$(target_of "$w")" \
    >>"$work/writers.out" 2>&1 &
  writer_pids+=($!)
  wait_acks acked 20
  from_w=$(log_lines "$w")
  files_before=$(lost_files "$w")
  call_started=$(now_ms)
  rm -f "$work/call.end"
  {
    timeout 150 "$shell_bin" -a "bolt://127.0.0.1:$(v="${w}_bolt"; echo "${!v}")" -u neo4j -p "$password" \
      --format plain -d system \
      "CALL internal.dbms.reattachAsReplica('${db[$w]}', {remote: '${db[$r]}', addresses: [$(addrs_of "$r")]}) YIELD sharedTx, lostTransactions RETURN sharedTx, lostTransactions" \
      >"$work/call.out" 2>&1 && now_ms >"$work/call.end"
  } &
  call_pid=$!
  sleep "$(printf '%d.%03d' $((delay / 1000)) $((delay % 1000)))"
  kill9_cluster "$victim"
  call_rc=0
  wait "$call_pid" || call_rc=$?
  returned=""
  if [ -s "$work/call.end" ]; then  # it finished before the kill: its length, uncut
    t=$(($(cat "$work/call.end") - call_started))
    returned="; the call returned after $t ms, before the kill"
    measured_reattach "$t"
  fi
  start_cluster "$victim"
  step_w=$(last_step "$w" "$from_w" "making '.*' a replica|is now a replica of|re-attached|fenced")
  sw="$(state "$w")"
  sr="$(state "$r")"
  echo "$label: call rc $call_rc: $(tail -1 "$work/call.out" | cut -c1-160)"
  echo "   log of $w: ${step_w:-nothing of the re-attach}$returned"
  echo "   lost-transactions files of $w: $(lost_files "$w") (before the call: $files_before)"
  echo "   found: $w's ${db[$w]} $sw, $r's ${db[$r]} $sr"
  [ "$sr" = "standard/read-write" ] || fail "$label: the promoted ${db[$r]} is $sr"
  case "$sw" in
    replica/read-only) recovery=none ;;
    standard/read-write | standard/read-only)
      recovery="rerun reattach"
      t0=$(now_ms)
      q "$w" -d system "CALL internal.dbms.reattachAsReplica('${db[$w]}', {remote: '${db[$r]}', addresses: [$(addrs_of "$r")]})" >/dev/null
      measured_reattach $(($(now_ms) - t0)) ;;
    *) fail "$label: neither the old configuration nor the new one: $w's ${db[$w]} $sw" ;;
  esac
  count_recovery "re-attach: $recovery"
  echo "   recovery: $recovery"
  writer="$r"
  stop_writers
  settled "$label"
  # The lost tail and the stray writes: in a lost-transactions file of W's
  # cluster, not in its store.
  cut -d' ' -f1 "$work/acked.stray" >>"$work/lost.keys"
  python3 - "$work/lost.keys" "$work/$w" <<'PY' || fail "$label: acknowledged writes of the old writer are in no lost-transactions file"
import pathlib, sys
keys = [k for k in pathlib.Path(sys.argv[1]).read_text().split() if k]
text = "".join(p.read_text() for p in pathlib.Path(sys.argv[2]).rglob("lost-transactions/*.jsonl"))
missing = [k for k in keys if '"%s"' % k not in text]
if missing:
    print("not in any lost-transactions file:", missing[:10], file=sys.stderr)
    sys.exit(1)
PY
  q "$w" -d "${db[$w]}" --access-mode read "MATCH (k:K) RETURN k.key AS key" | tail -n +2 | tr -d '"' | sort >"$work/on_old"
  still=$(sort -u "$work/lost.keys" | comm -12 - "$work/on_old" | head -3)
  [ -z "$still" ] || fail "$label: undone keys still in $w's ${db[$w]}: $still"
  pass "$label: recovery $recovery; $(wc -l <"$work/acked.stray") stray and $tail_n tail writes in the lost-transactions file"
  : >"$work/lost.keys"
done
reattach_seconds=$(($(date +%s) - reattach_started))

for k in "${!recovered[@]}"; do echo "figure: recovery $k = ${recovered[$k]}"; done | sort
echo "figure: the last uncut calls took: switchover $call_ms ms, re-attach $reattach_ms ms (the spans of the kills)"
echo "figure: $switch_rounds switchover rounds in $switch_seconds s, $reattach_rounds re-attach rounds in $reattach_seconds s"
echo "$checks passed, 0 failed"

#!/usr/bin/env bash
# internal.dbms.verifyReplicaDatabase between two refhost clusters over mutual
# TLS: every member matches after replication; after one member's SQLite file
# is altered (sqlite3, cluster stopped), that member — and only it — is a
# mismatch, counted in the metrics and logged.
#   verify_refhost.sh BUILD_DIR
build="$(realpath "${1:?usage: verify_refhost.sh BUILD_DIR}")"
source "$(dirname "$0")/lib.sh"

"$dr/gen-certs.sh" "$work/certs" A B >/dev/null
make_cluster A 1 "$work/certs/A/cluster"
make_cluster B 2 "$work/certs/B/cluster"
start_cluster A
start_cluster B

q A -d system "CREATE DATABASE foo WAIT" >/dev/null
q A -d foo "UNWIND range(1, 300) AS i CREATE (:Item {id: i, name: 'item ' + toString(i)})" >/dev/null
for i in $(seq 1 20); do echo "CREATE (:Event {seq: $i});"; done >"$work/events.cypher"
q A -d foo -f "$work/events.cypher" >/dev/null
q B -d system "CALL internal.dbms.createReplicaDatabase('foo-replica', 1, 1, {remote: 'foo', addresses: [$A_addrs]})" >/dev/null
tx=$(wait_converged A foo B foo-replica)

rows=$(verify_rows B foo-replica)
echo "$rows"
[ "$(echo "$rows" | wc -l)" = 2 ] || fail "expected one row per member (2), got: $rows"
echo "$rows" | awk -v tx="$tx" '$1 != tx || $2 != "TRUE" { bad = 1 } END { exit bad }' ||
  fail "every member must match at tx $tx: $rows"
pass "both members match the upstream at tx $tx"
grep -q "verifyReplicaDatabase('foo-replica'): member on .* matches the upstream at tx $tx" "$work/B/logs/debug.log" ||
  fail "no match line in B's debug.log"
pass "the match is logged"

# Alter one member's store behind the host's back, while B is stopped.
stop_cluster B
member_dir=$(find "$work/B/data" -type d -path "*databases/foo-replica" | sort | head -1)
[ -n "$member_dir" ] || fail "no member directory of foo-replica under $work/B/data"
store="$member_dir/$(cat "$member_dir/CURRENT")"
# The first labelled node loses its label: from its row and from the label
# index (store format 2, docs/refhost.md).
sqlite3 "$store" "BEGIN; UPDATE nodes SET labels = x'' WHERE id = (SELECT min(node) FROM nodes_by_label);
  DELETE FROM nodes_by_label WHERE node = (SELECT min(node) FROM nodes_by_label); COMMIT;"
damaged_server=$(basename "$(dirname "$(dirname "$member_dir")")")
start_cluster B
wait_converged A foo B foo-replica >/dev/null

rows=$(verify_rows B foo-replica)
echo "$rows"
mismatches=$(echo "$rows" | awk '$2 == "FALSE"' | wc -l)
matches=$(echo "$rows" | awk '$2 == "TRUE"' | wc -l)
[ "$mismatches" = 1 ] && [ "$matches" = 1 ] || fail "expected one mismatch and one match: $rows"
pass "the altered member ($damaged_server) is a mismatch, the other still matches"
grep -q "MISMATCH on .* at tx $tx" "$work/B/logs/debug.log" || fail "no MISMATCH line in B's debug.log"
pass "the mismatch is logged with the tx"
mismatches_counted() {  # the CSV files of ccdr.verify.mismatches add up to at least 1 (sum in total)
  total=0
  local f v
  for f in $(find "$work/B/metrics" -name "*foo-replica.ccdr.verify.mismatches*.csv"); do
    v=$(tail -1 "$f" | cut -d, -f2)
    [ -n "$v" ] || continue
    total=$(python3 -c "print(int($total + float('$v')))")
  done
  [ "$total" -ge 1 ]
}
# Written once per CSV interval (1 s here).
eventually --tries 100 mismatches_counted || fail "the metric ccdr.verify.mismatches did not count it"
pass "metric database.foo-replica.ccdr.verify.mismatches = $total"

# Verification changes nothing: the upstream and the replica are where they were.
[ "$(last_tx A foo max)" = "$tx" ] || fail "the upstream moved"
[ "$(last_tx B foo-replica min)" = "$tx" ] || fail "the replica moved"
pass "nothing changed"
echo "$checks passed, 0 failed"

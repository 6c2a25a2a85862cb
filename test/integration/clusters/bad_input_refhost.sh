#!/usr/bin/env bash
# Bad input against running refhost clusters, table-driven; each case gets
# its clear error and changes nothing:
#   1. bad settings: each refused at start, naming key, value and reason;
#   2. bad procedure calls through Bolt (ccdr-shell) to the internal.dbms.*
#      procedures;
#   3. malformed and oversize frames against the replication listener
#      (connection closed, error logged, listener keeps serving);
#   4. a replica whose upstream changed lineage (dropped and re-created);
#   5. an upstream that disappears during createReplicaDatabase (SIGSTOP:
#      the TCP connection is accepted but never answered; then kill -9).
#   bad_input_refhost.sh BUILD_DIR
build="$(realpath "${1:?usage: bad_input_refhost.sh BUILD_DIR}")"
source "$(dirname "$0")/lib.sh"
here="$(cd "$(dirname "$0")" && pwd)"

# ---- 1. bad settings ---------------------------------------------------------
"$dr/gen-certs.sh" "$work/certs" A B >/dev/null
settings_case() {  # settings_case LINE REASON
  local line="$1" reason="$2" key="${1%%=*}" value="${1#*=}" home="$work/s"
  rm -rf "$home"
  "$dr/make-home.sh" "$home" --servers 1 --bolt-port "$(free_base 1)" --cluster-port "$(free_base 1)" \
    --certs "$work/certs/A/cluster" --plugin "$plugin" --set "$line" >/dev/null
  local rc=0
  timeout 30 "$refhost" --home "$home" >"$work/s.out" 2>&1 || rc=$?
  [ "$rc" = 1 ] || { cat "$work/s.out" >&2; fail "'$line': exit code $rc, expected 1"; }
  grep -qF "$key='$value'" "$work/s.out" || { cat "$work/s.out" >&2; fail "'$line': key and value not named"; }
  grep -qF "$reason" "$work/s.out" || { cat "$work/s.out" >&2; fail "'$line': reason '$reason' not given"; }
  [ ! -e "$home/data/servers" ] || [ -z "$(find "$home/data/servers" -name 'graph-*.db' 2>/dev/null)" ] ||
    fail "'$line': the refused start created stores"
  pass "bad setting refused: $line ($reason)"
}
settings_case "ccdr.allow_plaintext=sometimes" "expected a boolean"
settings_case "ccdr.compression.enabled=2" "expected a boolean"
settings_case "ccdr.batch.max_bytes=0" "ccdr.batch.max_bytes"
settings_case "ccdr.batch.max_bytes=-1MiB" "expected a size"
settings_case "ccdr.window.max_unacked_bytes=tiny" "expected a size"
settings_case "ccdr.frame.max_bytes=1TiB" "ccdr.frame.max_bytes"
settings_case "ccdr.frame.max_bytes=12 apples" "expected a size"
settings_case "ccdr.snapshot.chunk_bytes=none" "expected a size"
settings_case "ccdr.snapshot.retention=whenever" "expected a duration"
settings_case "ccdr.heartbeat.interval=0s" "ccdr.heartbeat.interval"
settings_case "ccdr.connect.timeout=-5s" "ccdr.connect.timeout"
settings_case "ccdr.io.timeout=forever" "expected a duration"
settings_case "ccdr.backoff.initial=soon" "expected a duration"
settings_case "ccdr.backoff.max=1y" "ccdr.backoff.max"
settings_case "ccdr.no_such_setting=1" "no loaded plugin declares it"
settings_case "server.cluster.listen_address=127.0.0.1" "expected an address host:port"
settings_case "server.cluster.listen_address=127.0.0.1:99999" "expected an address host:port"
settings_case "dbms.ssl.policy.cluster.client_auth=MAYBE" "expected one of NONE, OPTIONAL, REQUIRE"
settings_case "dbms.ssl.policy.cluster.tls_versions=SSLv3" "unsupported TLS version"
settings_case "dbms.ssl.policy.cluster.base_directory=/nonexistent/certs" "does not exist"
settings_case "dbms.ssl.policy.cluster.private_key=missing.key" "missing.key"
settings_case "db.tx_log.rotation.retention_policy=-3 txs" "expected keep_all"
settings_case "dbms.security.auth_enabled=on-ish" "expected a boolean"

# ---- the clusters ---------------------------------------------------------------
make_cluster A 1 "$work/certs/A/cluster" --set "ccdr.io.timeout=4s"
make_cluster B 2 "$work/certs/B/cluster" --set "ccdr.io.timeout=3s" --set "ccdr.connect.timeout=2s" \
  --set "ccdr.backoff.max=500ms"
start_cluster A
start_cluster B
q A -d system "CREATE DATABASE foo WAIT" >/dev/null
q A -d foo "UNWIND range(1, 50) AS i CREATE (:Item {id: i})" >/dev/null
q B -d system "CALL internal.dbms.createReplicaDatabase('foo-replica', 1, 0, {remote: 'foo', addresses: [$A_addrs]})" >/dev/null
wait_converged A foo B foo-replica >/dev/null
dbs_before=$(q B -d system "SHOW DATABASES YIELD name RETURN name ORDER BY name" | tr '\n' ' ')

# ---- 2. bad procedure calls through Bolt ---------------------------------------------
up="{remote: 'foo', addresses: [$A_addrs]}"
call_case() {  # call_case WHAT QUERY CODE REASON
  local out
  out=$(q_fail B -d system "$2")
  echo "$out" | grep -qF "$3" || fail "$1: expected $3, got: $out"
  echo "$out" | grep -qF -- "$4" || fail "$1: expected '$4', got: $out"
  pass "bad call refused ($3): $1"
}
pcf="Neo.ClientError.Procedure.ProcedureCallFailed"
arg="Neo.ClientError.Statement"
call_case "unknown procedure" "CALL internal.dbms.createReplica('x', 1, 0, $up)" \
  "Neo.ClientError.Procedure.ProcedureNotFound" "internal.dbms.createReplica"
call_case "no arguments" "CALL internal.dbms.createReplicaDatabase()" "Neo.ClientError" "argument"
call_case "three arguments" "CALL internal.dbms.createReplicaDatabase('rep', 1, 0)" "Neo.ClientError" "argument"
call_case "name is an integer" "CALL internal.dbms.createReplicaDatabase(42, 1, 0, $up)" "Neo.ClientError" "STRING"
call_case "name is null" "CALL internal.dbms.createReplicaDatabase(null, 1, 0, $up)" "$pcf" "databaseName must be a STRING"
call_case "name too short" "CALL internal.dbms.createReplicaDatabase('ab', 1, 0, $up)" "$pcf" "3 to 63 characters"
call_case "name with underscore" "CALL internal.dbms.createReplicaDatabase('foo_rep', 1, 0, $up)" "$pcf" "'_' is not allowed"
call_case "name taken" "CALL internal.dbms.createReplicaDatabase('foo-replica', 1, 1, $up)" "$pcf" "already exists"
call_case "name is system" "CALL internal.dbms.createReplicaDatabase('system', 1, 0, $up)" "$pcf" "reserved"
call_case "negative primaries" "CALL internal.dbms.createReplicaDatabase('rep', -1, 0, $up)" "$pcf" "must not be negative"
call_case "no primary" "CALL internal.dbms.createReplicaDatabase('rep', 0, 1, $up)" "$pcf" "at least one primary"
call_case "too many primaries" "CALL internal.dbms.createReplicaDatabase('rep', 12, 0, $up)" "$pcf" "exceeds the maximum of 11"
call_case "more members than servers" "CALL internal.dbms.createReplicaDatabase('rep', 3, 0, $up)" "$pcf" "rep"
call_case "float count" "CALL internal.dbms.createReplicaDatabase('rep', 1.5, 0, $up)" "Neo.ClientError" "INTEGER"
call_case "options a string" "CALL internal.dbms.createReplicaDatabase('rep', 1, 0, 'foo')" "Neo.ClientError" "MAP"
call_case "remote missing" "CALL internal.dbms.createReplicaDatabase('rep', 1, 0, {addresses: [$A_addrs]})" "$pcf" "'remote' is missing"
call_case "remote is system" "CALL internal.dbms.createReplicaDatabase('rep', 1, 0, {remote: 'system', addresses: [$A_addrs]})" "$pcf" "system"
call_case "remote unknown upstream" "CALL internal.dbms.createReplicaDatabase('rep', 1, 0, {remote: 'nope', addresses: [$A_addrs]})" "$pcf" "'nope'"
call_case "address without port" "CALL internal.dbms.createReplicaDatabase('rep', 1, 0, {remote: 'foo', addresses: ['localhost']})" "$pcf" "not host:port"
call_case "address duplicated" "CALL internal.dbms.createReplicaDatabase('rep', 1, 0, {remote: 'foo', addresses: [$A_addrs, $A_addrs]})" "$pcf" "listed twice"
call_case "unknown option key" "CALL internal.dbms.createReplicaDatabase('rep', 1, 0, {remote: 'foo', addresses: [$A_addrs], tls: false})" "$pcf" "unknown key 'tls'"
call_case "nobody listening" "CALL internal.dbms.createReplicaDatabase('rep', 1, 0, {remote: 'foo', addresses: ['127.0.0.1:$(free_base 1)']})" "$pcf" "cannot contact the upstream cluster"
call_case "promote unknown" "CALL internal.dbms.promoteReplicaDatabase('nope')" "$pcf" "does not exist"
call_case "promote system" "CALL internal.dbms.promoteReplicaDatabase('system')" "$pcf" "not a replica"
call_case "promote a standard database" "CALL internal.dbms.promoteReplicaDatabase('neo4j')" "$pcf" "not a replica"
call_case "promote with topology of 0 primaries" "CALL internal.dbms.promoteReplicaDatabaseWithTopology('foo-replica', 0, 1)" "$pcf" "at least one primary"
call_case "promote with topology too large" "CALL internal.dbms.promoteReplicaDatabaseWithTopology('foo-replica', 5, 0)" "$pcf" "cannot use topology"
call_case "verify unknown" "CALL internal.dbms.verifyReplicaDatabase('nope')" "$pcf" "does not exist"
call_case "verify a standard database" "CALL internal.dbms.verifyReplicaDatabase('neo4j')" "$pcf" "not a replica"
call_case "verify with two arguments" "CALL internal.dbms.verifyReplicaDatabase('foo-replica', 1)" "Neo.ClientError" "argument"
dbs_after=$(q B -d system "SHOW DATABASES YIELD name RETURN name ORDER BY name" | tr '\n' ' ')
[ "$dbs_before" = "$dbs_after" ] || fail "bad calls changed the databases: '$dbs_before' -> '$dbs_after'"
[ "$(q B -d system "SHOW DATABASE foo-replica YIELD type RETURN type" | tail -1)" = '"replica"' ] ||
  [ "$(q B -d system "SHOW DATABASE foo-replica YIELD type RETURN type" | tail -1)" = 'replica' ] ||
  fail "foo-replica is no longer a replica"
pass "no bad call changed anything (databases: $dbs_after)"

# ---- 3. malformed and oversize frames ------------------------------------------------
a_cluster_addr="127.0.0.1:$A_cluster"
certs="$work/certs/B/cluster"
for kind in garbage oversize bad-type bad-magic truncated; do
  r=$(python3 "$here/frame_client.py" "$a_cluster_addr" "$kind" --cert "$certs/public.crt" --key "$certs/private.key" --wait 15)
  [ "$r" = closed ] || fail "frame '$kind': the listener did not close the connection ($r)"
  pass "frame '$kind': connection closed"
done
r=$(python3 "$here/frame_client.py" "$a_cluster_addr" hello-only --cert "$certs/public.crt" --key "$certs/private.key")
case "$r" in answered*) pass "the listener still answers a HELLO after the bad frames ($r)" ;; *) fail "listener stopped serving: $r" ;; esac
grep -q "frame header checksum\|header checksum\|bad magic\|magic" "$work/A/logs/debug.log" ||
  fail "no header error in A's debug.log"
grep -qi "unknown message type 99" "$work/A/logs/debug.log" || fail "the unknown type is not logged"
grep -Eqi "exceeds|too large|cap" "$work/A/logs/debug.log" || fail "the oversize frame is not logged"
pass "each malformed frame is logged by the upstream"
q A -d foo "UNWIND range(1, 10) AS i CREATE (:After {id: i})" >/dev/null
wait_converged A foo B foo-replica >/dev/null
pass "replication went on through the bad connections"

# ---- 4. another lineage ----------------------------------------------------------
tx_before=$(last_tx B foo-replica max)
q A -d system "DROP DATABASE foo WAIT" >/dev/null
q A -d system "CREATE DATABASE foo WAIT" >/dev/null
q A -d foo "CREATE (:NewLineage)" >/dev/null
lineage_reported() {
  msg=$(q B -d system "SHOW DATABASE foo-replica YIELD statusMessage RETURN statusMessage" | tail -1)
  echo "$msg" | grep -q "lineage mismatch"
}
eventually --tries 200 lineage_reported || fail "the replica does not report the lineage mismatch: $msg"
# The new database's tx ids run past the replica's: nothing of them may land.
for i in $(seq 1 $((tx_before + 20))); do echo "CREATE (:NewLineage {i: $i});"; done >"$work/new-lineage.cypher"
q A -d foo -f "$work/new-lineage.cypher" >/dev/null
# A witness, a new replica of the new foo on B: once it has every transaction
# of the new lineage, the old replica has had every chance to take them too.
q B -d system "CALL internal.dbms.createReplicaDatabase('foo-witness', 1, 0, $up)" >/dev/null
wait_converged A foo B foo-witness >/dev/null
[ "$(last_tx B foo-replica max)" = "$tx_before" ] ||
  fail "the replica applied another lineage's transaction: tx $tx_before -> $(last_tx B foo-replica max)"
q B -d system "DROP DATABASE \`foo-witness\` WAIT" >/dev/null
# The stream ends either way: the stop seen first ("was stopped, dropped or
# promoted"), or the periodic lineage check finding the database gone first.
grep -Eq "database 'foo' was stopped, dropped or promoted|database 'foo' does not exist on server .* \(found while streaming\)" \
  "$work/A/logs/debug.log" || fail "the upstream did not end the stream of the dropped database"
grep -q "replica 'foo-replica' stopped: lineage mismatch" "$work/B/logs/debug.log" ||
  fail "the replica did not log the lineage mismatch"
pass "a replica of the old lineage is refused, applies nothing, and says why: $msg"

# ---- 5. the upstream disappears during createReplicaDatabase ---------------------
kill -STOP "${cluster_pid[A]}"
t0=$(date +%s)
out=$(q_fail B -d system "CALL internal.dbms.createReplicaDatabase('rep2', 1, 0, $up)")
t1=$(date +%s)
kill -CONT "${cluster_pid[A]}"
echo "$out" | grep -qF "$pcf" || fail "frozen upstream: wrong error: $out"
echo "$out" | grep -qF "127.0.0.1:$A_cluster" || fail "frozen upstream: the address is not named: $out"
pass "a frozen upstream fails the call after $((t1 - t0)) s, naming the address: $(echo "$out" | tail -1 | cut -c1-160)"
kill9_cluster A
out=$(q_fail B -d system "CALL internal.dbms.createReplicaDatabase('rep2', 1, 0, $up)")
echo "$out" | grep -qF "cannot contact the upstream cluster" || fail "killed upstream: wrong error: $out"
pass "a killed upstream fails the call: cannot contact the upstream cluster"
[ "$(q B -d system "SHOW DATABASES YIELD name RETURN name ORDER BY name" | tr '\n' ' ')" = "$dbs_after" ] ||
  fail "a failed createReplicaDatabase created something"
pass "the failed calls created nothing"
echo "$checks passed, 0 failed"

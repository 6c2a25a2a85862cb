#!/usr/bin/env bash
# Security against running refhost clusters:
#   1. TLS refusals at the replication listener: no client certificate, a CA
#      the listener does not trust, a certificate revoked by a CRL in
#      revoked/, an expired certificate, plaintext; each refused and logged
#      with the peer address, while a good peer is still served;
#   2. a `reader` user cannot call any internal.dbms procedure (Forbidden);
#   3. ccdr.upstream.allowed_databases refuses system and unlisted databases,
#      logging the peer's certificate subject;
#   4. users and roles never travel: nothing of the upstream's users reaches
#      the replica cluster's files, and they cannot log in there.
#   security_refhost.sh BUILD_DIR
build="$(realpath "${1:?usage: security_refhost.sh BUILD_DIR}")"
source "$(dirname "$0")/lib.sh"
here="$(cd "$(dirname "$0")" && pwd)"
certs="$work/certs"
"$dr/gen-certs.sh" "$certs" A B >/dev/null
"$dr/gen-certs.sh" "$work/stranger" Stranger >/dev/null  # its own CA, which nobody trusts

# An OpenSSL CA database for B's CA, to revoke and to issue an expired certificate.
ca_dir="$work/ca-B"
mkdir -p "$ca_dir/new"
: >"$ca_dir/index.txt"
echo 1000 >"$ca_dir/serial"
echo 1000 >"$ca_dir/crlnumber"
cat >"$ca_dir/ca.cnf" <<CNF
[ ca ]
default_ca = b
[ b ]
database = $ca_dir/index.txt
serial = $ca_dir/serial
crlnumber = $ca_dir/crlnumber
new_certs_dir = $ca_dir/new
certificate = $certs/B-ca.crt
private_key = $certs/B-ca.key
default_md = sha256
default_crl_days = 30
policy = any
copy_extensions = copy
unique_subject = no
[ any ]
commonName = supplied
CNF
issue_b() {  # issue_b NAME [openssl ca date options...]: a client certificate from B's CA
  local name="$1"
  shift
  openssl req -newkey rsa:2048 -nodes -subj "/O=ccdr/CN=$name" -keyout "$work/$name.key" -out "$work/$name.csr" 2>/dev/null
  openssl ca -batch -config "$ca_dir/ca.cnf" -in "$work/$name.csr" -out "$work/$name.crt" -notext "$@" 2>"$work/$name.ca.log" ||
    { cat "$work/$name.ca.log" >&2; fail "cannot issue $name"; }
}
issue_b revoked-peer -days 30
issue_b expired-peer -startdate 20200101000000Z -enddate 20200201000000Z
issue_b good-peer -days 30
openssl ca -batch -config "$ca_dir/ca.cnf" -revoke "$work/revoked-peer.crt" 2>/dev/null
openssl ca -batch -config "$ca_dir/ca.cnf" -gencrl -out "$work/B.crl.pem" 2>/dev/null

make_cluster A 1 "$certs/A/cluster" --set "ccdr.upstream.allowed_databases=foo"
cp "$work/B.crl.pem" "$work/A/certificates/cluster/revoked/B.crl.pem"
"$refhost" add-user --home "$work/A" --role admin upstream-only-user "upstream-secret-4711" >/dev/null
make_cluster B 2 "$certs/B/cluster"
"$refhost" add-user --home "$work/B" --role reader reader "reader-password" >/dev/null
start_cluster A
start_cluster B
q A -d system "CREATE DATABASE foo WAIT" >/dev/null
q A -d system "CREATE DATABASE bar WAIT" >/dev/null
q A -d foo "UNWIND range(1, 20) AS i CREATE (:Item {id: i})" >/dev/null
q B -d system "CALL internal.dbms.createReplicaDatabase('foo-replica', 1, 0, {remote: 'foo', addresses: [$A_addrs]})" >/dev/null
wait_converged A foo B foo-replica >/dev/null

# ---- 1. TLS refusals ---------------------------------------------------------------
addr="127.0.0.1:$A_cluster"
refusal_logged() {  # refusal_logged BEFORE: A logged more refusals than BEFORE
  local before="$1"
  (($(grep -c "refused replication connection from 127.0.0.1" "$work/A/logs/debug.log" || true) > before))
}
tls_case() {  # tls_case WHAT [frame_client options...]
  local what="$1"
  shift
  local before r
  before=$(grep -c "refused replication connection from 127.0.0.1" "$work/A/logs/debug.log" || true)
  r=$(python3 "$here/frame_client.py" "$addr" hello-only "$@" --wait 10)
  case "$r" in tls-refused*|closed) ;; *) fail "$what: the listener served it ($r)" ;; esac
  eventually --tries 50 refusal_logged "$before" || fail "$what: no refusal logged"
  pass "TLS refusal: $what -> $r; logged: $(grep "refused replication connection" "$work/A/logs/debug.log" | tail -1 | sed 's/.*refused/refused/' | cut -c1-150)"
}
tls_case "no client certificate"
tls_case "certificate of an untrusted CA" --cert "$work/stranger/Stranger/cluster/public.crt" --key "$work/stranger/Stranger/cluster/private.key"
tls_case "certificate revoked by a CRL in revoked/" --cert "$work/revoked-peer.crt" --key "$work/revoked-peer.key"
tls_case "expired certificate" --cert "$work/expired-peer.crt" --key "$work/expired-peer.key"
tls_case "plaintext" --plain
r=$(python3 "$here/frame_client.py" "$addr" hello-only --cert "$work/good-peer.crt" --key "$work/good-peer.key")
case "$r" in answered*) pass "a good certificate of the same CA is still served ($r)" ;; *) fail "good peer refused: $r" ;; esac

# ---- 2. a reader cannot call internal.dbms procedures -----------------------------
as_reader() { "$shell_bin" -a "bolt://127.0.0.1:$B_bolt" -u reader -p reader-password --format plain -d system "$1" 2>&1; }
for call in "CALL internal.dbms.createReplicaDatabase('r2', 1, 0, {remote: 'foo', addresses: [$A_addrs]})" \
  "CALL internal.dbms.promoteReplicaDatabase('foo-replica')" \
  "CALL internal.dbms.promoteReplicaDatabaseWithTopology('foo-replica', 1, 0)" \
  "CALL internal.dbms.verifyReplicaDatabase('foo-replica')"; do
  if out=$(as_reader "$call"); then fail "reader could run: $call"; fi
  echo "$out" | grep -q "Neo.ClientError.Security.Forbidden" || fail "reader: expected Forbidden for $call: $out"
  pass "reader refused (Forbidden): ${call%%(*}"
done
[ "$(q B -d system "SHOW DATABASE foo-replica YIELD type RETURN type" | tail -1 | tr -d '"')" = replica ] ||
  fail "a reader's call changed foo-replica"
pass "the reader's calls changed nothing"

# ---- 3. the allow-list ---------------------------------------------------------------
out=$(q_fail B -d system "CALL internal.dbms.createReplicaDatabase('bar-replica', 1, 0, {remote: 'bar', addresses: [$A_addrs]})")
echo "$out" | grep -q "not in ccdr.upstream.allowed_databases" || fail "unlisted database not refused: $out"
grep -q "refused replication to 127.0.0.1:.*CN=localhost.*database 'bar' is not in ccdr.upstream.allowed_databases" \
  "$work/A/logs/debug.log" || fail "the refusal of 'bar' is not logged with the peer's certificate subject"
pass "an unlisted database is refused, logged with the peer's subject"
out=$(q_fail B -d system "CALL internal.dbms.createReplicaDatabase('sys-replica', 1, 0, {remote: 'system', addresses: [$A_addrs]})")
echo "$out" | grep -qi "system" || fail "system not refused: $out"
pass "the system database is refused: $(echo "$out" | grep -o 'system database[^.]*' | head -1)"
python3 "$here/frame_client.py" "$addr" hello-only --cert "$work/good-peer.crt" --key "$work/good-peer.key" >/dev/null
[ -z "$(q B -d system "SHOW DATABASES YIELD name WHERE name IN ['bar-replica', 'sys-replica'] RETURN name" | tail -n +2)" ] ||
  fail "a refused replica was created"
pass "nothing was created for the refused databases"

# ---- 4. users and roles never travel ------------------------------------------------
q A -d foo "CREATE (:Late)" >/dev/null
wait_converged A foo B foo-replica >/dev/null
if grep -rqa "upstream-only-user" "$work/B/data"; then
  fail "the upstream's user name reached the replica cluster's files: $(grep -rla upstream-only-user "$work/B/data")"
fi
pass "no file of the replica cluster holds the upstream's user name"
if "$shell_bin" -a "bolt://127.0.0.1:$B_bolt" -u upstream-only-user -p upstream-secret-4711 --format plain -d system "RETURN 1" >/dev/null 2>&1; then
  fail "the upstream's user can log in on the replica cluster"
fi
pass "the upstream's user cannot log in on the replica cluster"
grep -rqa "upstream-only-user" "$work/A/data" || fail "control: the user is not in A's files either, the check above proves nothing"
pass "control: the upstream's own files do hold the user"
echo "$checks passed, 0 failed"

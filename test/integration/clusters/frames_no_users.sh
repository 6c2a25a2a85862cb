#!/usr/bin/env bash
# Users and roles never travel, seen on the wire: two refhost clusters in
# plaintext (ccdr.allow_plaintext) with compression off, a recording TCP
# proxy between the replica and the upstream's replication listener. After a
# replica of `foo` has caught up, the recorded bytes (both directions) must
# contain the data of `foo` (the control: a marker property) and nothing of
# the upstream's users: neither a user's name nor its password.
#   frames_no_users.sh BUILD_DIR
build="$(realpath "${1:?usage: frames_no_users.sh BUILD_DIR}")"
source "$(dirname "$0")/lib.sh"

make_cluster A 1 "" --set "ccdr.compression.enabled=false"
make_cluster B 1 ""
"$refhost" add-user --home "$work/A" --role admin wire-user-7a1 "wire-secret-93b" >/dev/null
"$refhost" add-user --home "$work/A" --role reader wire-reader-5c2 "wire-secret-d41" >/dev/null
start_cluster A
start_cluster B

proxy_port=$(free_base 1)
python3 - "$proxy_port" "$A_cluster" "$work/wire.bin" >"$work/proxy.out" 2>&1 <<'PY' &
import socket, sys, threading
listen, target, out = int(sys.argv[1]), int(sys.argv[2]), open(sys.argv[3], "ab", buffering=0)
lock = threading.Lock()
def pump(src, dst):
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            with lock:
                out.write(data)
            dst.sendall(data)
    except OSError:
        pass
    finally:
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", listen))
srv.listen(16)
while True:
    client, _ = srv.accept()
    upstream = socket.create_connection(("127.0.0.1", target))
    threading.Thread(target=pump, args=(client, upstream), daemon=True).start()
    threading.Thread(target=pump, args=(upstream, client), daemon=True).start()
PY
proxy_pid=$!
extra_cleanup() { kill -KILL "$proxy_pid" 2>/dev/null || true; }
listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
eventually --tries 50 listening "$proxy_port" || true  # the checks below say what is wrong if it never listens

q A -d system "CREATE DATABASE foo WAIT" >/dev/null
q A -d foo "UNWIND range(1, 50) AS i CREATE (:Item {id: i, marker: 'wire-marker-4242'})" >/dev/null
q B -d system "CALL internal.dbms.createReplicaDatabase('foo-replica', 1, 0, {remote: 'foo', addresses: ['127.0.0.1:$proxy_port']})" >/dev/null
tx=$(wait_converged A foo B foo-replica)
q A -d foo "CREATE (:Late {marker: 'wire-marker-4242'})" >/dev/null
wait_converged A foo B foo-replica >/dev/null
size=$(stat -c %s "$work/wire.bin")
grep -qa "wire-marker-4242" "$work/wire.bin" || fail "control: the recorded $size bytes do not hold foo's data; the check below would prove nothing"
pass "control: the $size bytes recorded between B and A hold foo's data (replicated to tx $tx and beyond)"
for secret in wire-user-7a1 wire-reader-5c2 wire-secret-93b wire-secret-d41; do
  if grep -qa "$secret" "$work/wire.bin"; then fail "'$secret' travelled over the replication protocol"; fi
done
pass "no user name and no password of the upstream travelled (4 strings checked)"
grep -rqa "wire-user-7a1" "$work/A/data" || fail "control: the user is not in A's files"
if grep -rqa "wire-user-7a1" "$work/B/data"; then fail "the upstream's user reached B's files"; fi
pass "the upstream's users are in its own files and not in the replica cluster's"
echo "$checks passed, 0 failed"

# test/integration/clusters/lib.sh: shared helpers of the tests that run real
# refhost clusters with the plugin (bash).
# Source it after setting `build` (the CMake build directory). Every process
# started with start_cluster is stopped by PID on exit, pass or fail; every
# failed check prints its reason and exits 1.
set -euo pipefail
# shellcheck source=../../support/eventually.sh
source "$(dirname "${BASH_SOURCE[0]}")/../../support/eventually.sh"

refhost="$build/examples/refhost/refhost"
shell_bin="$build/examples/refhost/ccdr-shell"
plugin="$build/plugin/libccdr.so"
dr="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../../examples/dr" && pwd)"
# Reads a member's log segments (what a test once asked the SQLite log table).
log_segments="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../support" && pwd)/log_segments.py"
for f in "$refhost" "$shell_bin" "$plugin"; do
  [ -e "$f" ] || { echo "missing $f: build refhost, ccdr-shell and ccdr first" >&2; exit 1; }
done
work="$(mktemp -d /tmp/ccdr-faults.XXXXXX)"
password="faults-test-password"
declare -A cluster_pid=()
declare -A cluster_ns=()  # NAME -> network namespace its process and shells run in (netem test)
extra_cleanup() { :; }
checks=0

gone() { ! kill -0 "$1" 2>/dev/null; }
stop_pid() {  # SIGTERM, then SIGKILL after 10 s
  local p="$1"
  kill -TERM "$p" 2>/dev/null || return 0
  eventually --tries 100 gone "$p" || kill -KILL "$p" 2>/dev/null || true
}
cleanup() {
  local rc=$?
  for name in "${!cluster_pid[@]}"; do stop_pid "${cluster_pid[$name]}"; done
  for p in $(jobs -p); do kill -KILL "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  extra_cleanup
  # Under the sanitizer presets (scripts/sanitize.sh): a report a refhost
  # wrote to its stderr fails the test, whatever the checks said. UBSan's
  # reports only ever go there; the others also go to the log_path files.
  local reports
  reports=$(grep -rlsE --include='*.out' \
    'runtime error:|ERROR: (Address|Leak|UndefinedBehavior)Sanitizer|WARNING: ThreadSanitizer' "$work" || true)
  if [ -n "$reports" ]; then
    echo "FAILED: sanitizer report in $(echo "$reports" | tr '\n' ' ')" >&2
    grep -hE -A30 'runtime error:|Sanitizer' $reports | head -80 >&2
    rc=1
  fi
  if { ((rc == 0)) || ((rc == 77)); } && [ -z "${CCDR_FAULTS_KEEP:-}" ]; then rm -rf "$work"; else echo "work directory kept: $work"; fi
  exit "$rc"
}
trap cleanup EXIT

fail() { echo "FAILED: $*" >&2; exit 1; }
pass() { checks=$((checks + 1)); echo "ok $checks - $*"; }

# free_base N: a port P such that P .. P+N-1 are free on 127.0.0.1 now.
# Below the kernel's ephemeral range: a cluster restarted after kill -9
# binds the same ports again, and an outgoing connection of any process
# (drivers, shells, the e2e tests' port-0 listeners) may hold a port of that
# range meanwhile ("Address already in use" at the restart).
free_base() {
  python3 - "$1" <<'PY'
import random, socket, sys
n = int(sys.argv[1])
try:
    low = int(open("/proc/sys/net/ipv4/ip_local_port_range").read().split()[0])
except (OSError, ValueError, IndexError):
    low = 32768
top = low - n if low - n > 12000 else 60000 - n
for _ in range(200):
    base = random.randint(10000, top)
    socks = []
    try:
        for p in range(base, base + n):
            s = socket.socket(); s.bind(("127.0.0.1", p)); socks.append(s)
        print(base); sys.exit(0)
    except OSError:
        pass
    finally:
        for s in socks: s.close()
sys.exit("no free port range")
PY
}

# make_cluster NAME SERVERS CERTS_DIR [make-home options...]: HOME in $work/NAME;
# sets NAME_bolt, NAME_cluster (first ports) and NAME_addrs (cluster addresses).
make_cluster() {
  local name="$1" servers="$2" certs="$3"
  shift 3
  local b c
  b=$(free_base "$servers")
  c=$(free_base "$servers")
  "$dr/make-home.sh" "$work/$name" --servers "$servers" --bolt-port "$b" --cluster-port "$c" \
    --certs "$certs" --plugin "$plugin" --password "$password" --refhost "$refhost" "$@"
  printf -v "${name}_bolt" '%s' "$b"
  printf -v "${name}_cluster" '%s' "$c"
  local addrs="" i
  for ((i = 0; i < servers; i++)); do addrs+="${addrs:+, }\"127.0.0.1:$((c + i))\""; done
  printf -v "${name}_addrs" '%s' "$addrs"
}

start_cluster() {  # start_cluster NAME: runs $work/NAME, waits for "cluster ready"
  local name="$1"
  local cmd=("$refhost" --home "$work/$name")
  [ -z "${cluster_ns[$name]:-}" ] || cmd=(ip netns exec "${cluster_ns[$name]}" "${cmd[@]}")  # ip execs: same PID
  # Counted before the start: a cluster that is ready before grep runs (a
  # loaded machine) must not be waited for a second time.
  local before
  before=$(grep -c "cluster ready" "$work/$name.out" 2>/dev/null || true)
  "${cmd[@]}" >>"$work/$name.out" 2>&1 &
  local pid=$!
  cluster_pid[$name]=$pid
  eventually --tries 600 cluster_ready "$name" "$pid" "$before" || fail "cluster $name did not become ready"
}
# cluster_ready NAME PID BEFORE: NAME printed one more "cluster ready" than BEFORE
# (fails the test when its process is gone).
cluster_ready() {
  local now before="$3"
  now=$(grep -c "cluster ready" "$work/$1.out" 2>/dev/null || true)
  ((now > before)) && return 0
  kill -0 "$2" 2>/dev/null || { tail -20 "$work/$1.out" >&2; fail "cluster $1 exited at start"; }
  return 1
}
stop_cluster() { stop_pid "${cluster_pid[$1]}"; wait "${cluster_pid[$1]}" 2>/dev/null || true; unset "cluster_pid[$1]"; }
kill9_cluster() {
  kill -KILL "${cluster_pid[$1]}" 2>/dev/null || true
  wait "${cluster_pid[$1]}" 2>/dev/null || true
  unset "cluster_pid[$1]"
}

# in_ns NAME COMMAND...: runs COMMAND in NAME's network namespace, if it has one.
in_ns() {
  local name="$1"
  shift
  if [ -n "${cluster_ns[$name]:-}" ]; then
    ip netns exec "${cluster_ns[$name]}" "$@"
  else
    "$@"
  fi
}

# q NAME [shell options...] QUERY: ccdr-shell as neo4j against server 1 of NAME, plain output.
q() {
  local name="$1"
  shift
  local port_var="${name}_bolt"
  in_ns "$name" "$shell_bin" -a "bolt://127.0.0.1:${!port_var}" -u neo4j -p "$password" --format plain "$@"
}
# q_fail NAME ... : the query must fail; its error text goes to stdout.
q_fail() {
  local out
  if out=$(q "$@" 2>&1); then
    fail "expected failure, got success: ${*: -1} -> $out"
  fi
  printf '%s\n' "$out"
}

# last_tx NAME DB AGG: min or max of lastCommittedTxn over DB's members.
last_tx() {
  q "$1" -d system "SHOW DATABASE \`$2\` YIELD lastCommittedTxn RETURN $3(lastCommittedTxn) AS tx" | tail -1
}
# converged A ADB B BDB: every member of BDB has A's last tx (left in ta, tb).
converged() {
  ta=$(last_tx "$1" "$2" max 2>/dev/null || echo a)
  tb=$(last_tx "$3" "$4" min 2>/dev/null || echo b)
  [ "$ta" = "$tb" ]
}
# wait_converged A ADB B BDB [TRIES]: until every member of BDB has A's last tx; prints it.
wait_converged() {
  local ta tb
  eventually --tries "${5:-600}" converged "$1" "$2" "$3" "$4" || fail "$4 did not converge with $2: $ta vs $tb"
  echo "$ta"
}

# verify_rows NAME DB: the verifyReplicaDatabase rows as "txId match serverId".
verify_rows() {
  q "$1" -d system "CALL internal.dbms.verifyReplicaDatabase('$2') YIELD txId, match, serverId" |
    tail -n +2 | sed 's/,//g; s/"//g'

}

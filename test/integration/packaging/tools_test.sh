#!/bin/bash
# The operator's tools from the source tree (docs/operations.md §1,
# docs/monitoring.md): make-home.sh finds refhost itself or fails before it
# writes anything, never leaves a half-written home; lag-plot.sh takes a
# server name (server-2, as SHOW SERVERS shows it) for a refhost home of
# several servers and of one.
#   tools_test.sh BUILD_DIR
set -euo pipefail
build="$(cd "${1:?usage: tools_test.sh BUILD_DIR}" && pwd)"
# shellcheck source=../clusters/lib.sh
source "$(dirname "$0")/../clusters/lib.sh"  # refhost, plugin, work, make_cluster, start_cluster, fail, pass
root="$(cd "$dr/../.." && pwd)"
make_home="$dr/make-home.sh"
gen_certs="$dr/gen-certs.sh"
lag_plot="$root/examples/monitoring/lag-plot.sh"
cd "$work"

# expect CODE CMD...: runs CMD, which must exit CODE; its stderr in $work/err.
expect() {
  local want="$1" rc=0
  shift
  "$@" >"$work/out" 2>"$work/err" || rc=$?
  [ "$rc" = "$want" ] || { cat "$work/out" "$work/err" >&2; fail "$* exited $rc, expected $want"; }
  pass "exit $want: ${*:1:4} …"
}
# Nothing of HOME and no staging folder next to it.
nothing_written() {  # PARENT NAME
  [ ! -e "$1/$2" ] || fail "$1/$2 was written"
  [ -z "$(find "$1" -maxdepth 1 -name ".$2.make-home.*")" ] || fail "a staging folder of $2 was left in $1"
}

"$gen_certs" certs A B >/dev/null

# --- make-home: no refhost to be found ----------------------------------------
# A copy of the script away from the source tree (no build tree next to it),
# and a PATH with the tools it uses but no refhost.
mkdir -p lone/a/b tools
cp "$make_home" lone/a/b/make-home.sh
for t in basename dirname ls mkdir mktemp chmod cp rm rmdir mv cat; do
  ln -s "$(command -v "$t")" "tools/$t"
done
expect 3 env PATH="$work/tools" lone/a/b/make-home.sh nohome --servers 2 --bolt-port 40000 --cluster-port 40100 \
  --certs certs/A/cluster --plugin "$plugin" --password secret
grep -q "no.*refhost\|none was found" "$work/err" || fail "the message does not say refhost was not found: $(cat "$work/err")"
grep -q -- "--refhost" "$work/err" || fail "the message does not name --refhost"
nothing_written "$work" nohome
# --refhost naming something that is not a program: the same, nothing written.
expect 3 env PATH="$work/tools" lone/a/b/make-home.sh nohome --password secret --refhost "$work/certs"
nothing_written "$work" nohome
# Without --password refhost is not needed: the home is written.
expect 0 env PATH="$work/tools" lone/a/b/make-home.sh plain --servers 1 --bolt-port 40000 --cluster-port 40100
[ -f plain/conf/neo4j.conf ] && [ ! -e plain/data/system ] || fail "the home without a password is not as expected"
# Without --certs the plugin replicates in plaintext; without a plugin the
# key is unknown (refhost would refuse to start), so it is not written.
grep -q "allow_plaintext" plain/conf/neo4j.conf && fail "a plaintext setting in a home without a plugin"
expect 0 env PATH="$work/tools" lone/a/b/make-home.sh plainplugin --servers 1 --bolt-port 40000 --cluster-port 40100 \
  --plugin "$plugin"
grep -qx "ccdr.allow_plaintext=true" plainplugin/conf/neo4j.conf || fail "no plaintext setting with --plugin and without --certs"

# --- make-home: a wrong command line writes nothing (exit 2) -------------------
expect 2 "$make_home" bad --servers 0
expect 2 "$make_home" bad --servers 2 --modes PRIMARY,LEADER
expect 2 "$make_home" bad --bolt-port 65535 --servers 2
expect 2 "$make_home" bad --certs "$work/nowhere"
expect 2 "$make_home" bad --plugin "$work/nowhere.so"
expect 2 "$make_home" bad --set no-equals-sign
expect 2 "$make_home" bad --frobnicate 1
expect 2 "$make_home" bad --password
nothing_written "$work" bad
expect 2 "$make_home" plain --servers 1
grep -q "not an empty folder" "$work/err" || fail "an existing home is not refused: $(cat "$work/err")"
mkdir empty
expect 0 "$make_home" empty --servers 1  # an empty folder is a new home
[ -f empty/conf/neo4j.conf ] || fail "the empty folder did not become a home"

# --- make-home: refhost refuses the settings: no home without its user ---------
expect 1 "$make_home" refused --servers 1 --bolt-port 40000 --cluster-port 40100 --password secret \
  --refhost "$refhost" --set server.bolt.listen_address=nowhere
grep -q "server.bolt.listen_address='nowhere'" "$work/err" || fail "refhost's reason is not shown: $(cat "$work/err")"
nothing_written "$work" refused

# --- make-home: refhost of the build tree next to the source script ------------
case "$(cd "$build" && pwd)" in
  "$root"/build/*)
    expect 0 env PATH="$work/tools" "$make_home" built --servers 1 --bolt-port 40000 --cluster-port 40100 --password s3
    [ -f built/data/system/system.db ] || fail "the build tree's refhost did not set the password"
    ;;
esac

# --- a home of two servers, run once: server names map to server ids -------------
make_cluster B 2 "$work/certs/B/cluster" --modes PRIMARY,SECONDARY
[ "$(stat -c %a B)" = "$(printf '%o' $((0777 & ~0$(umask))))" ] || fail "the home's mode is $(stat -c %a B), not the umask's"
start_cluster B
# The metric folders of both servers exist once the first CSV rows are written.
metric_folders() { [ "$(find B/metrics -mindepth 1 -maxdepth 1 -type d | wc -l)" = 2 ]; }
eventually --tries 100 metric_folders || fail "no two metric folders in B/metrics: $(ls B/metrics)"
id1="$(sqlite3 -readonly B/data/system/system.db "SELECT id FROM servers WHERE name = 'server-1'")"
id2="$(sqlite3 -readonly B/data/system/system.db "SELECT id FROM servers WHERE name = 'server-2'")"
[ -d "B/metrics/$id1" ] && [ -d "B/metrics/$id2" ] || fail "no metric folders named by server id: $(ls B/metrics)"

if ! command -v gnuplot >/dev/null && [ "$(id -u)" -ne 0 ]; then
  echo "gnuplot is not installed and this is not root (apt-get install gnuplot-nox): lag-plot part skipped"
  exit 77
fi
# Lag files of foo-replica in server-2's folder only (the refhost is running).
for k in seconds tx; do
  { echo "t,value"; for i in $(seq 0 20); do echo "$((1800000000 + i)),$((i % 5))"; done; } \
    >"B/metrics/$id2/neo4j.database.foo-replica.ccdr.replica.lag_$k.csv"
done
expect 0 "$lag_plot" --metrics B/metrics/server-2 foo-replica s2.png
grep -qF "server-2's metrics: B/metrics/$id2" "$work/err" || fail "the mapping is not shown: $(cat "$work/err")"
[ "$(od -An -tx1 -N4 s2.png | tr -d ' \n')" = "89504e47" ] || fail "s2.png is not a PNG"
# server-1 is the other folder: no lag files there.
expect 1 "$lag_plot" --metrics B/metrics/server-1 foo-replica s1.png
grep -qF "B/metrics/$id1" "$work/err" || fail "server-1 was not mapped to its folder: $(cat "$work/err")"
# The server id form keeps working.
expect 0 "$lag_plot" --metrics "B/metrics/$id2" foo-replica id.png
# A server the home does not have.
expect 1 "$lag_plot" --metrics B/metrics/server-3 foo-replica s3.png
grep -qF "no server server-3 in B (its servers: server-1 server-2)" "$work/err" || fail "unknown server: $(cat "$work/err")"
[ ! -e s3.png ] && [ ! -e s1.png ] || fail "a PNG was written without data"
stop_cluster B

# --- a home of one server writes its metric files into HOME/metrics -------------
make_cluster one 1 "$work/certs/A/cluster"
start_cluster one
stop_cluster one
[ -z "$(find one/metrics -mindepth 1 -maxdepth 1 -type d)" ] || fail "a one-server home has metric folders: $(ls one/metrics)"
cp "B/metrics/$id2"/*.lag_*.csv one/metrics/
expect 0 "$lag_plot" --metrics one/metrics/server-1 foo-replica one.png
grep -qF "server-1's metrics: one/metrics" "$work/err" || fail "server-1 of a one-server home: $(cat "$work/err")"
echo "tools_test: ok ($checks checks)"

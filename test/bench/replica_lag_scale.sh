#!/usr/bin/env bash
# test/bench/replica_lag_scale.sh: the commit-to-visible lag of each replica
# cluster when many replicate one upstream (issue 19 item 3).
#
# A 1-server upstream cluster A; replica clusters R1..RN, each its own refhost
# process on this machine, each replicating A's `foo` as `foo-replica` (fan-out
# on: one member pulls, the others follow it). Two phases in one run: first
# with R1 alone attached, then with all N attached. In each, wan_load.py
# (test/integration/clusters) commits paced single-node transactions into A
# at RATE tx/s for SECONDS and writes a marker every 100 ms; one probe a
# replica cluster (server 1's member, over bolt://) notes when each marker
# becomes visible there. Printed: each cluster's commit-to-visible p50/p99/max
# beside the single-replica figure of the same run, and the rate A achieved.
# Asserts only that every replica saw the markers and converged (exit 1
# otherwise); the figures depend on the machine's load (compare the phases
# of one run).
#
#   replica_lag_scale.sh BUILD_DIR [--quick]
# --quick (CTest bench.replica_lag_scale): 2 single-member replica
#   clusters, 100 tx/s for 10 s.
# full (bench.replica_lag_scale.full, also `long`): 8 replica clusters of
#   3 primaries + 2 secondaries, 500 tx/s for 60 s.
build="$(realpath "${1:?usage: replica_lag_scale.sh BUILD_DIR [--quick]}")"
quick=0
[ "${2:-}" = --quick ] && quick=1
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/../integration/clusters/lib.sh"

if ((quick)); then
  clusters=2 primaries=1 secondaries=0 rate=100 seconds=10 writers=4
else
  clusters=8 primaries=3 secondaries=2 rate=500 seconds=60 writers=16
fi
members=$((primaries + secondaries))
# wan_load.py stops its shells; these are the ones left if it was killed.
extra_cleanup() {
  [ -f "$work/shell.pids" ] || return 0
  local p
  while read -r p; do kill -KILL "$p" 2>/dev/null || true; done <"$work/shell.pids"
}

names=(A)
for ((i = 1; i <= clusters; i++)); do names+=("R$i"); done
"$dr/gen-certs.sh" "$work/certs" "${names[@]}" >/dev/null
make_cluster A 1 "$work/certs/A/cluster"
start_cluster A
q A -d system "CREATE DATABASE foo WAIT" >/dev/null

attach() {  # attach NAME: a replica cluster of $members servers replicating foo
  make_cluster "$1" "$members" "$work/certs/$1/cluster"
  start_cluster "$1"
  q "$1" -d system "CALL internal.dbms.createReplicaDatabase('foo-replica', $primaries, $secondaries, {remote: 'foo', addresses: ['127.0.0.1:$A_cluster']})" >/dev/null
  wait_converged A foo "$1" foo-replica 1200 >/dev/null
  # Measured in steady state: one puller, the others following it.
  ((members == 1)) || eventually --tries 1200 followers_are "$1" $((members - 1)) ||
    fail "$1's members did not settle to one puller and $((members - 1)) followers"
}
followers_are() {  # followers_are NAME N: N members of foo-replica follow the puller
  [ "$(q "$1" -d system "SHOW DATABASE foo-replica YIELD statusMessage WHERE statusMessage STARTS WITH 'following puller' RETURN count(*) AS n" | tail -1)" = "$2" ]
}

# phase TAG CLUSTERS...: the load with those clusters probed; JSON in $work/TAG.json.
phase() {
  local tag="$1"
  shift
  # The homes' copies of libccdr.so (136 MB each with debug information)
  # written back by the kernel during the phase would stall the log syncs
  # it measures (docs/benchmarks.md, "what the stalls are").
  sync
  local ports=() c p
  for c in "$@"; do
    p="${c}_bolt"
    ports+=("${!p}")
  done
  python3 "$here/../integration/clusters/wan_load.py" --shell "$shell_bin" --password "$password" \
    --bolt-a "$A_bolt" --bolt-b "${ports[@]}" --db-a foo --db-b foo-replica --rate "$rate" --seconds "$seconds" \
    --writers "$writers" --dir "$work" --pids "$work/shell.pids" --out "$work/$tag.json" >"$work/$tag.out" 2>&1 ||
    fail "wan_load.py failed in phase $tag: $(tail -5 "$work/$tag.out") $(cat "$work/$tag.json" 2>/dev/null)"
  for c in "$@"; do wait_converged A foo "$c" foo-replica 1200 >/dev/null; done
}

attach R1
phase one R1
# wan_load.py creates its (:MarkerTop) node: the next phase gets a new one.
q A -d foo "MATCH (t:MarkerTop) DELETE t" >/dev/null
wait_converged A foo R1 foo-replica 1200 >/dev/null
for ((i = 2; i <= clusters; i++)); do attach "R$i"; done
all=()
for ((i = 1; i <= clusters; i++)); do all+=("R$i"); done
phase all "${all[@]}"
streams=$(q A -d system "CALL internal.dbms.showReplicaSubscriptions() YIELD replicaDatabase RETURN count(*) AS n" | tail -1)

python3 - "$work/one.json" "$work/all.json" "$clusters" "$members" "$streams" <<'PY'
import json, sys
one, everyone = (json.load(open(p)) for p in sys.argv[1:3])
clusters, members, streams = int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
def line(label, r, sent):
    return "%-4s markers %4d/%-4d visible p50 %7.1f ms  p99 %7.1f ms  max %7.1f ms" % (
        label, r["markers_seen"], sent, r["visible_ms_p50"] or -1, r["visible_ms_p99"] or -1, r["visible_ms_max"] or -1)
bad = []
for tag, res in (("1 replica cluster", one), ("%d replica clusters" % clusters, everyone)):
    print("%s (%d member(s) each): A committed %d tx in %.1f s = %.0f tx/s (asked %.0f), commit p50 %.1f ms p99 %.1f ms; resolution %.1f ms"
          % (tag, members, res["committed"], res["write_seconds"], res["achieved_rate"], res["rate_asked"],
             res["commit_ms_p50"] or -1, res["commit_ms_p99"] or -1, res["resolution_ms"]))
    for i, r in enumerate(res["replicas"]):
        print("  " + line("R%d" % (i + 1), r, res["markers_sent"]))
        if r["markers_seen"] == 0 or r["markers_seen"] < res["markers_sent"]:
            bad.append("%s: R%d saw %d of %d markers" % (tag, i + 1, r["markers_seen"], res["markers_sent"]))
    if res["errors"]:
        bad.append("%s: %s" % (tag, res["errors"]))
p99s = [r["visible_ms_p99"] for r in everyone["replicas"]]
print("p99 commit-to-visible: 1 replica cluster %.1f ms; with %d: %.1f-%.1f ms (worst %.2fx of the single one); upstream streams at the end: %s"
      % (one["replicas"][0]["visible_ms_p99"], clusters, min(p99s), max(p99s), max(p99s) / max(one["replicas"][0]["visible_ms_p99"], 0.1), streams))
if bad:
    print("FAILED: " + "; ".join(bad), file=sys.stderr)
    sys.exit(1)
PY
pass "every replica cluster saw every marker and converged"

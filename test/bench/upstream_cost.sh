#!/usr/bin/env bash
# test/bench/upstream_cost.sh: what replication costs the upstream (issue 19).
#
# 4 clients (ccdr-shell -f, one autocommit single-node CREATE per statement)
# commit into a 1-server upstream cluster A while 0, then 1, then more replica
# clusters replicate its database; each replica cluster is its own refhost
# process on this machine. For each case the figure is the upstream process's
# CPU seconds (utime + stime of /proc/PID/stat, so the replicas' and the
# clients' work on the same cores does not count) from the first commit until
# every member of every replica database has the upstream's last tx, per
# 1 000 committed transactions; then
#   per-stream cost = (CPU with N streams - CPU with 0) / N streams
# where a stream is one subscription to the upstream, as its
# showReplicaSubscriptions lists them at the end of the case: one per replica
# database with fan-out (the puller's), one per member without it
# (CCDR_UPSTREAM_FANOUT=false creates the replicas with fanOut false).
#
#   upstream_cost.sh BUILD_DIR [--quick]
# --quick (CTest bench.upstream_cost): single-member replica clusters, cases
#   0, 1 and 4, 1 200 transactions a case.
# full (bench.upstream_cost.full, also `long`): the seed's topology, each
#   replica database 3 primaries + 2 secondaries in one refhost process;
#   cases 0, 1 and 8 replica clusters (0, 1, 8 streams with fan-out; 0, 5, 40
#   without), 2 000 transactions a case.
# CCDR_UPSTREAM_PERF=FILE: perf record of the upstream in the last case
#   (CCDR_UPSTREAM_PERF_MODE=paced: its paced run; unpaced by default).
# Each case runs twice. Unpaced (each writer commits as fast as its answers
# come back, as before): the case without replicas then commits ten times as
# fast as the one with 8 replica clusters (whose 41 members apply on the
# same cores), and a commit costs the upstream less when more of them share a
# group commit's sync. So a paced pass follows, every case at the rate the
# case with the most clusters reached unpaced, three quarters of it
# (CCDR_UPSTREAM_RATE overrides), the writers paced by ccdr-shell --rate: its
# ratio is the cost of replication at the same load. Both are printed, with
# the rate each case reached.
# Clusters are attached one after the other for the unpaced pass, and the
# paced pass runs from the most clusters down, dropping the others' replica
# databases and stopping their processes as it goes, so every case runs in
# the same upstream process. Prints figures; asserts only that every replica
# converged and that the clusters left out no longer subscribe or hold the
# upstream's log (exit 1 otherwise). The machine is shared: compare the cases
# of one run, not runs.
build="$(realpath "${1:?usage: upstream_cost.sh BUILD_DIR [--quick]}")"
quick=0
[ "${2:-}" = --quick ] && quick=1
source "$(dirname "$0")/../integration/clusters/lib.sh"

if ((quick)); then
  cases=(0 1 4) primaries=1 secondaries=0 per_case=1200
else
  cases=(0 1 8) primaries=3 secondaries=2 per_case=2000
fi
fan_out="${CCDR_UPSTREAM_FANOUT:-true}"
case "$fan_out" in true | false) ;; *) echo "CCDR_UPSTREAM_FANOUT must be true or false" >&2; exit 2 ;; esac
writers=4
members=$((primaries + secondaries))
max_clusters=${cases[-1]}

names=(A)
for ((i = 1; i <= max_clusters; i++)); do names+=("R$i"); done
"$dr/gen-certs.sh" "$work/certs" "${names[@]}" >/dev/null
make_cluster A 1 "$work/certs/A/cluster"
start_cluster A
upstream_pid=${cluster_pid[A]}
q A -d system "CREATE DATABASE foo WAIT" >/dev/null
q A -d foo "CREATE (:Warmup)" >/dev/null

# cpu_s PID: user + system CPU seconds of the process so far.
cpu_s() {
  awk -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); print ($12 + $13) / hz }' "/proc/$1/stat"
}
# switches PID: context switches of all the process's threads so far
# (voluntary + involuntary): what a wake-up costs on this VM is most of the
# upstream's CPU (docs/benchmarks.md).
switches() {
  cat /proc/"$1"/task/*/status 2>/dev/null | awk '/ctxt_switches/ { n += $2 } END { print n + 0 }'
}
# thread_switches PID: "name switches" per thread, summed by thread name.
thread_switches() {
  local t
  for t in /proc/"$1"/task/*; do
    printf '%s %s\n' "$(tr ' ' _ <"$t/comm")" "$(awk '/ctxt_switches/ { n += $2 } END { print n + 0 }' "$t/status")"
  done 2>/dev/null | awk '{ n[$1] += $2 } END { for (k in n) print k, n[k] }' | sort
}
# hold_clusters: the replica clusters the upstream holds its log of foo for
# (its holds file: upstream database, replica cluster, server, database, ...).
hold_clusters() {
  local f
  f=$(find "$work/A" -name replica_log_holds.tsv | head -1)
  [ -n "$f" ] || { echo 0; return; }
  awk -F'\t' '$1 == "foo" { print $2 }' "$f" | sort -u | wc -l
}
holds_of_at_most() { (($(hold_clusters) <= $1)); }
# holds_report: the upstream's holds of foo (its holds file: one line a
# replica member it holds the log for), the lowest and highest position held
# and the log they hold: the sum of each hold's newest log_hold_bytes gauge
# (metrics CSV), as the last pruning pass measured it.
holds_report() {
  local f row peer g bytes=0 v
  f=$(find "$work/A" -name replica_log_holds.tsv | head -1)
  [ -n "$f" ] || { echo "  upstream holds of foo: 0"; return; }
  while IFS=$'\t' read -r -a row; do
    [ "${row[0]}" = foo ] || continue
    peer=$(printf '%s.%s.%s' "${row[1]}" "${row[2]}" "${row[3]}" | sed 's/[^A-Za-z0-9_.-]/_/g')
    g=$(find "$work/A" -name "*foo.ccdr.upstream.replica.$peer.log_hold_bytes.csv" | head -1)
    v=$([ -n "$g" ] && grep -E '^[0-9]' "$g" | tail -1 | cut -d, -f2)
    bytes=$(python3 -c "print(int($bytes + float('${v:-0}')))")
  done <"$f"
  awk -F'\t' -v bytes="$bytes" -v last="$(last_tx A foo max)" '$1 == "foo" { n++; c[$2] = 1; if (lo == "" || $5 < lo) lo = $5; if ($5 > hi) hi = $5; if ($5 < last - 100) behind++ }
    END { k = 0; for (x in c) k++; printf "  upstream holds of foo: %d for %d replica clusters (held from tx %s to %s; %d more than 100 tx behind the last tx %s); log held (last pass): %d bytes\n", n, k, lo + 1, hi + 1, behind, last, bytes }' "$f"
}
# subscriptions_are N: the upstream lists N replica subscriptions.
subscriptions_are() { [ "$(subscriptions)" = "$1" ]; }
# all_converged TX: every member of every attached replica database has TX.
all_converged() {
  local c t
  for ((c = 1; c <= attached; c++)); do
    t=$(last_tx "R$c" foo-replica min 2>/dev/null || echo none)
    [ "$t" = "$1" ] || return 1
  done
}

attached=0
serial=0
declare -A cpu_per_1000=() switches_per=() achieved=()
declare -a streams_of=()

# measure_case N MODE: one case's load, N replica clusters attached; MODE is
# "unpaced" (each writer commits as fast as its answers come back) or
# "paced" (the writers together at $paced_rate tx/s, ccdr-shell --rate).
# Sets cpu_per_1000[N,MODE], switches_per[N,MODE], achieved[N,MODE].
measure_case() {
  local n=$1 mode=$2 w f k p c0 c1 s0 s1 t0 t1 t_writes tx0 tx1 committed per i0 i1 perf_pid="" pids=()
  local -a pace=()
  [ "$mode" = paced ] && pace=(--rate "$(python3 -c "print($paced_rate / $writers)")")
  # Everyone caught up before the clock starts: the case counts only its own work.
  tx0=$(last_tx A foo max)
  eventually --tries 1200 all_converged "$tx0" || fail "the replicas did not catch up to tx $tx0 before the case with $n ($mode)"
  # The upstream's CPU a second before the case, over 2 s: work left over
  # from attaching or dropping clusters would show here (and count in the case).
  local b0 b1
  b0=$(cpu_s "$upstream_pid")
  sleep 2
  b1=$(cpu_s "$upstream_pid")
  for ((w = 0; w < writers; w++)); do
    f="$work/load.$w.cypher"
    : >"$f"
    for ((k = 0; k < per_case / writers; k++)); do
      serial=$((serial + 1))
      echo "CREATE (:Item {serial: $serial});" >>"$f"
    done
  done
  if [ -n "${CCDR_UPSTREAM_PERF:-}" ] && ((n == max_clusters)) && [ "$mode" = "${CCDR_UPSTREAM_PERF_MODE:-unpaced}" ]; then
    # shellcheck disable=SC2086 # CCDR_UPSTREAM_PERF_ARGS: perf options, e.g. "-e sched:sched_switch -g"
    perf record ${CCDR_UPSTREAM_PERF_ARGS:--F 999 -g} -p "$upstream_pid" -o "$CCDR_UPSTREAM_PERF" >"$work/perf.out" 2>&1 &
    perf_pid=$!
    sleep 0.5
  fi
  c0=$(cpu_s "$upstream_pid")
  s0=$(switches "$upstream_pid")
  thread_switches "$upstream_pid" >"$work/threads.0"
  t0=$(date +%s.%N)
  for ((w = 0; w < writers; w++)); do
    "$shell_bin" -a "bolt://127.0.0.1:$A_bolt" -u neo4j -p "$password" -d foo --format plain --fail-fast \
      "${pace[@]}" -f "$work/load.$w.cypher" >"$work/load.$w.out" 2>&1 &
    pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p" || fail "a writer failed: $(tail -3 "$work"/load.*.out)"; done
  t_writes=$(date +%s.%N)
  tx1=$(last_tx A foo max)
  eventually --tries 3000 --every 0.02 all_converged "$tx1" || fail "the replicas did not reach tx $tx1"
  c1=$(cpu_s "$upstream_pid")
  s1=$(switches "$upstream_pid")
  thread_switches "$upstream_pid" >"$work/threads.1"
  t1=$(date +%s.%N)
  if [ -n "$perf_pid" ]; then kill -INT "$perf_pid"; wait "$perf_pid" || true; fi
  committed=$((tx1 - tx0))
  per=$(python3 -c "print('%.3f' % (($c1 - $c0) * 1000 / $committed))")
  cpu_per_1000[$n,$mode]=$per
  switches_per[$n,$mode]=$(python3 -c "print('%.1f' % (($s1 - $s0) / $committed))")
  achieved[$n,$mode]=$(python3 -c "print('%.0f' % ($committed / ($t_writes - $t0)))")
  if [ -n "${CCDR_UPSTREAM_THREADS:-}" ]; then
    # Context switches a commit by thread name (CCDR_UPSTREAM_THREADS=1).
    join "$work/threads.0" "$work/threads.1" | awk -v c="$committed" '{ d = $3 - $2; if (d > 0) printf "  %-16s %.2f context switches a commit\n", $1, d / c }'
  fi
  python3 -c "print('replica clusters %d, %s: %d tx in %.1f s (%s tx/s), upstream CPU %.2f s = %s CPU s per 1 000 commits, %s context switches a commit' % ($n, '$mode', $committed, $t1 - $t0, '${achieved[$n,$mode]}', $c1 - $c0, '$per', '${switches_per[$n,$mode]}'))"
  # What the upstream spends per second with nothing committed (heartbeats,
  # lineage checks, metrics, the host's own timers), over 2 s: a case that
  # takes longer (the replicas' applies slow the writers on these 2 cores;
  # pacing) pays more of it. Printed beside the figure, which stays the goal's.
  i0=$(cpu_s "$upstream_pid")
  sleep 2
  i1=$(cpu_s "$upstream_pid")
  python3 -c "
idle = ($i1 - $i0) / 2
net = (($c1 - $c0) - idle * ($t1 - $t0)) * 1000 / $committed
print('  idle: %.3f CPU s per second with %d replica clusters attached (%.3f before the case); net of it over the case: %.3f CPU s per 1 000 commits' % (idle, $n, ($b1 - $b0) / 2, net))"
}

subscriptions() {
  q A -d system "CALL internal.dbms.showReplicaSubscriptions() YIELD replicaDatabase RETURN count(*) AS n" | tail -1
}
# The unpaced pass, clusters attached as it goes.
for n in "${cases[@]}"; do
  while ((attached < n)); do
    attached=$((attached + 1))
    name="R$attached"
    make_cluster "$name" "$members" "$work/certs/$name/cluster"
    start_cluster "$name"
    q "$name" -d system "CALL internal.dbms.createReplicaDatabase('foo-replica', $primaries, $secondaries, {remote: 'foo', addresses: ['127.0.0.1:$A_cluster'], fanOut: $fan_out})" >/dev/null
  done
  measure_case "$n" unpaced
  streams_of[$n]=$(subscriptions)
  holds_report
done
# The paced pass, at three quarters of what the case with the most replica
# clusters reached unpaced (so that it keeps up on a shared machine) unless
# CCDR_UPSTREAM_RATE says;
# from the most clusters down, the others' replica databases dropped and
# their processes stopped as it goes (the upstream then serves no stream of
# theirs and holds no log for them: checked).
paced_rate="${CCDR_UPSTREAM_RATE:-$(python3 -c "print('%.0f' % max(10, 0.75 * ${achieved[$max_clusters,unpaced]}))")}"
for ((i = ${#cases[@]} - 1; i >= 0; i--)); do
  n=${cases[i]}
  while ((attached > n)); do
    # Dropped first: the replica tells the upstream to release the log it
    # holds for each of its members; a stopped cluster's holds would stay,
    # and each pruning pass of the upstream measures every hold's log.
    q "R$attached" -d system "DROP DATABASE \`foo-replica\` WAIT" >/dev/null
    stop_cluster "R$attached"
    attached=$((attached - 1))
  done
  eventually --tries 600 subscriptions_are "${streams_of[$n]}" ||
    fail "the upstream still serves $(subscriptions) subscriptions with $n replica clusters left, expected ${streams_of[$n]}"
  eventually --tries 600 holds_of_at_most "$n" ||
    fail "the upstream still holds its log for $(hold_clusters) replica clusters with $n left"
  measure_case "$n" paced
done

# summary MODE LABEL: each case against none of the same MODE.
summary() {
  local mode=$1 n
  echo "$2"
  for n in "${cases[@]}"; do
    ((n == 0)) && continue
    python3 -c "
n, streams, base, cost = $n, ${streams_of[$n]}, ${cpu_per_1000[0,$mode]}, ${cpu_per_1000[$n,$mode]}
print('  %d replica clusters (%d streams) at %s tx/s: %.3f CPU s per 1 000 commits = %.2fx of none at %s tx/s (%.3f); per-stream cost %.1f us per tx per stream; context switches a commit %s against %s'
      % (n, streams, '${achieved[$n,$mode]}', cost, cost / base, '${achieved[0,$mode]}', base, (cost - base) / streams * 1000, '${switches_per[$n,$mode]}', '${switches_per[0,$mode]}'))"
  done
}
summary unpaced "Unpaced (each writer as fast as it can; the case without replicas commits several times faster, and a commit costs less when more share a group commit's sync):"
summary paced "Paced at $paced_rate tx/s in every case, three quarters of what $max_clusters replica clusters reached unpaced (the cost of replication at the same load):"
if python3 -c "import sys; sys.exit(0 if ${achieved[$max_clusters,paced]} >= 0.95 * $paced_rate else 1)"; then :; else
  echo "  note: with $max_clusters replica clusters the writers reached ${achieved[$max_clusters,paced]} tx/s, under the $paced_rate asked: the paced cases did not run at the same load (set CCDR_UPSTREAM_RATE lower)"
fi
pass "every replica database converged in every case"

#!/usr/bin/env bash
# test/bench/large_tx_bench.sh: the memory both sides spend replicating one
# large transaction (issue 18 item 7).
#
# A 1-server upstream cluster A and a 1-server cluster B. Per round, A
# commits ONE transaction creating NODES nodes (`UNWIND range(1, NODES) ...
# CREATE`) in a new database, sampled: A's own commit. A restarts (a fresh
# heap, so what the commit freed is not reused by the replication that
# follows); B makes a replica of a one-node database first (what a new
# replica member costs whatever it replicates: the constant), then the
# replica of the large one, both processes sampled until it has the
# transaction: the replication. Printed, per phase and process: the
# peak of RssAnon (anonymous memory: heap and stacks, not the stores' mapped
# pages) over 20 ms samples minus the process's RssAnon when the phase began,
# and the transaction's payload size (its log entry on A).
# Goal (issue 18 item 7): replication growth of either side <= 2 x
# ccdr.batch.max_bytes + a constant, whatever NODES is. Printed, not asserted;
# the test fails only if the replica does not converge.
#
#   large_tx_bench.sh BUILD_DIR [--nodes N ...] [--expect-parts]
# Default: 300 000 nodes, then 3 000 000. `--nodes` may be repeated.
# --expect-parts: fails unless the replica applied the large transaction in
# parts as they arrived in TX_PART frames (protocol 5; ABI 1.2 apply_tx_*:
# the plugin's "applied tx N (...) in K parts, as they arrived").
build="$(realpath "${1:?usage: large_tx_bench.sh BUILD_DIR [--nodes N ...]}")"
shift
nodes_list=()
expect_parts=0
while (($#)); do
  case "$1" in
    --nodes) nodes_list+=("$2"); shift 2 ;;
    --expect-parts) expect_parts=1; shift ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
((${#nodes_list[@]})) || nodes_list=(300000 3000000)
source "$(dirname "$0")/../integration/clusters/lib.sh"
command -v python3 >/dev/null || { echo "python3 is not installed: skipped"; exit 77; }
batch_bytes=1048576  # ccdr.batch.max_bytes (default)

# rss_anon PID: the process's RssAnon in KiB.
rss_anon() { awk '/^RssAnon:/ { print $2 }' "/proc/$1/status"; }
# sample_start OUT PID...: samples RssAnon of every PID every 20 ms into OUT
# (one line "pid peak_kib" each) until sample_stop; left in sampler_pid.
sample_start() {
  local out="$1"
  shift
  rm -f "$work/sampler.stop"
  python3 - "$work/sampler.stop" "$out" "$@" <<'PY' &
import os, sys, time
stop, out, pids = sys.argv[1], sys.argv[2], sys.argv[3:]
peak = {p: 0 for p in pids}
while not os.path.exists(stop):
    for p in pids:
        try:
            with open(f"/proc/{p}/status") as f:
                for line in f:
                    if line.startswith("RssAnon:"):
                        peak[p] = max(peak[p], int(line.split()[1]))
        except OSError:
            pass
    time.sleep(0.02)
with open(out, "w") as f:
    for p in pids:
        f.write(f"{p} {peak[p]}\n")
PY
  sampler_pid=$!
}
sample_stop() { touch "$work/sampler.stop"; wait "$sampler_pid"; }
peak_of() { awk -v p="$2" '$1 == p { print $2 }' "$1"; }
mib() { python3 -c "print('%.1f' % ($1 / 1024))"; }

"$dr/gen-certs.sh" "$work/certs" A B >/dev/null
# Default frame limit (64 MiB): a transaction larger than a batch travels in
# TX_PART frames (protocol 5), so 3 000 000 nodes (~228 MiB) replicate too.
make_cluster A 1 "$work/certs/A/cluster"
make_cluster B 1 "$work/certs/B/cluster" --set "ccdr.backoff.max=500ms"
start_cluster A
start_cluster B
echo "date $(date -u '+%Y-%m-%d %H:%M UTC'), load average $(cut -d' ' -f1-3 /proc/loadavg), ccdr.batch.max_bytes $batch_bytes"

# replicate ADB BDB: creates replica database BDB of A's ADB on B and waits
# until it has A's last tx (left in tx), sampling both processes from their
# RssAnon before the creation (growth in a_repl, b_repl, KiB; time in repl_s).
replicate() {
  local a1 b1 t2 t3
  a1=$(rss_anon "${cluster_pid[A]}")
  b1=$(rss_anon "${cluster_pid[B]}")
  sample_start "$work/repl.peak" "${cluster_pid[A]}" "${cluster_pid[B]}"
  t2=$(date +%s.%N)
  q B -d system "CALL internal.dbms.createReplicaDatabase('$2', 1, 0, {remote: '$1', addresses: [$A_addrs]})" >/dev/null
  tx=$(wait_converged A "$1" B "$2" 3000)
  t3=$(date +%s.%N)
  sample_stop
  a_repl=$(($(peak_of "$work/repl.peak" "${cluster_pid[A]}") - a1))
  b_repl=$(($(peak_of "$work/repl.peak" "${cluster_pid[B]}") - b1))
  repl_s=$(python3 -c "print('%.1f' % ($t3 - $t2))")
}

round=0
for nodes in "${nodes_list[@]}"; do
  round=$((round + 1))
  db="big$round"
  q A -d system "CREATE DATABASE $db WAIT" >/dev/null
  q A -d system "CREATE DATABASE small$round WAIT" >/dev/null
  q A -d "small$round" "CREATE (:Seed {n: 0})" >/dev/null

  # --- A's own commit of the large transaction ----------------------------------------
  a0=$(rss_anon "${cluster_pid[A]}")
  sample_start "$work/commit.peak" "${cluster_pid[A]}"
  t0=$(date +%s.%N)
  q A -d "$db" "UNWIND range(1, $nodes) AS i CREATE (:Item {i: i, name: 'item-' + toString(i), pad: 'abcdefghijklmnopqrstuvwxyz0123456789'})" >/dev/null
  t1=$(date +%s.%N)
  sample_stop
  a_commit=$(($(peak_of "$work/commit.peak" "${cluster_pid[A]}") - a0))
  a_dir=$(find "$work/A/data" -type d -path "*databases/$db" | head -1)
  a_store="$a_dir/$(cat "$a_dir/CURRENT")"
  read -r big_tx payload < <(python3 "$log_segments" "$a_store" last)

  # --- the replication ----------------------------------------------------------------
  # A restarts: a fresh heap, so what its commit freed is not reused below.
  # A replica of a one-node database first: what creating a replica member
  # costs both sides whatever it replicates (the constant).
  stop_cluster A
  start_cluster A
  replicate "small$round" "small$round-replica"
  a_const=$a_repl b_const=$b_repl
  replicate "$db" "$db-replica"
  ((tx == big_tx)) || fail "$db-replica converged at tx $tx, the large transaction is tx $big_tx"
  python3 -c "
print('NODES %d payload %.1f MiB (tx %d): A commit %.1f s, A growth %s MiB'
      % ($nodes, $payload / 1048576, $big_tx, $t1 - $t0, '$(mib $a_commit)'))
print('  replication %s s: A growth %s MiB, B growth %s MiB (a one-node replica: A %s, B %s MiB; 2 x batch = 2.0 MiB)'
      % ('$repl_s', '$(mib $a_repl)', '$(mib $b_repl)', '$(mib $a_const)', '$(mib $b_const)'))"
  pass "$db-replica has the $nodes-node transaction (tx $tx)"
  parts_line=$(grep -oE "replica '$db-replica': applied tx $big_tx \([0-9]+ bytes\) in [0-9]+ parts(, as they arrived)?" "$work/B/logs/debug.log" || true)
  echo "  ${parts_line:-the replica applied tx $big_tx whole (no apply in parts)}"
  if ((expect_parts)); then
    [ -n "$parts_line" ] || fail "$db-replica did not apply tx $big_tx in parts"
    # Received in TX_PART frames (protocol 5), not whole and cut up on the replica.
    [[ "$parts_line" == *", as they arrived" ]] || fail "$db-replica received tx $big_tx whole: $parts_line"
    pass "$db-replica applied tx $big_tx in parts, as they arrived"
  fi
  q A -d system "DROP DATABASE $db" >/dev/null
  q B -d system "DROP DATABASE \`$db-replica\`" >/dev/null
done

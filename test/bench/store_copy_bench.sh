#!/usr/bin/env bash
# test/bench/store_copy_bench.sh: a store copy of a large database against
# `cp` of the same store files on the same disk, in the same run, and a store
# copy cut in the middle (issue 19).
#
# A 1-server upstream cluster A gets a database `foo` of SIZE MiB: nodes with
# 1 MiB random (incompressible for LZ4) string properties, 8 per transaction,
# with a log retention of 2 txs so the log is pruned. Then on a 1-server
# cluster B:
#  1. replica database foo-replica: its member is at tx 0, A answers LOG_PRUNED
#     and the member does a store copy. Timed from the member's "needs tx ...:
#     store copy" line to its "imported the snapshot" line (debug.log of B),
#     so it holds A's export, the transfer (chunks verified, spooled and
#     synced on B) and B's import. Then `cp` of A's member store files (the
#     file the copy reads from and its WAL, both in the page cache as the
#     copy's were) into a directory on the same disk, followed by `sync` of
#     the copies: what is timed is `cp FILES DEST/ && sync DEST/*`.
#  2. replica databases foo-stop and foo-crash: each one's store copy is cut
#     when its spool holds about 40%: B stops (SIGTERM), or dies (SIGKILL),
#     restarts, and the copy resumes. Printed: what B's spool held at the cut
#     and what its index had recorded (synced), the byte A resumed from, the
#     bytes B receives again (held at the cut minus the resume point) and the
#     bytes A sends again (sent before the cut minus the resume point: also
#     the chunks in flight that B never received).
# Goals printed beside the figures: copy >= 0.5x cp's MB/s; after the cut,
# the replica receives again at most one chunk of what it had received (the
# spool syncs every 32 MiB, and its index (its tail file) names every chunk written since, so
# a SIGKILL of B costs at most the chunk being written).
#
#   store_copy_bench.sh BUILD_DIR [--quick] [--size MIB]
# --quick (CTest bench.store_copy): 256 MiB. Full form (bench.store_copy.full,
#   also `long`): 5 GiB (5 120 MiB). --size overrides both.
# Needs 4-5x SIZE free on the disk of /tmp for the run (A's store, its export
# and spool, B's spool and store, the cp copy); everything is removed at the
# end. Asserts only that each copy completes and converges (exit 1
# otherwise); the ratios are printed, not asserted. The machine is shared:
# compare the figures of one run.
build="$(realpath "${1:?usage: store_copy_bench.sh BUILD_DIR [--quick] [--size MIB]}")"
shift
size_mib=5120
while (($#)); do
  case "$1" in
    --quick) size_mib=256; shift ;;
    --size) size_mib="$2"; shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
source "$(dirname "$0")/../integration/clusters/lib.sh"
command -v sqlite3 >/dev/null || { echo "sqlite3 is not installed: skipped"; exit 77; }

chunk=1048576  # ccdr.snapshot.chunk_bytes (default)
# Waits for a copy: 0.1 s tries, 60 s plus 0.2 s a MiB (a copy at 5 MB/s).
copy_tries=$((600 + size_mib * 2))
"$dr/gen-certs.sh" "$work/certs" A B >/dev/null
# A keeps an unused snapshot spool 2 minutes (not 10): three copies of SIZE would be kept at once.
make_cluster A 1 "$work/certs/A/cluster" --set "db.tx_log.rotation.retention_policy=2 txs" \
  --set "ccdr.snapshot.retention=2m"
make_cluster B 1 "$work/certs/B/cluster" --set "ccdr.backoff.max=500ms"
start_cluster A
start_cluster B
q A -d system "CREATE DATABASE foo WAIT" >/dev/null

# --- the store ------------------------------------------------------------------
per_tx=8
statements=$(((size_mib + per_tx - 1) / per_tx))
t0=$(date +%s.%N)
batch=16
for ((s = 0; s < statements; s += batch)); do
  : >"$work/fill.cypher"
  for ((k = s; k < s + batch && k < statements; k++)); do
    # 786 432 random bytes are 1 MiB of base64: no quotes, no backslashes.
    printf "UNWIND range(1, %d) AS i CREATE (:Blob {i: i, s: toString(i) + '%s'});\n" "$per_tx" \
      "$(head -c 786432 /dev/urandom | base64 -w0)" >>"$work/fill.cypher"
  done
  q A -d foo --fail-fast -f "$work/fill.cypher" >/dev/null || fail "filling foo failed at statement $s"
done
rm -f "$work/fill.cypher"
t1=$(date +%s.%N)
a_dir=$(find "$work/A/data" -type d -path "*databases/foo" | head -1)
a_store="$a_dir/$(cat "$a_dir/CURRENT")"
# The log is pruned to its retention (what makes B's members need a store copy).
pruned() { (($(python3 "$log_segments" "$a_store" summary | cut -d' ' -f1) > 1)); }
eventually --tries 600 pruned || fail "A's log of foo was not pruned"
a_files=("$a_store")
[ -s "$a_store-wal" ] && a_files+=("$a_store-wal")
store_bytes=$(du -cb "${a_files[@]}" | tail -1 | cut -f1)
python3 -c "print('store: %d MiB of node properties in %d transactions in %.1f s; A member store files %.1f MiB (%s)' % ($size_mib, $statements, $t1 - $t0, $store_bytes / 1048576, '$(basename "${a_files[0]}")${a_files[1]:+ + WAL}'))"

# epoch PATTERN FILE [N]: the time (s since the epoch) of the Nth (default 1st) line matching PATTERN.
epoch() {
  local line
  line=$(grep -E "$1" "$2" | sed -n "${3:-1}p")
  [ -n "$line" ] || fail "no line matching '$1' in $2"
  python3 -c "
import datetime, sys
print(datetime.datetime.strptime(' '.join(sys.argv[1].split()[:2]), '%Y-%m-%d %H:%M:%S.%f%z').timestamp())" "$line"
}
mbps() { python3 -c "print('%.1f' % ($1 / 1e6 / ($2)))"; }

# cpu_s PID: user + system CPU seconds of the process so far.
cpu_s() {
  awk -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); print ($12 + $13) / hz }' "/proc/$1/stat"
}

# --- 1. a whole store copy --------------------------------------------------------
a_cpu0=$(cpu_s "${cluster_pid[A]}")
b_cpu0=$(cpu_s "${cluster_pid[B]}")
q B -d system "CALL internal.dbms.createReplicaDatabase('foo-replica', 1, 0, {remote: 'foo', addresses: [$A_addrs]})" >/dev/null
tx=$(wait_converged A foo B foo-replica $copy_tries)
a_cpu=$(python3 -c "print('%.1f' % ($(cpu_s "${cluster_pid[A]}") - $a_cpu0))")
b_cpu=$(python3 -c "print('%.1f' % ($(cpu_s "${cluster_pid[B]}") - $b_cpu0))")
grep -q "replica 'foo-replica' starts a store copy" "$work/B/logs/debug.log" || fail "foo-replica converged without a store copy"
b_log="$work/B/logs/debug.log"
c0=$(epoch "replica 'foo-replica' needs tx .*: store copy" "$b_log")
c1=$(epoch "replica 'foo-replica' starts a store copy" "$b_log")
c2=$(epoch "replica 'foo-replica' received the snapshot" "$b_log")
c3=$(epoch "replica 'foo-replica' imported the snapshot" "$b_log")
snap_bytes=$(grep -oE "replica 'foo-replica' starts a store copy from .*, [0-9]+ bytes" "$b_log" | head -1 | grep -oE '[0-9]+ bytes' | cut -d' ' -f1)
export_line=$(grep -oE "exported a snapshot of 'foo' at tx [0-9]+ \([0-9]+ bytes in [0-9]+ms[^)]*\)" "$work/A/logs/debug.log" | head -1)
# A's host: how it wrote the snapshot file (a pinned file copy or a backup).
host_export_line=$(grep -oE "'foo' on [^:]+: snapshot at tx [0-9]+ written to [^ ]+ \([^)]*\)" "$work/A/logs/debug.log" | head -1 | sed 's/ written to [^ ]* / /')
# B's host: how it took the spool (renamed or copied) and what its check cost.
import_line=$(grep -oE "'foo-replica' on [^:]+: store replaced by a snapshot at tx [0-9]+ \([^)]*\)" "$b_log" | head -1)
copy_s=$(python3 -c "print($c3 - $c0)")
copy_mbps=$(mbps "$snap_bytes" "$copy_s")
python3 -c "import sys
print('store copy at tx $tx: snapshot %.1f MiB in %.1f s = $copy_mbps MB/s (until SNAPSHOT_BEGIN, A exporting: %.1f s; transfer into the spool: %.1f s; import: %.1f s); A: %s%s; B: %s; CPU seconds over the copy: A $a_cpu, B $b_cpu' % ($snap_bytes / 1048576, $copy_s, $c1 - $c0, $c2 - $c1, $c3 - $c2, sys.argv[1], ' (host: ' + sys.argv[3] + ')' if sys.argv[3] else ' (streamed)', sys.argv[2] or 'streamed import'))" "$export_line" "$import_line" "$host_export_line"

mkdir -p "$work/cp"
sync
p0=$(date +%s.%N)
cp "${a_files[@]}" "$work/cp/"
sync "$work/cp/"*
p1=$(date +%s.%N)
rm -rf "$work/cp"
cp_s=$(python3 -c "print($p1 - $p0)")
cp_mbps=$(mbps "$store_bytes" "$cp_s")
python3 -c "
r = $copy_mbps / $cp_mbps
print('cp of the same store files (%.1f MiB) + sync: %.1f s = $cp_mbps MB/s; store copy / cp = %.2fx (goal >= 0.5x: %s)'
      % ($store_bytes / 1048576, $cp_s, r, 'met' if r >= 0.5 else 'MISSED'))"
pass "foo-replica converged at tx $tx after a store copy"
q B -d system "DROP DATABASE \`foo-replica\`" >/dev/null  # its store leaves the disk

# --- 2. store copies cut in the middle -----------------------------------------------
# cut_copy NAME SIGNAL: replica database NAME's store copy is cut when its spool
# holds 40% of the snapshot: B gets SIGNAL (TERM: the server stops; KILL: it
# dies), restarts, and the copy resumes.
cut_copy() {
  local name="$1" sig="$2" a_log="$work/A/logs/debug.log" ended_before idx snap_id cut_total recorded held
  local sent_before resumed_from tx resent rereceived
  ended_before=$(grep -c "store copy of 'foo' to .* ended at byte" "$a_log" || true)
  q B -d system "CALL internal.dbms.createReplicaDatabase('$name', 1, 0, {remote: 'foo', addresses: [$A_addrs]})" >/dev/null
  index_file() { find "$work/B/data" -name "replica-$name-*.index" | head -1; }
  # past40: the spool holds 40% or more (index fields: magic id tx time total synced ...).
  past40() {
    local f
    f=$(index_file)
    [ -n "$f" ] && [ -e "${f%.index}.snapshot" ] &&
      awk -v held="$(stat -c %s "${f%.index}.snapshot")" '$5 > 0 && held * 100 >= $5 * 40 { ok = 1 } END { exit !ok }' "$f"
  }
  eventually --tries $copy_tries --every 0.02 past40 || fail "$name's store copy never reached 40%"
  if [ "$sig" = TERM ]; then stop_cluster B; else kill9_cluster B; fi
  idx=$(index_file)
  # Index fields: magic id tx time total synced [tail count, then end and
  # hash per chunk written since the sync: an index of a release before the
  # tail file]; the tail file beside it: a line "end hash" per chunk written
  # since the sync. The copy resumes after the last chunk of the tail that
  # the spool file holds.
  read -r _ snap_id _ _ cut_total synced ntail _ <"$idx"
  recorded=$synced
  if ((${ntail:-0} > 0)); then recorded=$(awk '{ print $(NF - 1) }' "$idx"); fi
  tail_file="${idx%.index}.tail"
  if [ -s "$tail_file" ]; then
    recorded=$(awk -v r="$recorded" 'NF == 2 && $1 > r { r = $1 } END { print r }' "$tail_file")
  fi
  held=$(stat -c %s "${idx%.index}.snapshot")
  cut_ended() { (($(grep -c "store copy of 'foo' to .* ended at byte" "$a_log") > ended_before)); }
  eventually --tries 600 cut_ended || fail "A did not log the end of $name's cut store copy"
  sent_before=$(grep -oE "store copy of 'foo' to .* ended at byte [0-9]+ of $cut_total " "$a_log" | tail -1 |
    grep -oE "ended at byte [0-9]+" | grep -oE '[0-9]+$')
  start_cluster B
  tx=$(wait_converged A foo B "$name" $copy_tries)
  resumed_from=$(grep -oE "store copy of 'foo' to .*: snapshot at tx [0-9]+, $cut_total bytes, from byte [0-9]+" "$a_log" |
    tail -1 | grep -oE '[0-9]+$')
  grep -q "replica '$name' resumes the store copy .* at byte $resumed_from of $cut_total" "$b_log" ||
    fail "$name did not resume the copy at byte $resumed_from"
  ((resumed_from > 0)) || fail "$name's cut copy started over from byte 0"
  ((resumed_from == recorded)) || fail "A resumed $name at byte $resumed_from, B's spool index had $recorded"
  resent=$((sent_before - resumed_from))
  rereceived=$((held - resumed_from))
  python3 -c "
print('SIG$sig at %.0f%% of %d bytes: B held %d bytes in its spool (in its index: %d, of which synced: %d); A had sent %d; A resumed at byte %d'
      % ($held * 100 / $cut_total, $cut_total, $held, $recorded, $synced, $sent_before, $resumed_from))
print('  received again after the cut: %d bytes = %.2f chunks (goal <= 1 chunk: %s); sent again: %d bytes = %.2f chunks (the rest was in flight, never received)'
      % ($rereceived, $rereceived / $chunk, 'met' if $rereceived <= $chunk else 'MISSED', $resent, $resent / $chunk))"
  pass "$name resumed at byte $resumed_from after SIG$sig and converged at tx $tx"
  q B -d system "DROP DATABASE \`$name\`" >/dev/null
}
cut_copy foo-stop TERM
cut_copy foo-crash KILL

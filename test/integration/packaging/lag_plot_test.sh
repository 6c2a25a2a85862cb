#!/usr/bin/env bash
# lag-plot.sh turns a lag CSV, and the refhost's metric CSV files, into PNGs
# of non-trivial size.
#   lag_plot_test.sh PATH/TO/lag-plot.sh
set -euo pipefail
plot="${1:?usage: lag_plot_test.sh LAG_PLOT}"
if ! command -v gnuplot >/dev/null && [ "$(id -u)" -ne 0 ]; then
  echo "gnuplot is not installed and this is not root (apt-get install gnuplot-nox): skipped"
  exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

is_png() {  # FILE MIN_BYTES
  local magic size
  magic=$(od -An -tx1 -N8 "$1" | tr -d ' \n')
  size=$(stat -c %s "$1")
  if [ "$magic" != "89504e470d0a1a0a" ]; then
    echo "$1 is not a PNG (first bytes $magic)" >&2
    return 1
  fi
  if [ "$size" -lt "$2" ]; then
    echo "$1 is only $size bytes (expected at least $2)" >&2
    return 1
  fi
  echo "$1: PNG, $size bytes"
}

# A catch-up: lag rises while the replica is disconnected, then drains.
{
  echo "time,lag_seconds,lag_tx"
  for i in $(seq 0 120); do
    if [ "$i" -lt 60 ]; then s=$i tx=$((i * 150)); else s=$(((120 - i) / 2)) tx=$(((120 - i) * 150)); fi
    echo "$((1800000000 + i)),$s,$tx"
  done
} >"$tmp/lag.csv"
"$plot" --title "catch-up" "$tmp/lag.csv" "$tmp/lag.png"
is_png "$tmp/lag.png" 10000

# The refhost's own metric files (t,value rows at the same instants).
mkdir "$tmp/metrics"
{ echo "t,value"; for i in $(seq 0 30); do echo "$((1800000000 + i)),$((i % 7))"; done; } \
  >"$tmp/metrics/neo4j.database.foo-replica.ccdr.replica.lag_seconds.csv"
{ echo "t,value"; for i in $(seq 0 30); do echo "$((1800000000 + i)),$((i % 7 * 40))"; done; } \
  >"$tmp/metrics/neo4j.database.foo-replica.ccdr.replica.lag_tx.csv"
"$plot" --metrics "$tmp/metrics" foo-replica "$tmp/metrics.png"
is_png "$tmp/metrics.png" 10000

# No rows is an error, not an empty picture.
echo "time,lag_seconds,lag_tx" >"$tmp/empty.csv"
if "$plot" "$tmp/empty.csv" "$tmp/empty.png" 2>/dev/null; then
  echo "lag-plot.sh accepted a CSV without rows" >&2
  exit 1
fi
[ ! -e "$tmp/empty.png" ] || { echo "lag-plot.sh wrote a PNG without rows" >&2; exit 1; }
echo "lag-plot.sh: ok"

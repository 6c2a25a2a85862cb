#!/usr/bin/env bash
# Draws replica lag over time as a PNG: lag in seconds (left axis) and in
# transactions (right axis), so a reader sees what the numbers mean.
#
#   lag-plot.sh [--title TEXT] LAG.csv OUT.png
#       LAG.csv: rows "time,lag_seconds,lag_tx"; time in seconds (Unix time
#       or since the start); lines that do not start with a digit (a
#       header) are skipped.
#   lag-plot.sh [--title TEXT] --metrics METRICS_DIR DATABASE OUT.png
#       joins the refhost's CSV files METRICS_DIR/<prefix>.database.DATABASE.
#       ccdr.replica.lag_seconds.csv and ...lag_tx.csv on their time column.
#
# Needs gnuplot (Debian: gnuplot-nox); installs it with apt-get when missing
# and the script runs as root (or sudo works).
set -euo pipefail

usage() {
  sed -n '4,12p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

title="replica lag"
if [ "${1:-}" = "--title" ]; then
  title="${2:?--title needs a value}"
  shift 2
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
data="$tmp/lag.dat"

if [ "${1:-}" = "--metrics" ]; then
  [ $# -eq 4 ] || usage
  dir="$2" db="$3" out="$4"
  seconds=$(find "$dir" -maxdepth 1 -name "*.database.$db.ccdr.replica.lag_seconds.csv" | head -n 1)
  tx=$(find "$dir" -maxdepth 1 -name "*.database.$db.ccdr.replica.lag_tx.csv" | head -n 1)
  if [ -z "$seconds" ] || [ -z "$tx" ]; then
    echo "lag-plot.sh: no lag_seconds/lag_tx CSV files for database $db in $dir" >&2
    exit 1
  fi
  # Both files have "t,value" rows written at the same instants.
  awk -F, 'NR == FNR { if ($1 ~ /^[0-9]/) { s[$1] = $2 } next }
           $1 ~ /^[0-9]/ && ($1 in s) { print $1, s[$1], $2 }' "$seconds" "$tx" >"$data"
else
  [ $# -eq 2 ] || usage
  in="$1" out="$2"
  [ -r "$in" ] || { echo "lag-plot.sh: cannot read $in" >&2; exit 1; }
  awk -F, '$1 ~ /^[0-9]/ && NF >= 3 { print $1, $2, $3 }' "$in" >"$data"
fi

rows=$(wc -l <"$data")
if [ "$rows" -lt 1 ]; then
  echo "lag-plot.sh: no data rows to plot" >&2
  exit 1
fi

if ! command -v gnuplot >/dev/null 2>&1; then
  sudo_cmd=()
  if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi
  echo "lag-plot.sh: installing gnuplot-nox" >&2
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends gnuplot-nox >&2
fi

# Times are shown relative to the first row, so Unix times and times since
# the start read the same.
t0=$(awk 'NR == 1 { print $1 }' "$data")
gnuplot <<GNUPLOT
set terminal pngcairo size 1000,500 font "sans,10"
set output "$out"
set title "$(printf '%s' "$title" | sed 's/"/\\"/g')"
set datafile separator " "
set xlabel "time (s)"
set ylabel "lag (seconds)"
set y2label "lag (transactions)"
set ytics nomirror
set y2tics
set yrange [0:*]
set y2range [0:*]
set grid
set key top left
plot "$data" using (\$1 - $t0):2 with lines lw 2 lc rgb "#c0392b" title "lag seconds" axes x1y1, \
     "$data" using (\$1 - $t0):3 with lines lw 2 lc rgb "#2471a3" title "lag transactions" axes x1y2
GNUPLOT
echo "lag-plot.sh: wrote $out ($rows points)"

#!/bin/bash
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
#       METRICS_DIR: HOME/metrics/SERVER with SERVER as SHOW SERVERS names
#       it (server-1), or the folder holding the files (HOME/metrics/<server
#       id> of a home of several servers, HOME/metrics of a one-server home).
#
# Installed by the ccdr-refhost package as ccdr-lag-plot (man ccdr-lag-plot).
# A server name is mapped to the folder of its server id through the table
# "servers" of HOME/data/system/system.db, read with sqlite3 (the refhost
# may be running). Needs gnuplot (Debian: gnuplot-nox); installs it with
# apt-get when missing and the script runs as root (or sudo works).
# Exit codes: 0 the PNG is written (or --help); 1 no data (no such server, no files,
# no rows) or a tool failed; 2 the command line is wrong.
set -euo pipefail
me="$(basename "$0")"

usage() {  # usage CODE: --help prints to stdout and exits 0, a wrong command line to stderr, 2
  local text
  text="$(sed -n '5,15p' "$0" | sed 's/^# \{0,1\}//' | sed "s/lag-plot\.sh/$me/")"
  if [ "$1" = 0 ]; then echo "$text"; else echo "$text" >&2; fi
  exit "$1"
}
fail() {
  echo "$me: $*" >&2
  exit 1
}

# The folder holding the metric files of METRICS_DIR (see above); prints it.
metrics_folder() {
  local dir="$1" name root home conf data db rows id count
  if [ -d "$dir" ]; then
    echo "$dir"
    return
  fi
  name="$(basename "$dir")"
  root="$(dirname "$dir")"
  home="$(dirname "$root")"
  [ -d "$root" ] || fail "no folder $root (METRICS_DIR is HOME/metrics/SERVER or a folder of metric files)"
  # The data folder: server.directories.data of HOME/conf/neo4j.conf, else HOME/data.
  data="data"
  conf="$home/conf/neo4j.conf"
  if [ -r "$conf" ]; then
    data="$(sed -n 's/^[[:space:]]*server\.directories\.data[[:space:]]*=[[:space:]]*//p' "$conf" | tail -n 1)"
    data="${data:-data}"
  fi
  [[ "$data" == /* ]] || data="$home/$data"
  db="$data/system/system.db"
  [ -f "$db" ] || fail "$dir is not a folder, and $db, which names the servers of $home, does not exist:" \
    "give the folder of the server id (SHOW SERVERS YIELD name, serverId)"
  command -v sqlite3 >/dev/null 2>&1 ||
    fail "mapping the server name $name to its folder needs sqlite3 (apt-get install sqlite3);" \
      "or give the folder of the server id (SHOW SERVERS YIELD name, serverId)"
  rows="$(sqlite3 -readonly -separator ' ' "$db" 'SELECT name, id FROM servers ORDER BY idx')" ||
    fail "cannot read the servers of $db"
  id="$(awk -v n="$name" '$1 == n { print $2 }' <<<"$rows")"
  [ -n "$id" ] || fail "no server $name in $home (its servers: $(awk '{ print $1 }' <<<"$rows" | paste -sd ' '))"
  count="$(wc -l <<<"$rows")"
  # A home of one server writes its metric files into the metrics folder itself.
  if [ "$count" -eq 1 ]; then
    echo "$me: $name's metrics: $root" >&2
    echo "$root"
  else
    echo "$me: $name's metrics: $root/$id" >&2
    echo "$root/$id"
  fi
}

case "${1:-}" in -h | --help) usage 0 ;; esac
title="replica lag"
if [ "${1:-}" = "--title" ]; then
  [ $# -ge 2 ] || { echo "$me: --title needs a value" >&2; exit 2; }
  title="$2"
  shift 2
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
data="$tmp/lag.dat"

if [ "${1:-}" = "--metrics" ]; then
  [ $# -eq 4 ] || usage 2
  dir="$(metrics_folder "$2")" db="$3" out="$4"
  seconds=$(find "$dir" -maxdepth 1 -name "*.database.$db.ccdr.replica.lag_seconds.csv" | head -n 1)
  tx=$(find "$dir" -maxdepth 1 -name "*.database.$db.ccdr.replica.lag_tx.csv" | head -n 1)
  if [ -z "$seconds" ] || [ -z "$tx" ]; then
    echo "$me: no lag_seconds/lag_tx CSV files for database $db in $dir" >&2
    exit 1
  fi
  # Both files have "t,value" rows written at the same instants.
  awk -F, 'NR == FNR { if ($1 ~ /^[0-9]/) { s[$1] = $2 } next }
           $1 ~ /^[0-9]/ && ($1 in s) { print $1, s[$1], $2 }' "$seconds" "$tx" >"$data"
else
  [ $# -eq 2 ] || usage 2
  in="$1" out="$2"
  [ -r "$in" ] || { echo "$me: cannot read $in" >&2; exit 1; }
  awk -F, '$1 ~ /^[0-9]/ && NF >= 3 { print $1, $2, $3 }' "$in" >"$data"
fi

rows=$(wc -l <"$data")
if [ "$rows" -lt 1 ]; then
  echo "$me: no data rows to plot" >&2
  exit 1
fi

if ! command -v gnuplot >/dev/null 2>&1; then
  sudo_cmd=()
  if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi
  echo "$me: installing gnuplot-nox" >&2
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends gnuplot-nox >&2
fi

# Times are shown relative to the first row, so Unix times and times since
# the start read the same.
t0=$(awk 'NR == 1 { print $1 }' "$data")
# An axis whose values are all 0 (a replica that never lagged) gets the
# range 0..1, not gnuplot's "empty range" warning.
range() { awk -v c="$1" '$c > 0 { up = 1 } END { print (up ? "[0:*]" : "[0:1]") }' "$data"; }
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
set yrange $(range 2)
set y2range $(range 3)
set grid
set key top left
plot "$data" using (\$1 - $t0):2 with lines lw 2 lc rgb "#c0392b" title "lag seconds" axes x1y1, \
     "$data" using (\$1 - $t0):3 with lines lw 2 lc rgb "#2471a3" title "lag transactions" axes x1y2
GNUPLOT
echo "$me: wrote $out ($rows points)"

#!/bin/bash
# Creates a refhost home for one cluster: conf/neo4j.conf with N logical
# servers on 127.0.0.1, plugins/ holding libccdr.so, certificates/cluster
# from gen-certs.sh output, data/, logs/, metrics/. Installed by the
# ccdr-refhost package as ccdr-make-home (man ccdr-make-home).
#
#   make-home.sh HOME --servers N --bolt-port P --cluster-port Q
#                [--modes PRIMARY,PRIMARY,SECONDARY,...] [--certs DIR] [--plugin PATH]
#                [--prometheus-port R] [--password PW] [--refhost PATH] [--set key=value ...]
#
# Server i (1-based) gets Bolt port P+i-1 and cluster port Q+i-1. With
# --certs, the cluster SSL policy is enabled with DIR (a gen-certs.sh
# <cluster>/cluster folder); without it, with --plugin, ccdr.allow_plaintext=true
# is set (without a plugin no server declares that key and refhost refuses it).
# --password sets the password of user neo4j with `refhost
# set-initial-password`; refhost is --refhost PATH, else `refhost` on PATH,
# else the refhost of a build tree of the source tree this script is in
# (build/default first, then the other presets).
#
# HOME must not exist or be empty. The home is written in a folder next to
# it and moved into place only when complete (with its user, when
# --password is given), so a failure leaves no home behind.
# Exit codes: 0 the home is written (or --help); 1 a step failed (refhost refused the
# settings, a copy failed), nothing written; 2 the command line is wrong
# (unknown option, bad value, HOME not empty, --certs or --plugin missing),
# nothing written; 3 --password given and no refhost found, nothing written.
set -euo pipefail
me="$(basename "$0")"

usage() {  # usage CODE: --help prints to stdout and exits 0, a wrong command line to stderr, 2
  local text="usage: $me HOME --servers N --bolt-port P --cluster-port Q [--modes M,M,...] [--certs DIR]
       [--plugin PATH] [--prometheus-port R] [--password PW] [--refhost PATH] [--set key=value ...]
       (man ccdr-make-home)"
  if [ "$1" = 0 ]; then echo "$text"; else echo "$text" >&2; fi
  exit "$1"
}
bad() {  # a wrong command line: nothing has been written
  echo "$me: $*" >&2
  exit 2
}

[ $# -ge 1 ] || usage 2
case "$1" in -h | --help) usage 0 ;; -*) bad "the first argument is the HOME to create, not '$1'" ;; esac
home="$1"
shift
servers=1 bolt=7687 cluster=6000 modes="" certs="" plugin="" prom="" password="" have_password=0 refhost=""
extra=()
while (($#)); do
  opt="$1"
  case "$opt" in
    --servers | --bolt-port | --cluster-port | --modes | --certs | --plugin | --prometheus-port | --password | \
      --refhost | --set)
      [ $# -ge 2 ] || bad "$opt needs a value"
      val="$2"
      shift 2
      ;;
    -h | --help) usage 0 ;;
    *) bad "unknown option '$opt'" ;;
  esac
  case "$opt" in
    --servers) servers="$val" ;;
    --bolt-port) bolt="$val" ;;
    --cluster-port) cluster="$val" ;;
    --modes) modes="$val" ;;
    --certs) certs="$val" ;;
    --plugin) plugin="$val" ;;
    --prometheus-port) prom="$val" ;;
    --password) password="$val" have_password=1 ;;
    --refhost) refhost="$val" ;;
    --set) extra+=("$val") ;;
  esac
done

# --- everything is checked before anything is written -------------------------
number() {  # number OPTION VALUE MIN MAX
  [[ "$2" =~ ^[0-9]+$ ]] && ((10#$2 >= $3 && 10#$2 <= $4)) || bad "$1 must be a number from $3 to $4, not '$2'"
}
number --servers "$servers" 1 99
servers=$((10#$servers))
number --bolt-port "$bolt" 1 $((65536 - servers))
number --cluster-port "$cluster" 1 $((65536 - servers))
[ -z "$prom" ] || number --prometheus-port "$prom" 1 65535
IFS=, read -r -a mode_list <<<"$modes"
((${#mode_list[@]} <= servers)) || bad "--modes names ${#mode_list[@]} modes for $servers servers"
for m in "${mode_list[@]}"; do
  case "$m" in PRIMARY | SECONDARY | NONE) ;; *) bad "--modes: '$m' is not PRIMARY, SECONDARY or NONE" ;; esac
done
for kv in "${extra[@]}"; do
  [[ "$kv" == ?*=* ]] || bad "--set takes key=value, not '$kv'"
done
if [ -n "$certs" ]; then
  for f in public.crt private.key trusted; do
    [ -e "$certs/$f" ] || bad "--certs $certs has no $f: give a ccdr-gen-certs OUT_DIR/<cluster>/cluster folder"
  done
fi
[ -z "$plugin" ] || [ -f "$plugin" ] || bad "--plugin $plugin is not a file"
((have_password == 0)) || [ -n "$password" ] || bad "--password must not be empty"
if [ -e "$home" ] && { [ ! -d "$home" ] || [ -n "$(ls -A "$home")" ]; }; then
  bad "$home exists and is not an empty folder: $me writes new homes only"
fi

# refhost, needed for --password: --refhost, PATH, then a build tree of the
# source tree this script is in.
if ((have_password)); then
  if [ -n "$refhost" ]; then
    [ -x "$refhost" ] && [ -f "$refhost" ] || {
      echo "$me: --refhost $refhost is not an executable file; nothing written" >&2
      exit 3
    }
  elif command -v refhost >/dev/null 2>&1; then
    refhost="$(command -v refhost)"
  else
    src="$(cd "$(dirname "$0")" && pwd)"
    for b in "$src/../../build/default" "$src"/../../build/*; do
      if [ -x "$b/examples/refhost/refhost" ]; then
        refhost="$(cd "$b/examples/refhost" && pwd)/refhost"
        break
      fi
    done
    [ -n "$refhost" ] || {
      echo "$me: --password needs refhost (it runs 'refhost set-initial-password') and none was found:" \
        "give --refhost PATH, put refhost on PATH (the ccdr-refhost package installs /usr/bin/refhost)," \
        "or build it (scripts/setup.sh); nothing written" >&2
      exit 3
    }
  fi
fi

# --- the home, written next to HOME and moved into place when complete --------
parent="$(dirname "$home")"
mkdir -p "$parent" || exit 1
stage="$(mktemp -d "$parent/.$(basename "$home").make-home.XXXXXX")" || exit 1
trap 'rm -rf "$stage"' EXIT
trap 'exit 1' ERR
chmod "$(printf '%o' $((0777 & ~0$(umask))))" "$stage"  # mktemp makes 0700; a home gets the umask's mode

mkdir -p "$stage"/{conf,plugins,data,logs,metrics,certificates}
conf="$stage/conf/neo4j.conf"
{
  echo "# Generated by ccdr-make-home: one cluster of $servers logical servers."
  for ((i = 1; i <= servers; i++)); do
    echo "refhost.server.$i.bolt.listen_address=127.0.0.1:$((bolt + i - 1))"
    echo "refhost.server.$i.cluster.listen_address=127.0.0.1:$((cluster + i - 1))"
    m="${mode_list[$((i - 1))]:-NONE}"
    echo "refhost.server.$i.mode_constraint=$m"
  done
  if [ -n "$certs" ]; then
    echo "dbms.ssl.policy.cluster.enabled=true"
    echo "dbms.ssl.policy.cluster.client_auth=REQUIRE"
  elif [ -n "$plugin" ]; then
    echo "ccdr.allow_plaintext=true"
  fi
  echo "server.metrics.csv.interval=1s"
  if [ -n "$prom" ]; then
    echo "server.metrics.prometheus.enabled=true"
    echo "server.metrics.prometheus.endpoint=127.0.0.1:$prom"
  fi
  for kv in "${extra[@]}"; do echo "$kv"; done
} >"$conf"
if [ -n "$certs" ]; then
  cp -r "$certs" "$stage/certificates/cluster"
fi
if [ -n "$plugin" ]; then
  cp "$plugin" "$stage/plugins/libccdr.so"
fi
if ((have_password)); then
  if ! out="$("$refhost" set-initial-password --home "$stage" "$password" 2>&1)"; then
    echo "$me: $refhost set-initial-password failed; nothing written:" >&2
    echo "$out" >&2
    exit 1
  fi
fi
if [ -d "$home" ]; then
  rmdir "$home"
fi
mv -T "$stage" "$home"
trap - EXIT

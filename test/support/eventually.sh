# test/support/eventually.sh: the one way a bash test waits for a condition
# (source it). A test never sleeps a fixed time and then checks.
#   eventually [--tries N] [--every SECONDS] COMMAND [ARGS...]
# runs COMMAND until it succeeds (returns 0) or has failed N times (default
# 300), SECONDS apart (default 0.1); returns 1 then. Safe under `set -e`.
eventually() {
  local tries=300 every=0.1
  while (($#)); do
    case "$1" in
      --tries) tries="$2"; shift 2 ;;
      --every) every="$2"; shift 2 ;;
      *) break ;;
    esac
  done
  local i
  for ((i = 0; i < tries; i++)); do
    if "$@"; then
      return 0
    fi
    sleep "$every"
  done
  return 1
}

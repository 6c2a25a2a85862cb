#!/usr/bin/env bash
# promtool with the given arguments; exit 77 (skipped) when it is missing.
# promtool comes with Debian's prometheus package (scripts/setup.sh).
set -euo pipefail
if ! command -v promtool >/dev/null; then
  echo "promtool is not installed (apt-get install prometheus; scripts/setup.sh installs it): skipped"
  exit 77
fi
exec promtool "$@"

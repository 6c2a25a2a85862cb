#!/usr/bin/env bash
# Runs every test: sets up (packages, npm ci, build), then CTest on the
# default preset. Slow suites (labels `long`, `bench`) run only in their
# short forms here; run them in full with `ctest -L long`.
#   scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh default
cd build/default
echo "== ctest"
ctest --output-on-failure --timeout 900 -LE '^(long|bench)$' -j2

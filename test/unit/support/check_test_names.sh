#!/usr/bin/env bash
# check_test_names.sh TEST_DIR: no Catch2 test name holds a ';'. CTest takes
# ';' for a list separator: catch_discover_tests registers such a test under
# the name cut at the ';', whose filter then matches no test case, and the
# CTest test passes without running anything (12 did, until this check).
set -euo pipefail
dir="${1:?usage: check_test_names.sh TEST_DIR}"
found=$(grep -rnE --include='*.cpp' --include='*.hpp' 'TEST_CASE\("[^"]*;' "$dir" || true)
if [ -n "$found" ]; then
  echo "Catch2 test names with ';' (CTest would run none of them):" >&2
  echo "$found" >&2
  exit 1
fi
echo "no Catch2 test name under $dir holds a ';'"

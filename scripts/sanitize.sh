#!/usr/bin/env bash
# Builds a sanitizer preset and runs the test suites in it, so that every
# process a test starts (the test executables, and the refhost, ccdr-shell and
# crash-writer processes that the integration tests start) runs instrumented.
#   scripts/sanitize.sh [asan|tsan] [ctest args...]
# Without ctest args: `-L '^unit$'`, then `-L '^integration$' -LE '^long$'`.
# With ctest args: one ctest run with exactly those (e.g. `-L '^unit$'`, or
# `-R '^integration\.faults\.'`).
#
# Where reports go (docs/reliability.md §6): AddressSanitizer,
# LeakSanitizer and ThreadSanitizer write each report to
# build/<preset>/sanitizer-logs/<asan|tsan>.<program>.<pid>, whichever process
# it came from, so a report in a refhost that a script started is kept even
# when the script deletes the refhost's output. The run fails if that
# directory holds any report, even when every test passed, and prints them.
# UBSan (GCC's, bundled in libasan) ignores log_path and writes to the
# process's stderr; every check is fatal (-fno-sanitize-recover=all), so the
# process stops at the first finding, and the refhost fault scripts
# (test/integration/clusters/lib.sh) fail when a refhost's output holds a report.
#
# CCDR_SANITIZE_TARGETS="t1 t2": build only these targets (scripts/test.sh
# builds the unit-test executables only); default: the whole tree.
set -euo pipefail
cd "$(dirname "$0")/.."
preset="${1:-asan}"
case "$preset" in
  asan | tsan) ;;
  *) echo "usage: scripts/sanitize.sh [asan|tsan] [ctest args...]" >&2; exit 2 ;;
esac
shift || true
root="$PWD"
build="$root/build/$preset"
suppressions="$root/test/sanitizers"

export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$root}" CCACHE_NOHASHDIR=1
started=$(date +%s)
echo "== $preset: configure and build"
cmake --preset "$preset" >/dev/null
targets=()
for t in ${CCDR_SANITIZE_TARGETS:-}; do targets+=(--target "$t"); done
nice -n 10 cmake --build "$build" -j2 "${targets[@]}"
echo "== $preset: configured and built in $(($(date +%s) - started)) s"

logs="$build/sanitizer-logs"
rm -rf "$logs"
mkdir -p "$logs"
# halt_on_error: stop at the first report with a non-zero exit (ASan 1,
# TSan 66). No abort_on_error: TSan raising SIGABRT from inside a mutex
# interceptor, with Catch2's signal handler installed, hung a test for 10 min
# instead of failing it.
common="halt_on_error=1:log_exe_name=1"
export ASAN_OPTIONS="$common:detect_leaks=1:log_path=$logs/asan"
export LSAN_OPTIONS="suppressions=$suppressions/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
export TSAN_OPTIONS="$common:second_deadlock_stack=1:log_path=$logs/tsan:suppressions=$suppressions/tsan.supp:print_suppressions=0"

status=0
run_ctest() {
  local t0
  t0=$(date +%s)
  echo "== $preset: ctest $*"
  ctest --test-dir "$build" --output-on-failure --timeout 1800 -j2 "$@" || status=1
  echo "== $preset: ctest $* took $(($(date +%s) - t0)) s"
}
if (($#)); then
  run_ctest "$@"
else
  run_ctest -L '^unit$'
  run_ctest -L '^integration$' -LE '^long$'
fi

reports=("$logs"/*)
if [ -e "${reports[0]}" ]; then
  echo "== $preset: ${#reports[@]} sanitizer report(s) in $logs:" >&2
  for r in "${reports[@]}"; do
    echo "---- $r" >&2
    head -60 "$r" >&2
  done
  status=1
else
  echo "== $preset: no sanitizer report"
fi
exit "$status"

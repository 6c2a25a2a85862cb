#!/bin/bash
# The operator pages as a test: stages the tools under the names the
# packages install them with (packaging/Packaging.cmake: ccdr-gen-certs,
# ccdr-make-home, ccdr-lag-plot, refhost, ccdr-shell in bin/, libccdr.so in
# plugins/, as /usr/bin and /usr/lib/ccdr/plugins hold them), then runs
# every shell block of the pages in order in a fresh scratch directory
# (run_docs.py; the convention is at the top of docs/operations.md).
#   docs_test.sh BUILD_DIR SCRATCH [run_docs.py options] PAGE.md...
set -euo pipefail
build="$(cd "$1" && pwd)"
scratch="$2"
shift 2
src="$(cd "$(dirname "$0")/../../.." && pwd)"
rm -rf "$scratch"
mkdir -p "$scratch/work" "$scratch/bin" "$scratch/plugins"
# Copies, as the packages install them (not links: a script must not find
# its source tree through its own path).
install -m 755 "$src/examples/dr/gen-certs.sh" "$scratch/bin/ccdr-gen-certs"
install -m 755 "$src/examples/dr/make-home.sh" "$scratch/bin/ccdr-make-home"
install -m 755 "$src/examples/monitoring/lag-plot.sh" "$scratch/bin/ccdr-lag-plot"
install -m 755 "$build/examples/refhost/refhost" "$scratch/bin/refhost"
install -m 755 "$build/examples/refhost/ccdr-shell" "$scratch/bin/ccdr-shell"
install -m 644 "$build/plugin/libccdr.so" "$scratch/plugins/libccdr.so"
# The pages name files of the source tree (examples/monitoring/...) as an
# operator in a checkout has them: the scratch directory links them.
ln -s "$src/examples" "$scratch/work/examples"
# §8's clients (examples/clients/*.js) use the official driver, as test/e2e
# installs it (npm ci there): an operator has it next to them or on NODE_PATH.
command -v node >/dev/null || { echo "docs_test.sh: node is not installed (§8 runs node clients)" >&2; exit 1; }
if ! [ -f "$src/test/e2e/node_modules/neo4j-driver/package.json" ]; then
  echo "docs_test.sh: neo4j-driver is not installed: run npm ci in $src/test/e2e" >&2
  exit 1
fi
export NODE_PATH="$src/test/e2e/node_modules${NODE_PATH:+:$NODE_PATH}"
exec python3 "$src/test/e2e/docs/run_docs.py" --scratch "$scratch/work" --bin "$scratch/bin" \
  --plugins "$scratch/plugins" "$@"

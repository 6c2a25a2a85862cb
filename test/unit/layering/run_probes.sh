#!/usr/bin/env bash
# The plugin's layers, as plugin/CMakeLists.txt declares them, enforced by
# the build: in a scratch build of the plugin (test/unit/layering/), a file
# of one layer that includes a header of a layer it may not use fails to
# compile at that #include, and the same file including a header it may use
# compiles (so a failure is the layering's, not a broken setup's). Then a
# check of the tree: no plugin source reaches another folder with "../",
# the one way around per-layer include roots.
#   run_probes.sh <source dir> <scratch dir> <c compiler> <c++ compiler>
set -euo pipefail
src="$1" scratch="$2" cc="$3" cxx="$4"

# layer:header — must not compile (the first is the issue's own example).
forbidden=(
  protocol:transport/connection.hpp
  runtime:transport/connection.hpp
  settings:runtime/io_runtime.hpp
  transport:session/exchange.hpp
  transport:upstream/upstream_service.hpp
  session:replica/upstream_dialer.hpp
  upstream:replica/replica_member.hpp
  replica:upstream/upstream_service.hpp
  procedures:upstream/upstream_service.hpp
  replica:engine_context.hpp
  procedures:ccdr_plugin.hpp
)
# layer:header — must compile (controls).
allowed=(
  protocol:protocol/frame.hpp
  transport:settings/tls_policy.hpp
  procedures:session/replica_config.hpp
)

probes=("${forbidden[@]}" "${allowed[@]}")
rm -rf "$scratch"
cmake -S "$src/test/unit/layering" -B "$scratch" -G Ninja \
  -DCMAKE_C_COMPILER="$cc" -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCCDR_SOURCE_DIR="$src" "-DCCDR_PROBES=$(IFS=';'; echo "${probes[*]}")" >"$scratch.configure.log" 2>&1 || {
  cat "$scratch.configure.log"
  echo "FAIL: the scratch build did not configure"
  exit 1
}

failures=0
index=0
for probe in "${probes[@]}"; do
  layer="${probe%%:*}" header="${probe#*:}"
  expect=compile
  if ((index < ${#forbidden[@]})); then expect=fail; fi
  object="CMakeFiles/probe_${index}.dir/probes/probe_${index}.cpp.o"
  log="$scratch/probe_${index}.log"
  if cmake --build "$scratch" --target "$object" >"$log" 2>&1; then
    got=compile
  else
    got=fail
  fi
  if [[ $expect == fail && $got == fail ]] && grep -q "${header}: No such file or directory" "$log"; then
    echo "ok: $layer/ cannot include $header (the include does not resolve)"
  elif [[ $expect == compile && $got == compile ]]; then
    echo "ok: $layer/ may include $header (compiles)"
  else
    echo "FAIL: $layer/ including $header: expected '$expect', got '$got'; compiler output:"
    sed 's/^/    /' "$log" | tail -20
    failures=$((failures + 1))
  fi
  index=$((index + 1))
done

if escapes=$(grep -rnE '#[[:space:]]*include[[:space:]]*["<][^">]*\.\./' "$src/plugin"); then
  echo "FAIL: includes that leave their folder with '../' (past the per-layer include roots):"
  echo "$escapes"
  failures=$((failures + 1))
else
  echo "ok: no plugin source includes with '../'"
fi

rm -rf "$scratch" "$scratch.configure.log"
if ((failures > 0)); then
  echo "FAIL: $failures layering check(s) failed"
  exit 1
fi
echo "OK: ${#forbidden[@]} wrong includes fail to compile, ${#allowed[@]} allowed ones compile"

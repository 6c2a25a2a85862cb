#!/usr/bin/env bash
# Builds the Debian packages ccdr-plugin and ccdr-refhost with CPack
# (packaging/Packaging.cmake; docs/packaging.md):
#   scripts/package.sh [preset]      -> build/<preset>/ccdr-plugin_<v>_<arch>.deb
#                                       build/<preset>/ccdr-refhost_<v>_<arch>.deb
# Builds only what the packages hold. Needs dpkg-dev (dpkg-shlibdeps), which
# build-essential brings.
set -euo pipefail
cd "$(dirname "$0")/.."
preset="${1:-default}"
build="build/$preset"

if [ ! -f "$build/CPackConfig.cmake" ]; then
  cmake --preset "$preset" >/dev/null
fi
cmake --build "$build" --target ccdr refhost ccdr-shell
rm -f "$build"/ccdr-*.deb
(cd "$build" && cpack -G DEB >/dev/null)
ls "$build"/ccdr-*.deb

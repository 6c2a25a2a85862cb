#!/usr/bin/env bash
# Builds the two .deb packages from an already built tree into OUT_DIR (made
# afresh), for the install and lintian tests.
#   build_debs.sh BUILD_DIR OUT_DIR
set -euo pipefail
build="${1:?usage: build_debs.sh BUILD_DIR OUT_DIR}"
out="${2:?usage: build_debs.sh BUILD_DIR OUT_DIR}"
command -v dpkg-shlibdeps >/dev/null || { echo "build_debs.sh: dpkg-shlibdeps is missing (apt-get install dpkg-dev)" >&2; exit 1; }
rm -rf "$out"
mkdir -p "$out"
(cd "$build" && cpack -G DEB -B "$out" >"$out/cpack.log" 2>&1) || { cat "$out/cpack.log" >&2; exit 1; }
rm -rf "$out/_CPack_Packages"
ls "$out"/ccdr-plugin_*.deb "$out"/ccdr-refhost_*.deb

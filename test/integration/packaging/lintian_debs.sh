#!/usr/bin/env bash
# lintian must report no errors on the packages (warnings are listed).
#   lintian_debs.sh DEB_DIR          exit 77 (skipped) without lintian
set -euo pipefail
dir="${1:?usage: lintian_debs.sh DEB_DIR}"
if ! command -v lintian >/dev/null; then
  echo "lintian is not installed (apt-get install lintian; scripts/setup.sh installs it): skipped"
  exit 77
fi
shopt -s nullglob
debs=("$dir"/ccdr-plugin_*.deb "$dir"/ccdr-refhost_*.deb)
[ ${#debs[@]} -eq 2 ] || { echo "expected two packages in $dir, found: ${debs[*]}" >&2; exit 1; }
# lintian refuses to run as root without --allow-root.
lintian --allow-root --fail-on error --no-tag-display-limit "${debs[@]}"
echo "lintian: no errors in ${debs[*]##*/}"

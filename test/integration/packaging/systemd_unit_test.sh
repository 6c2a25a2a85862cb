#!/usr/bin/env bash
# systemd-analyze verify accepts the packaged unit. The unit names
# /usr/bin/refhost, so it is checked inside the package's own file tree
# (--root), with this machine's systemd units beside it (the targets it
# refers to). Documentation= is checked by the man page being in the
# package, not by running man (--man=no).
#   systemd_unit_test.sh DEB_DIR      exit 77 (skipped) without systemd-analyze
set -euo pipefail
dir="${1:?usage: systemd_unit_test.sh DEB_DIR}"
if ! command -v systemd-analyze >/dev/null; then
  echo "systemd-analyze is not installed (package systemd): skipped"
  exit 77
fi
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
dpkg-deb -x "$(ls "$dir"/ccdr-refhost_*.deb)" "$root"
unit="$root/lib/systemd/system/ccdr-refhost.service"
[ -f "$root/usr/share/man/man1/refhost.1.gz" ] || { echo "the package holds no refhost(1), the unit's Documentation=" >&2; exit 1; }
cp -an /lib/systemd/system/. "$root/lib/systemd/system/"
[ -f "$unit" ] || { echo "the package holds no lib/systemd/system/ccdr-refhost.service" >&2; exit 1; }
out=$(systemd-analyze verify --man=no --root="$root" /lib/systemd/system/ccdr-refhost.service 2>&1) || {
  echo "$out" >&2
  exit 1
}
# verify exits 0 on some warnings; none about our unit is acceptable.
if printf '%s\n' "$out" | grep -i 'ccdr-refhost'; then
  exit 1
fi
echo "systemd-analyze verify: ccdr-refhost.service accepted"

#!/bin/sh
# Checks that a plugin exports ccdr_plugin_entry and no other symbol of its
# own (defined, dynamic, global symbols; the version node is not a symbol).
set -eu
lib="$1"
syms=$(nm -D --defined-only "$lib" | awk '$2 ~ /^[A-Z]$/ && $2 != "A" { print $3 }' | sort -u)
echo "exported symbols of $lib:"
echo "$syms" | sed 's/^/  /'
[ "$syms" = "ccdr_plugin_entry" ] || { echo "FAIL: expected exactly ccdr_plugin_entry"; exit 1; }
echo "OK: exactly one exported symbol"

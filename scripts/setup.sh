#!/usr/bin/env bash
# Installs what building and testing ccdr needs on Debian 12, configures and
# builds. Idempotent: installs only missing packages, reuses the build tree.
#   scripts/setup.sh [preset]     (default preset: default)
set -euo pipefail
cd "$(dirname "$0")/.."
preset="${1:-default}"

packages=(
  build-essential cmake ninja-build ccache pkg-config git
  libboost-dev libssl-dev liblz4-dev libxxhash-dev libspdlog-dev catch2 libsqlite3-dev
  openssl sqlite3 iproute2 procps
  clang libclang-rt-14-dev
  gnuplot-nox lintian prometheus systemd
)
command -v node >/dev/null 2>&1 || packages+=(nodejs)
command -v npm >/dev/null 2>&1 || packages+=(npm)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "== installing: ${missing[*]}"
  sudo_cmd=()
  if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

echo "== npm ci (test/e2e: neo4j-driver)"
(cd test/e2e && npm ci --no-audit --no-fund --loglevel=error)

echo "== configure and build (preset $preset)"
# Compiler cache entries keyed by paths relative to this checkout, so a fresh
# clone elsewhere reuses what an earlier build compiled.
export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$PWD}" CCACHE_NOHASHDIR=1
cmake --preset "$preset" >/dev/null
cmake --build --preset "$preset"

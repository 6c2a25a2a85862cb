#!/usr/bin/env bash
# The main job: sets up (packages, build), then runs the disaster-recovery
# walk-through of examples/dr/walkthrough.sh between two refhost clusters on
# this machine. Arguments go to the walk-through (--keep, --work-dir DIR).
#   scripts/demo.sh
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh default
exec examples/dr/walkthrough.sh --build-dir build/default "$@"

#!/usr/bin/env bash
# The main job: installs what is missing, builds, starts a local three-node
# cluster (data under .cluster/) and runs the reference scenario. The cluster keeps
# running afterwards; `./scripts/demo.sh stop` stops it.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" = "stop" ]; then
  exec node bin/raftvec.js cluster stop --root .cluster
fi
bash scripts/setup.sh
exec node bin/raftvec.js cluster demo --root .cluster "$@"

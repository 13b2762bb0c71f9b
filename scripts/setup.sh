#!/usr/bin/env bash
# Installs what a fresh Debian machine with Node 20 lacks, then builds raftvec.
# Idempotent: each step is skipped when its result is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
[ -f /usr/include/faiss/IndexIDMap.h ] || need_apt+=(libfaiss-dev)
[ -e /usr/lib/x86_64-linux-gnu/libopenblas.so ] || [ -e /usr/lib/aarch64-linux-gnu/libopenblas.so ] || need_apt+=(libopenblas-dev)
# A headless browser for the jepsen-lite report test (test/jepsen-lite/report.test.ts).
command -v chromium >/dev/null || need_apt+=(chromium)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "setup: installing ${need_apt[*]} from Debian"
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

# npm ci when node_modules is missing or older than the lock file.
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: npm ci"
  npm ci --no-audit --no-fund
fi
[ -f native/build/Release/raftvec_faiss.node ] || node native/build.mjs
# classic-level rebuilt with LevelDB's own checksum checks on (skips itself when current).
node native/leveldb-checked.mjs

echo "setup: building TypeScript"
npm run --silent build

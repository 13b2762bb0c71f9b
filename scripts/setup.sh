#!/usr/bin/env bash
# Installs what a fresh Debian machine with Node 20 lacks, then builds raftvec.
# Idempotent: each step is skipped when its result is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
[ -f /usr/include/faiss/IndexIDMap.h ] || need_apt+=(libfaiss-dev)
[ -e /usr/lib/x86_64-linux-gnu/libopenblas.so ] || [ -e /usr/lib/aarch64-linux-gnu/libopenblas.so ] || need_apt+=(libopenblas-dev)
command -v g++ >/dev/null || need_apt+=(g++)
command -v make >/dev/null || need_apt+=(make)
# A headless browser for the jepsen-lite report test (test/jepsen-lite/report.test.ts).
command -v chromium >/dev/null || need_apt+=(chromium)
# Optional: what building FAISS for AVX2 from Debian's source package needs
# (scripts/faiss-avx2-from-source.sh); without it FAISS stays the generic build.
need_opt=()
if [ "${RAFTVEC_FAISS_VARIANT:-}" != generic ] && grep -qw avx2 /proc/cpuinfo 2>/dev/null; then
  command -v cmake >/dev/null || need_opt+=(cmake)
  command -v dpkg-source >/dev/null || need_opt+=(dpkg-dev)
  command -v xz >/dev/null || need_opt+=(xz-utils)
fi
if [ $((${#need_apt[@]} + ${#need_opt[@]})) -gt 0 ]; then
  echo "setup: installing ${need_apt[*]} ${need_opt[*]} from Debian"
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  if [ ${#need_apt[@]} -gt 0 ]; then
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${need_apt[@]}" >/dev/null
  else
    $sudo_cmd apt-get update -qq || true
  fi
  if [ ${#need_opt[@]} -gt 0 ]; then
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${need_opt[@]}" >/dev/null ||
      echo "setup: could not install ${need_opt[*]}; FAISS stays the generic libfaiss-dev build"
  fi
fi

# Before npm ci, whose install script builds the addon: that build then links
# the AVX2 FAISS at once. Never fails (falls back to libfaiss-dev).
bash scripts/faiss-avx2-from-source.sh

# npm ci when node_modules is missing or older than the lock file.
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: npm ci"
  npm ci --no-audit --no-fund
fi
# Rebuilds when missing, older than native/src, or built with another FAISS
# variant than the one now chosen (native/build/faiss-build.json).
node native/build.mjs --if-needed
# classic-level rebuilt with LevelDB's own checksum checks on (skips itself when current).
node native/leveldb-checked.mjs

echo "setup: building TypeScript"
npm run --silent build

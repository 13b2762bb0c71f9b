#!/usr/bin/env bash
# The build steps of raftvec, in one place: run by scripts/setup.sh (developers' and
# CI's machines) and by the Dockerfile's build stage, so the image is built exactly as
# CI builds what it tests. The system packages must already be there (setup.sh and the
# Dockerfile install them: libfaiss-dev, libopenblas-dev, g++, make, python3 for
# node-gyp; cmake, dpkg-dev and xz-utils for the optional AVX2 FAISS).
#
#   bash scripts/build.sh                       # everything below
#   bash scripts/build.sh --native-only         # stop before the TypeScript build
#   bash scripts/build.sh --runtime-packages    # print the Debian packages that the
#                                               # built native addons load at run time
#
# Idempotent: each step skips itself when its result is current. The FAISS variant is
# chosen by RAFTVEC_FAISS_VARIANT (generic | avx2; unset: avx2 when this CPU and
# machine can build it, else generic), see native/build.mjs.
set -euo pipefail
cd "$(dirname "$0")/.."

# The compiled addons: our FAISS binding and classic-level's LevelDB binding as
# native/leveldb-checked.mjs rebuilds it.
ADDONS=(native/build/Release/raftvec_faiss.node node_modules/classic-level/build/Release/classic_level.node)

if [ "${1:-}" = --runtime-packages ]; then
  # The Debian package of every shared library the addons load (ldd resolves the
  # alternatives, e.g. libopenblas.so.0 -> libopenblas0-pthread), for an image's
  # runtime stage to install without the -dev packages. On merged-/usr Debian dpkg
  # may know a library by its /lib path only: both are tried.
  for addon in "${ADDONS[@]}"; do
    [ -f "$addon" ] || {
      echo "build: $addon is missing: run scripts/build.sh first" >&2
      exit 1
    }
    if ldd "$addon" | grep -q 'not found'; then
      echo "build: $addon has unresolved libraries:" >&2
      ldd "$addon" >&2
      exit 1
    fi
  done
  ldd "${ADDONS[@]}" | awk '$2 == "=>" && $3 ~ /^\// {print $3}' | sort -u |
    while read -r lib; do
      real=$(readlink -f "$lib")
      pkg=$(dpkg -S "$real" 2>/dev/null || dpkg -S "${real#/usr}" 2>/dev/null || dpkg -S "$lib" 2>/dev/null) || {
        echo "build: no Debian package owns $lib ($real)" >&2
        exit 1
      }
      echo "${pkg%%:*}"
    done | sort -u
  exit 0
fi
[ $# -eq 0 ] || [ "$1" = --native-only ] || {
  echo "usage: bash scripts/build.sh [--native-only | --runtime-packages]" >&2
  exit 2
}

# Before npm ci, whose install script builds the addon: that build then links
# the AVX2 FAISS at once. Never fails (falls back to libfaiss-dev).
bash scripts/faiss-avx2-from-source.sh

# npm ci when node_modules is missing or older than the lock file.
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "build: npm ci"
  npm ci --no-audit --no-fund
fi
# Rebuilds when missing, older than native/src, or built with another FAISS
# variant than the one now chosen (native/build/faiss-build.json).
node native/build.mjs --if-needed
# classic-level rebuilt with LevelDB's own checksum checks on (skips itself when current).
node native/leveldb-checked.mjs

[ "${1:-}" = --native-only ] && exit 0
echo "build: building TypeScript"
npm run --silent build

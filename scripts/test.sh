#!/usr/bin/env bash
# Runs the whole test suite from a fresh machine: setup, format and lint checks,
# the type checker, every test (unit, simulator seeds, real processes), then jepsen-lite's
# short matrix (real clusters under faults, and the broken builds it must catch).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

echo "== generated proto types are up to date"
npm run --silent check:proto
echo "== format"
npm run --silent format:check
echo "== lint"
npm run --silent lint
echo "== typecheck"
npm run --silent typecheck
faiss_variant() { node -p "require('./$1/faiss-build.json').variant" 2>/dev/null || echo unknown; }
main_variant=$(faiss_variant native/build)
echo "== tests (FAISS variant: $main_variant)"
npx vitest run "$@"
# The whole suite only: with arguments (a few test files), the matrix is skipped.
if [ $# -eq 0 ]; then
  # The binding's tests against the other FAISS build too, so the generic
  # fallback (CPUs without AVX2) stays tested on an AVX2 machine.
  if [ "$main_variant" = generic ]; then
    echo "== native tests against the generic FAISS variant: skipped (the main build already is generic)"
  else
    node native/build.mjs --variant generic --out native/build-generic --if-needed
    echo "== native tests (FAISS variant: $(faiss_variant native/build-generic))"
    RAFTVEC_FAISS_ADDON=$PWD/native/build-generic/Release/raftvec_faiss.node npx vitest run test/index
  fi
  echo "== jepsen-lite short matrix (faults against the real build, and the broken builds it must catch)"
  npx tsx jepsen-lite/ci-matrix.ts
fi

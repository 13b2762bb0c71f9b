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
echo "== tests"
npx vitest run "$@"
# The whole suite only: with arguments (a few test files), the matrix is skipped.
if [ $# -eq 0 ]; then
  echo "== jepsen-lite short matrix (faults against the real build, and the broken builds it must catch)"
  npx tsx jepsen-lite/ci-matrix.ts
fi

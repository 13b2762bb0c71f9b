#!/usr/bin/env bash
# Runs the whole test suite from a fresh machine: setup, format and lint checks,
# the type checker, then every test (unit, simulator seeds, real processes).
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

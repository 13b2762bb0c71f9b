#!/usr/bin/env bash
# What the benchmarks need beyond scripts/setup.sh: etcd, the baseline of
# `npm run bench -- writes` (Debian's etcd-server; without it the bench compares
# against raftvec with one node and says so). Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
if ! command -v etcd >/dev/null; then
  echo "bench-setup: installing etcd-server from Debian"
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq etcd-server >/dev/null
  # Debian starts it as a service where there is an init system; the bench runs its own.
  if command -v systemctl >/dev/null && systemctl is-active --quiet etcd 2>/dev/null; then
    $sudo_cmd systemctl disable --now etcd >/dev/null 2>&1 || true
  fi
fi
etcd --version | head -1

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
# node-gyp, which builds the native addons, runs Python.
command -v python3 >/dev/null || need_apt+=(python3)
# Certificates for TLS clusters and their tests (scripts/dev-certs.sh).
command -v openssl >/dev/null || need_apt+=(openssl)
# kubectl renders k8s/ offline in test/k8s (`kubectl kustomize`); Debian's
# kubernetes-client, where no kubectl is installed already.
command -v kubectl >/dev/null || need_apt+=(kubernetes-client)
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

# The build itself (the AVX2 FAISS when this CPU can use it, npm ci with the
# native addons, TypeScript): shared with the Dockerfile's build stage.
bash scripts/build.sh

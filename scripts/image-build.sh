#!/usr/bin/env bash
# Builds the container image raftvec:0.1.0 from the Dockerfile with podman, without
# any registry but Debian's mirror and npm's (docs/image.md).
#
#   bash scripts/image-build.sh [--faiss-variant generic|avx2|auto] [-- PODMAN-BUILD-ARGS...]
#
# 1. The base image: when node:20-bookworm-slim is not in local storage, makes it with
#    scripts/image-base-from-debootstrap.sh (Docker Hub is not needed, nor used).
# 2. `podman build` of the Dockerfile, with the build secret build_ca when this
#    machine's npm trusts an extra CA (a TLS-intercepting proxy): RAFTVEC_BUILD_CA_FILE,
#    else NODE_EXTRA_CA_CERTS, else npm's `cafile`.
# 3. Prints the image's size and layers, and checks that it runs as uid 10001.
#
# Needs root and podman (apt-get install -y podman buildah debootstrap; runc where
# the cgroup layout is hybrid, see scripts/image-common.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/image-common.sh

variant=generic
extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    --faiss-variant) variant=$2; shift 2 ;;
    --faiss-variant=*) variant=${1#*=}; shift ;;
    --) shift; extra=("$@"); break ;;
    *) echo "usage: bash scripts/image-build.sh [--faiss-variant generic|avx2|auto] [-- PODMAN-BUILD-ARGS...]" >&2; exit 2 ;;
  esac
done
say() { echo "image-build: $*"; }

command -v podman >/dev/null || { say "podman is missing: apt-get install -y podman buildah debootstrap"; exit 1; }
if ! pm image exists "$BASE_IMAGE"; then
  say "$BASE_IMAGE is not in local storage: making it from debootstrap"
  RAFTVEC_BASE_IMAGE=$BASE_IMAGE bash scripts/image-base-from-debootstrap.sh
fi

ca=${RAFTVEC_BUILD_CA_FILE:-${NODE_EXTRA_CA_CERTS:-}}
if [ -z "$ca" ] && command -v npm >/dev/null; then
  ca=$(npm config get cafile 2>/dev/null || true)
  [ "$ca" != null ] && [ "$ca" != undefined ] || ca=""
fi
secret_dir=$(mktemp -d)
trap 'rm -rf "$secret_dir"' EXIT
if [ -n "$ca" ] && [ -s "$ca" ]; then
  say "npm steps trust the extra CA file $ca (build secret build_ca, not stored in the image)"
  cp "$ca" "$secret_dir/build_ca"
else
  : >"$secret_dir/build_ca"
fi

version=$(sed -n 's/^  "version": "\([^"]*\)",$/\1/p' package.json)
say "building $IMAGE from $BASE_IMAGE (FAISS variant $variant)"
started=$SECONDS
pm build "${PODMAN_LIMITS[@]}" \
  --pull=never \
  --layers \
  --build-arg "BASE_IMAGE=$BASE_IMAGE" \
  --build-arg "FAISS_VARIANT=$variant" \
  --build-arg "VERSION=$version" \
  --secret "id=build_ca,src=$secret_dir/build_ca" \
  --tag "$IMAGE" \
  "${extra[@]}" \
  -f Dockerfile .
elapsed=$((SECONDS - started))

size=$(pm image inspect --format '{{.Size}}' "$IMAGE")
base_size=$(pm image inspect --format '{{.Size}}' "$BASE_IMAGE")
say "built $IMAGE in ${elapsed}s: $((size / 1000000)) MB ($((base_size / 1000000)) MB of it the base image)"
pm history --format '{{.Size}}\t{{.CreatedBy}}' "$IMAGE" | awk -F'\t' '{printf "  %10s  %s\n", $1, substr($2, 1, 100)}' | head -20

user=$(pm run --rm "${PODMAN_LIMITS[@]}" --entrypoint id "$IMAGE")
say "runs as: $user"
[[ "$user" == "uid=10001(raftvec) gid=10001(raftvec)"* ]] || { say "expected uid 10001"; exit 1; }

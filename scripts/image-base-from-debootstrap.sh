#!/usr/bin/env bash
# Makes a local stand-in for Docker Hub's node:20-bookworm-slim without any registry:
# a Debian bookworm root filesystem from debootstrap (Debian's own mirror), with this
# machine's Node 20 copied in the official image's layout, imported into podman's
# local storage and tagged so that the Dockerfile's `FROM node:20-bookworm-slim`
# resolves to it unchanged. For machines that reach Debian's mirror and the npm
# registry but not Docker Hub (docs/image.md, "The base image").
#
#   bash scripts/image-base-from-debootstrap.sh [--force]
#
# What it builds, and how it differs from the official image:
# - Debian: `debootstrap --variant=minbase bookworm` (what the official debian:*-slim
#   images start from too), apt sources for bookworm, bookworm-updates and
#   bookworm-security in deb822 form, and the official slim images' dpkg excludes
#   (no /usr/share/doc except copyright files, no man pages, no locales), so later
#   `apt-get install`s in the Dockerfile stay small as well.
# - Node: the official image unpacks nodejs.org's tarball into /usr/local. Here Node
#   comes from this machine's installation (NodeSource's `nodejs` .deb, which puts the
#   same files under /usr, plus npm as upgraded here with `npm -g`): /usr/bin/node,
#   /usr/lib/node_modules/{npm,corepack} and /usr/include/node (the headers node-gyp
#   builds the addons against) are copied to /usr/local/{bin,lib,include}, with the
#   npm/npx/corepack links the tarball has. The node binary needs only glibc,
#   libstdc++ and libgcc_s, which minbase has. The `node` user (uid 1000) exists as in
#   the official image; yarn, which the official image also ships, is left out.
#
# Environment: RAFTVEC_BASE_IMAGE (default node:20-bookworm-slim), DEBIAN_MIRROR
# (default http://deb.debian.org/debian), DEBIAN_SECURITY_MIRROR (default
# http://deb.debian.org/debian-security), RAFTVEC_IMAGE_WORKDIR (default
# /var/tmp/raftvec-image-base). Needs root, podman (or buildah) and debootstrap:
#   apt-get install -y podman buildah debootstrap
# Idempotent: does nothing when the image is already there (--force rebuilds it).
set -euo pipefail
cd "$(dirname "$0")/.."

BASE=${RAFTVEC_BASE_IMAGE:-node:20-bookworm-slim}
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
SECURITY_MIRROR=${DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
WORK=${RAFTVEC_IMAGE_WORKDIR:-/var/tmp/raftvec-image-base}
ROOTFS=$WORK/rootfs
force=0
[ "${1:-}" = --force ] && force=1

say() { echo "image-base: $*"; }
die() {
  echo "image-base: $*" >&2
  exit 1
}

[ "$(id -u)" -eq 0 ] || die "needs root (debootstrap and chroot)"
for tool in podman debootstrap; do
  command -v "$tool" >/dev/null || die "$tool is missing: apt-get install -y podman buildah debootstrap"
done
[ "$(dpkg --print-architecture)" = amd64 ] || die "written for amd64 (this is $(dpkg --print-architecture))"

node_bin=$(command -v node) || die "no node on PATH"
node_bin=$(readlink -f "$node_bin")
node_prefix=$(dirname "$(dirname "$node_bin")")
node_version=$("$node_bin" -p process.versions.node)
[ "${node_version%%.*}" = 20 ] || die "this machine's node is $node_version; the base image must carry Node 20"
for part in lib/node_modules/npm include/node/node_api.h include/node/common.gypi; do
  [ -e "$node_prefix/$part" ] || die "$node_prefix/$part is missing (the Node installation is incomplete)"
done
npm_version=$("$node_bin" "$node_prefix/lib/node_modules/npm/bin/npm-cli.js" --version)

# Short names are stored as localhost/NAME; the docker.io/library/ alias lets a fully
# qualified FROM (docker.io/library/node:...) find it as well, and it is the name a
# short FROM node:... resolves to first, so both must be the same image.
qualified=docker.io/library/$BASE
if [ $force -eq 0 ] && podman image exists "$BASE"; then
  say "$BASE is already in local storage ($(podman image inspect --format '{{.Id}}' "$BASE" | cut -c1-12)); --force rebuilds it"
  exit 0
fi

started=$SECONDS
rm -rf "$ROOTFS"
mkdir -p "$ROOTFS"
say "debootstrap --variant=minbase bookworm from $MIRROR (a few minutes)"
debootstrap --variant=minbase --arch=amd64 bookworm "$ROOTFS" "$MIRROR" >"$WORK/debootstrap.log" 2>&1 ||
  die "debootstrap failed; see $WORK/debootstrap.log: $(tail -3 "$WORK/debootstrap.log")"

# ---- Debian's slim image conventions ----------------------------------------------------
rm -f "$ROOTFS/etc/apt/sources.list"
cat >"$ROOTFS/etc/apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: $MIRROR
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: $SECURITY_MIRROR
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
cat >"$ROOTFS/etc/dpkg/dpkg.cfg.d/docker" <<'EOF'
# As Debian's official slim images: leave out documentation, manuals and translations.
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
EOF
cat >"$ROOTFS/etc/apt/apt.conf.d/docker-clean" <<'EOF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
EOF
cat >"$ROOTFS/etc/apt/apt.conf.d/docker-no-languages" <<'EOF'
Acquire::Languages "none";
EOF
cat >"$ROOTFS/etc/apt/apt.conf.d/docker-gzip-indexes" <<'EOF'
Acquire::GzipIndexes "true";
EOF
# debootstrap installs bookworm as released: bring in the point-release and security
# updates, as the official images carry them.
cp /etc/resolv.conf "$ROOTFS/etc/resolv.conf"
mount -t proc proc "$ROOTFS/proc"
trap 'umount "$ROOTFS/proc" 2>/dev/null || true' EXIT
in_root() { chroot "$ROOTFS" /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive "$@"; }
in_root apt-get update -qq >>"$WORK/debootstrap.log" 2>&1 || die "apt-get update in the new root failed; see $WORK/debootstrap.log"
upgrades=$(in_root apt-get -s dist-upgrade | grep -c '^Inst ' || true)
say "applying $upgrades package updates from bookworm-updates and bookworm-security"
in_root apt-get -y -qq dist-upgrade >>"$WORK/debootstrap.log" 2>&1 || die "apt-get dist-upgrade in the new root failed; see $WORK/debootstrap.log"
in_root apt-get clean
umount "$ROOTFS/proc"
trap - EXIT

# What the excludes above would have kept out had they been there from the start.
find "$ROOTFS/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete 2>/dev/null || true
find "$ROOTFS/usr/share/doc" -mindepth 1 -type d -empty -delete 2>/dev/null || true
rm -rf "$ROOTFS"/usr/share/{man,groff,info,lintian,linda}/*
find "$ROOTFS/usr/share/locale" -mindepth 1 -maxdepth 1 -not -name locale.alias -exec rm -rf {} + 2>/dev/null || true
rm -rf "$ROOTFS"/var/lib/apt/lists/* "$ROOTFS"/var/cache/apt/*.bin "$ROOTFS"/var/cache/apt/archives/*.deb \
  "$ROOTFS"/var/log/{dpkg.log,bootstrap.log,alternatives.log,apt/*} "$ROOTFS"/var/cache/ldconfig/aux-cache
: >"$ROOTFS/etc/machine-id"
echo localhost >"$ROOTFS/etc/hostname"
# The container runtime supplies resolv.conf and hosts at run time.
rm -f "$ROOTFS/etc/resolv.conf"

# ---- Node 20, in the layout of nodejs.org's tarball under /usr/local ----------------------
say "adding Node $node_version (npm $npm_version) from $node_prefix as /usr/local"
install -D -m 0755 "$node_bin" "$ROOTFS/usr/local/bin/node"
mkdir -p "$ROOTFS/usr/local/lib/node_modules" "$ROOTFS/usr/local/include"
cp -a "$node_prefix/lib/node_modules/npm" "$ROOTFS/usr/local/lib/node_modules/"
[ -d "$node_prefix/lib/node_modules/corepack" ] &&
  cp -a "$node_prefix/lib/node_modules/corepack" "$ROOTFS/usr/local/lib/node_modules/"
cp -a "$node_prefix/include/node" "$ROOTFS/usr/local/include/"
ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$ROOTFS/usr/local/bin/npm"
ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$ROOTFS/usr/local/bin/npx"
[ -d "$ROOTFS/usr/local/lib/node_modules/corepack" ] &&
  ln -sf ../lib/node_modules/corepack/dist/corepack.js "$ROOTFS/usr/local/bin/corepack"
chown -R 0:0 "$ROOTFS/usr/local"

# As the official image: a `node` user, and a check that node and npm run in it.
in_root groupadd --gid 1000 node
in_root useradd --uid 1000 --gid node --shell /bin/bash --create-home node
got=$(in_root /usr/local/bin/node -p 'process.versions.node')
[ "$got" = "$node_version" ] || die "node does not run in the new root filesystem (got '$got')"
got=$(in_root /usr/local/bin/npm --version)
[ "$got" = "$npm_version" ] || die "npm does not run in the new root filesystem (got '$got')"

# ---- import as a local image ------------------------------------------------------------
say "importing as $BASE ($(du -sh "$ROOTFS" | cut -f1) root filesystem)"
tar -C "$ROOTFS" --numeric-owner --xattrs -cf - . |
  podman import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change "ENV NODE_VERSION=$node_version" \
    --change 'CMD ["node"]' \
    --change "LABEL org.opencontainers.image.description=\"Debian bookworm (debootstrap minbase) + Node $node_version, npm $npm_version: a local stand-in for $BASE made by raftvec's scripts/image-base-from-debootstrap.sh\"" \
    --change "LABEL org.opencontainers.image.created=$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
    --message "raftvec scripts/image-base-from-debootstrap.sh" \
    - "$BASE" >"$WORK/import.out"
# By id: podman resolves a short name to docker.io/library/... before localhost/...,
# so `podman tag $BASE` would find an older image of the qualified name.
id=$(tail -1 "$WORK/import.out")
id=${id#sha256:}
podman tag "$id" "localhost/$BASE" "$qualified"
rm -rf "$ROOTFS"
say "made $BASE (${id:0:12}, also $qualified): $(podman image inspect --format '{{.Size}}' "$id" | awk '{printf "%.0f MB", $1/1e6}') in $((SECONDS - started))s"

#!/usr/bin/env bash
# Builds FAISS's AVX2 static library (faiss_avx2) from Debian's own faiss source
# package, for native/build.mjs to link instead of libfaiss-dev's generic build
# (measured ~2x the Flat scan rate and ~4.5x HNSW build speed).
#
# Result: .cache/faiss/<source version>-avx2/{include,lib/libfaiss_avx2.a,stamp.json};
# stamp.json is written last, so a directory without it is an interrupted build.
# Idempotent: returns at once when the stamp for the wanted version is there.
#
# It never fails setup: on any problem (no AVX2, no network, no deb-src index,
# compile error) it prints one line saying why and exits 0, and build.mjs
# uses the generic libfaiss-dev.
#
# Environment: RAFTVEC_FAISS_VARIANT=generic skips it; RAFTVEC_FAISS_CACHE_DIR
# moves the cache (default <repo>/.cache/faiss).
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
CACHE=${RAFTVEC_FAISS_CACHE_DIR:-$ROOT/.cache/faiss}
LOG=$CACHE/build.log
started=$SECONDS

say() { echo "faiss-from-source: $*"; }
fallback() {
  say "$*; using the generic libfaiss-dev instead"
  exit 0
}
# Safety net: an unexpected error must not break setup either.
trap 'rc=$?; [ $rc -eq 0 ] || say "unexpected failure (exit $rc, log: $LOG); using the generic libfaiss-dev instead"; exit 0' EXIT

if [ "${RAFTVEC_FAISS_VARIANT:-}" = generic ]; then
  say "skipped (RAFTVEC_FAISS_VARIANT=generic)"
  exit 0
fi

# ---- can this machine use and build it? ---------------------------------------------

flags=$(grep -m1 '^flags' /proc/cpuinfo 2>/dev/null || true)
missing=()
for f in avx2 fma f16c popcnt; do
  [[ " $flags " == *" $f "* ]] || missing+=("$f")
done
[ ${#missing[@]} -eq 0 ] || fallback "this CPU lacks ${missing[*]}"
# The addon is marked x86-64-v3 (native/build.mjs): ask glibc whether it will load it.
ldso_help=$(/lib64/ld-linux-x86-64.so.2 --help 2>/dev/null || true)
[[ "$ldso_help" != *x86-64-v3* || "$ldso_help" == *"x86-64-v3 (supported"* ]] ||
  fallback "glibc does not count this CPU as x86-64-v3"

for tool in apt-get apt-cache dpkg-source dpkg-query cmake g++ make; do
  command -v "$tool" >/dev/null || fallback "$tool is not installed (scripts/setup.sh installs it)"
done
cmake_version=$(cmake --version | sed -n '1s/.* \([0-9][0-9.]*\).*/\1/p')
# FAISS 1.7.3 requires CMake >= 3.17.
printf '3.17\n%s\n' "$cmake_version" | sort -V -C || fallback "cmake $cmake_version is older than 3.17"

mkdir -p "$CACHE" || fallback "cannot create $CACHE"
# One build at a time (two setups running at once would share the work dir).
if command -v flock >/dev/null; then
  exec 9>"$CACHE/.lock"
  flock 9
fi

# Built from the same source version as the installed libfaiss-dev, so both
# variants have identical headers and behaviour.
wanted=$(dpkg-query -W -f='${source:Version}' libfaiss-dev 2>/dev/null || true)
stamp_of() { echo "$CACHE/${1#*:}-avx2/stamp.json"; }
if [ -n "$wanted" ] && [ -f "$(stamp_of "$wanted")" ]; then
  say "cached: $(dirname "$(stamp_of "$wanted")")"
  exit 0
fi

: >"$LOG"
logrun() { "$@" >>"$LOG" 2>&1; }

# ---- deb-src entries derived from this machine's own Debian sources -------------------

APT=$CACHE/apt
rm -rf "$APT"
mkdir -p "$APT/lists/partial" "$APT/cache/archives/partial"
# apt's own view of its sources (deb822 and one-line alike); Origin is known
# for the repositories apt has already fetched a Release file from.
configured=$(apt-get indextargets --no-release-info --format '$(REPO_URI) $(RELEASE) $(COMPONENT)' 2>>"$LOG" | sort -u)
origins=$(apt-get indextargets --format '$(REPO_URI) $(RELEASE) $(COMPONENT) $(ORIGIN)' 2>>"$LOG" | sort -u)
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
n=0
while read -r uri suite component; do
  [ -n "$component" ] && [ "$component" != '$(COMPONENT)' ] || continue
  origin=$(awk -v u="$uri" -v s="$suite" -v c="$component" '$1==u && $2==s && $3==c {print $4; exit}' <<<"$origins")
  host=$(sed -E 's#^[a-z+]+://([^/@]*@)?([^/:]+).*#\2#' <<<"$uri")
  # Debian's archive only: by the Release file's Origin, else by host name.
  [ "$origin" != '$(ORIGIN)' ] || origin=""
  if [ "$origin" = Debian ] || { [ -z "$origin" ] && [[ "$host" == *debian.org ]]; }; then
    {
      echo "Types: deb-src"
      echo "URIs: $uri"
      echo "Suites: $suite"
      echo "Components: $component"
      [ -f "$keyring" ] && echo "Signed-By: $keyring"
      echo
    } >>"$APT/src.sources"
    n=$((n + 1))
  fi
done <<<"$configured"
[ "$n" -gt 0 ] || fallback "no Debian archive among this machine's apt sources"

aptx() {
  apt-get -o Dir::Etc::SourceList="$APT/src.sources" -o Dir::Etc::SourceParts=/dev/null \
    -o Dir::State::Lists="$APT/lists" -o Dir::Cache="$APT/cache" \
    -o Acquire::Retries=2 -o Acquire::http::Timeout=30 -o Acquire::https::Timeout=30 "$@"
}
logrun aptx update --error-on=any ||
  fallback "cannot fetch the Debian source index (no network?; log: $LOG)"

# The installed libfaiss-dev's source version, or the archive's newest when
# that one is gone (or libfaiss-dev is not installed).
uris=""
[ -n "$wanted" ] && uris=$(aptx source --print-uris "faiss=$wanted" 2>>"$LOG")
[ -n "$uris" ] || uris=$(aptx source --print-uris faiss 2>>"$LOG")
dsc=$(grep -o "faiss_[^ ']*\.dsc" <<<"$uris" | head -1)
[ -n "$dsc" ] || fallback "Debian's faiss source package is not in the archive (log: $LOG)"
version=${dsc#faiss_}
version=${version%.dsc}
upstream=${version%-*}
DEST=$(dirname "$(stamp_of "$version")")
if [ -f "$DEST/stamp.json" ]; then
  say "cached: $DEST (libfaiss-dev is ${wanted:-not installed})"
  exit 0
fi
[ -z "$wanted" ] || [ "$wanted" = "$version" ] ||
  say "note: building $version, but libfaiss-dev comes from source $wanted"

# ---- download, unpack (dpkg-source applies Debian's patches), build ----------------------

mkdir -p "$CACHE/src"
(cd "$CACHE/src" && logrun aptx source --download-only "faiss=$version") ||
  fallback "cannot download Debian's faiss $version source package (log: $LOG)"
WORK=$CACHE/work
rm -rf "$WORK" "$DEST"
mkdir -p "$WORK"
logrun dpkg-source -x "$CACHE/src/$dsc" "$WORK/src" ||
  fallback "dpkg-source -x $dsc failed (log: $LOG)"

hdr_version=$(awk '/#define FAISS_VERSION_(MAJOR|MINOR|PATCH)/ {v = v (v == "" ? "" : ".") $3} END {print v}' "$WORK/src/faiss/Index.h")
cmake_project_version=$(grep -A2 '^project(faiss' "$WORK/src/CMakeLists.txt" | sed -n 's/^ *VERSION \([0-9.]*\).*/\1/p')
[ "$hdr_version" = "$upstream" ] && [ "$cmake_project_version" = "$upstream" ] ||
  fallback "version mismatch in faiss $version: headers say $hdr_version, CMakeLists $cmake_project_version"

say "building FAISS $version with -DFAISS_OPT_LEVEL=avx2 (a few minutes on 2 cores; log: $LOG)"
logrun cmake -S "$WORK/src" -B "$WORK/build" -DCMAKE_BUILD_TYPE=Release \
  -DFAISS_OPT_LEVEL=avx2 -DFAISS_ENABLE_GPU=OFF -DFAISS_ENABLE_PYTHON=OFF \
  -DFAISS_ENABLE_C_API=OFF -DBUILD_TESTING=OFF -DBUILD_SHARED_LIBS=OFF \
  -DCMAKE_POSITION_INDEPENDENT_CODE=ON -DBLA_VENDOR=OpenBLAS ||
  fallback "cmake configure failed (log: $LOG)"
logrun cmake --build "$WORK/build" --target faiss_avx2 -j2 ||
  fallback "compiling faiss_avx2 failed (log: $LOG)"
[ -f "$WORK/build/faiss/libfaiss_avx2.a" ] || fallback "the build produced no libfaiss_avx2.a (log: $LOG)"

# ---- install: headers from the same tree as the library, then check, then the stamp ------

mkdir -p "$DEST/include" "$DEST/lib"
# Every public header of the library (gpu/ and python/ are not built).
(cd "$WORK/src" && find faiss -name '*.h' -not -path 'faiss/gpu/*' -not -path 'faiss/python/*' \
  -exec cp --parents {} "$DEST/include/" \;) || fallback "copying the headers failed"
cp "$WORK/build/faiss/libfaiss_avx2.a" "$DEST/lib/" || fallback "copying libfaiss_avx2.a failed"

# Link a small program against what was installed: checks that the headers
# match the library and that the library really is the AVX2 build.
cat >"$WORK/check.cc" <<'EOF'
#include <faiss/IndexFlat.h>
#include <faiss/utils/utils.h>
#include <cstdio>
int main() {
  faiss::IndexFlatL2 index(8);
  float xb[16] = {0};
  for (int i = 8; i < 16; i++) xb[i] = 1;
  index.add(2, xb);
  float d;
  faiss::Index::idx_t label;
  index.search(1, xb + 8, 1, &d, &label);
  std::printf("%d.%d.%d %ld %s\n", FAISS_VERSION_MAJOR, FAISS_VERSION_MINOR,
              FAISS_VERSION_PATCH, (long)label, faiss::get_compile_options().c_str());
  return label == 1 ? 0 : 1;
}
EOF
logrun g++ -std=c++17 -O2 -mavx2 -mfma -mf16c -mpopcnt -fopenmp -I"$DEST/include" "$WORK/check.cc" \
  "$DEST/lib/libfaiss_avx2.a" -lopenblas -o "$WORK/check" ||
  fallback "a test program does not link against the new library (log: $LOG)"
check=$("$WORK/check" 2>>"$LOG") || fallback "the test program failed: $check (log: $LOG)"
[ "$check" = "$upstream 1 OPTIMIZE AVX2" ] ||
  fallback "the test program reports '$check', expected '$upstream 1 OPTIMIZE AVX2'"

cat >"$DEST/stamp.json.tmp" <<EOF
{
  "sourcePackage": "faiss",
  "sourceVersion": "$version",
  "faissVersion": "$upstream",
  "variant": "avx2",
  "cmakeFlags": "-DCMAKE_BUILD_TYPE=Release -DFAISS_OPT_LEVEL=avx2 -DBLA_VENDOR=OpenBLAS",
  "builtAt": "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
}
EOF
mv "$DEST/stamp.json.tmp" "$DEST/stamp.json" || fallback "cannot write $DEST/stamp.json"
# The sources and objects are not needed any more (~100 MB).
rm -rf "$WORK" "$APT"
say "built $DEST/lib/libfaiss_avx2.a (FAISS $version) in $((SECONDS - started))s"

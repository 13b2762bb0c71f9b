# raftvec's container image: `raftvec serve` on Debian bookworm + Node 20.
#
#   bash scripts/image-build.sh                 # podman; or, with any builder:
#   docker build -t raftvec:0.1.0 .
#
# Two stages. "build" installs the compilers and the -dev packages and runs
# scripts/build.sh, the very script scripts/setup.sh runs on developers' and CI's
# machines (FAISS binding, LevelDB with its checksum checks, TypeScript), then makes a
# production-only node_modules. "runtime" starts again from the bare base image and
# takes only what runs: the Debian runtime libraries that the compiled addons load
# (found by `scripts/build.sh --runtime-packages`, never the -dev packages), the two
# addons, dist/, bin/, proto/ and the production node_modules, owned by root and run
# as the unprivileged user raftvec (uid/gid 10001). docs/image.md has the details.
#
# Build arguments:
#   BASE_IMAGE     Debian bookworm + Node 20 (default node:20-bookworm-slim; on a
#                  machine without Docker Hub, scripts/image-base-from-debootstrap.sh
#                  makes a local image of that name).
#   FAISS_VARIANT  generic (default): Debian's libfaiss-dev, which runs on any x86-64.
#                  avx2: FAISS built with -DFAISS_OPT_LEVEL=avx2 from Debian's source
#                  package (scripts/faiss-avx2-from-source.sh; ~2x the Flat scan rate,
#                  a few more minutes of build); the addon is then marked x86-64-v3 and
#                  the image refuses to start on a CPU without AVX2/FMA/F16C. An image
#                  runs on CPUs nobody knows at build time, hence generic by default.
#                  auto: what scripts/setup.sh does (avx2 when the build machine can).
#   NPM_VERSION    the npm that installs the packages (default 11.19.1, the one CI uses:
#                  package.json's "allowScripts" needs npm 11); installed from the npm
#                  registry when the base image's npm differs.
#   VERSION        the image's version label (default 0.1.0, as package.json).
#
# The npm registry is reached over HTTPS; behind a TLS-intercepting proxy give its CA
# as the build secret `build_ca` (podman/buildah/docker build --secret
# id=build_ca,src=FILE; scripts/image-build.sh does it). It is used by the npm steps
# of the build stage only and is never stored in a layer.

ARG BASE_IMAGE=node:20-bookworm-slim

# ---- build ---------------------------------------------------------------------------
FROM ${BASE_IMAGE} AS build
ARG FAISS_VARIANT=generic
ARG NPM_VERSION=11.19.1
ENV npm_config_update_notifier=false

RUN case "$FAISS_VARIANT" in generic | avx2 | auto) ;; \
      *) echo "FAISS_VARIANT must be generic, avx2 or auto (got '$FAISS_VARIANT')" >&2; exit 1 ;; \
    esac \
 && apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libfaiss-dev libopenblas-dev g++ make python3 \
 && if [ "$FAISS_VARIANT" != generic ]; then \
      DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends cmake dpkg-dev xz-utils; \
    fi

RUN --mount=type=secret,id=build_ca \
    if [ -s /run/secrets/build_ca ]; then export NODE_EXTRA_CA_CERTS=/run/secrets/build_ca; fi \
 && if [ "$(npm --version)" != "$NPM_VERSION" ]; then \
      npm install --global --no-audit --no-fund "npm@$NPM_VERSION"; \
    fi \
 && npm --version

# scripts/build.sh reads it: generic/avx2 force that FAISS, auto lets it choose.
ENV RAFTVEC_FAISS_VARIANT=${FAISS_VARIANT}
WORKDIR /src

# The native part first, in its own layer: it only changes with the lock file or native/.
COPY package.json package-lock.json ./
COPY native/ native/
COPY scripts/build.sh scripts/faiss-avx2-from-source.sh scripts/
RUN --mount=type=secret,id=build_ca \
    if [ -s /run/secrets/build_ca ]; then export NODE_EXTRA_CA_CERTS=/run/secrets/build_ca; fi \
 && bash scripts/build.sh --native-only

# Then the whole build again: the native steps find themselves up to date; TypeScript.
COPY tsconfig.json tsconfig.build.json ./
COPY proto/ proto/
COPY src/ src/
COPY bin/ bin/
RUN bash scripts/build.sh \
 && bash scripts/build.sh --runtime-packages >/runtime-packages.txt \
 && echo "runtime packages: $(tr '\n' ' ' </runtime-packages.txt)" \
 && cat native/build/faiss-build.json

# node_modules for production: exactly the lock file's dependencies, without the
# devDependencies and without install scripts (the one compiled dependency,
# classic-level, gets the LevelDB binding built above; leveldb-checked.mjs then checks
# that it was built from this very classic-level's patched sources). classic-level's
# prebuilt binaries (LevelDB without those checks) go: a missing binding must fail the
# start, not fall back to them.
WORKDIR /prod
RUN --mount=type=secret,id=build_ca \
    if [ -s /run/secrets/build_ca ]; then export NODE_EXTRA_CA_CERTS=/run/secrets/build_ca; fi \
 && cp /src/package.json /src/package-lock.json . \
 && npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
 && rm -rf node_modules/classic-level/build \
 && cp -a /src/node_modules/classic-level/build node_modules/classic-level/build \
 && mkdir native \
 && cp /src/native/leveldb-checked.mjs /src/native/leveldb-smoke.mjs native/ \
 && node native/leveldb-checked.mjs | tee /dev/stderr | grep -q 'up to date' \
 && rm -rf native node_modules/classic-level/prebuilds

# ---- runtime -------------------------------------------------------------------------
FROM ${BASE_IMAGE} AS runtime
ARG VERSION=0.1.0
ARG FAISS_VARIANT=generic

# Only the shared libraries the addons load (FAISS itself is linked in statically:
# bookworm's libfaiss-dev ships only libfaiss.a, there is no libfaiss runtime package),
# i.e. OpenBLAS, libgomp and what they depend on.
COPY --from=build /runtime-packages.txt /tmp/runtime-packages.txt
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $(cat /tmp/runtime-packages.txt) \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/log/apt /var/log/dpkg.log /tmp/runtime-packages.txt

# The user the server runs as; the data directory is the only place it writes.
RUN groupadd --gid 10001 raftvec \
 && useradd --uid 10001 --gid 10001 --home-dir /nonexistent --no-create-home \
      --shell /usr/sbin/nologin raftvec \
 && install -d -o 10001 -g 10001 -m 0750 /var/lib/raftvec

# The application, owned by root and read-only to raftvec (fits readOnlyRootFilesystem).
WORKDIR /app
COPY --from=build /src/package.json ./
COPY --from=build /src/bin/ bin/
COPY --from=build /src/proto/ proto/
COPY --from=build /src/dist/ dist/
COPY --from=build /src/native/build/Release/raftvec_faiss.node native/build/Release/
COPY --from=build /src/native/build/faiss-build.json native/build/
COPY --from=build /prod/node_modules/ node_modules/

# Fails the build, not the first start, when a library is missing: every symbol of
# both addons bound at load, a FAISS search, a LevelDB write and read, and the CLI.
RUN ldd native/build/Release/raftvec_faiss.node node_modules/classic-level/build/Release/classic_level.node \
      | { ! grep 'not found'; } \
 && LD_BIND_NOW=1 node -e " \
      const m = require('/app/native/build/Release/raftvec_faiss.node'); \
      const ix = new m.NativeFaissIndex(2, 'Flat', 'l2'); \
      ix.add(new Float32Array([0, 0, 1, 1]), new BigInt64Array([1n, 2n])) \
        .then(() => ix.search(new Float32Array([1, 0.9]), 1)) \
        .then((r) => { if (r.labels[0] !== 2n) throw new Error('search'); \
          console.log('faiss ' + m.faissVersion + ' (' + m.faissBuild.variant + ') ok'); }) \
        .catch((e) => { console.error(e); process.exit(1); });" \
 && LD_BIND_NOW=1 node -e " \
      const { ClassicLevel } = require('classic-level'); \
      const db = new ClassicLevel('/tmp/leveldb-check'); \
      db.put('k', 'v').then(() => db.get('k')) \
        .then((v) => { if (v !== 'v') throw new Error('leveldb read ' + v); return db.close(); }) \
        .then(() => console.log('leveldb ok')) \
        .catch((e) => { console.error(e); process.exit(1); });" \
 && rm -rf /tmp/leveldb-check \
 && node bin/raftvec.js serve --help >/dev/null

LABEL org.opencontainers.image.title="raftvec" \
      org.opencontainers.image.description="A vector database whose writes are replicated by Raft: FAISS + LevelDB behind gRPC" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.licenses="Apache-2.0" \
      io.raftvec.faiss-variant="${FAISS_VARIANT}"

ENV NODE_ENV=production
USER 10001:10001
VOLUME ["/var/lib/raftvec"]
# The gRPC port: clients, peers and the health service (serve's default port).
EXPOSE 7000
# SIGTERM: the node hands leadership to another voter, finishes in-flight calls and
# closes LevelDB (allow it a few seconds: `--time 30` / terminationGracePeriodSeconds).
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "/app/bin/raftvec.js", "serve"]
# Replaced as a whole by any arguments given to `run`: a cluster member passes these
# two again along with --id, --peers, --advertise and --cluster-secret-file.
CMD ["--data", "/var/lib/raftvec", "--listen", "0.0.0.0:7000"]

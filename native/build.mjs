#!/usr/bin/env node
// Builds native/build/Release/raftvec_faiss.node (our FAISS binding).
//
// Run by the root package's "install" script (`npm ci` / `npm install`), or by
// hand: `node native/build.mjs`. Needs Debian's libfaiss-dev (FAISS 1.7.3,
// static archive) and libopenblas-dev; a C++17 compiler and python3 for
// node-gyp. Never downloads anything: Node's headers come from the local
// installation (nodedir).
//
// Two FAISS variants: "avx2", the faiss_avx2 library that
// scripts/faiss-avx2-from-source.sh builds from Debian's faiss source package
// into .cache/faiss/ (used when built and the CPU has AVX2/FMA/F16C), else
// "generic", Debian's libfaiss-dev. Writes <out>/faiss-build.json saying which.
//
// Options: --variant generic|avx2 (or RAFTVEC_FAISS_VARIANT; forcing avx2
// when it is unavailable fails), --out DIR (build DIR/Release/raftvec_faiss.node
// instead, leaving native/build alone), --if-needed (skip when the addon is
// newer than native/src and was built with the same FAISS).
//
// Environment overrides: RAFTVEC_FAISS_INCLUDE (dir holding faiss/),
// RAFTVEC_FAISS_LIB (path of libfaiss.a), RAFTVEC_BLAS_LIBDIR (dir holding
// libopenblas.so), RAFTVEC_FAISS_CACHE_DIR (default <repo>/.cache/faiss),
// RAFTVEC_SKIP_NATIVE_BUILD=1 (skip entirely).
import { spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  realpathSync,
  renameSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const here = path.dirname(fileURLToPath(import.meta.url));
const APT_HINT = 'run `apt-get install -y libfaiss-dev libopenblas-dev`';
const AVX2_FLAGS = ['-mavx2', '-mfma', '-mf16c', '-mpopcnt'];
// Marks the avx2 addon as needing x86-64-v3: glibc (>= 2.33) then refuses to
// load it on an older CPU, where FAISS's static initializers would hit SIGILL.
const AVX2_LDFLAGS = ['-Wl,-z,x86-64-v3'];
// What binding.gyp compiles the C++ with besides the variant's flags; recorded so
// that a raw-FAISS baseline program can be compiled the same way.
const BASE_CXXFLAGS = ['-O3', '-std=c++17', '-fopenmp'];

function fail(message) {
  console.error(`\nraftvec native build: ${message}\n`);
  process.exit(1);
}

function log(message) {
  console.log(`raftvec native build: ${message}`);
}

if (process.env.RAFTVEC_SKIP_NATIVE_BUILD === '1') {
  log('skipped (RAFTVEC_SKIP_NATIVE_BUILD=1)');
  process.exit(0);
}

let args;
try {
  args = parseArgs({
    options: {
      variant: { type: 'string' },
      out: { type: 'string' },
      'if-needed': { type: 'boolean', default: false },
    },
  }).values;
} catch (err) {
  fail(
    `${err.message}\nusage: node native/build.mjs [--variant generic|avx2] [--out DIR] [--if-needed]`,
  );
}
const requested = args.variant ?? (process.env.RAFTVEC_FAISS_VARIANT || 'auto');
if (!['auto', 'generic', 'avx2'].includes(requested)) {
  fail(`unknown FAISS variant '${requested}' (expected generic or avx2)`);
}

// node-gyp always builds into <binding.gyp dir>/build: for --out, DIR/gyp holds a
// binding.gyp that includes ours, and the result is copied to DIR/Release.
const mainOut = path.join(here, 'build');
const outDir = args.out ? path.resolve(args.out) : mainOut;
const separate = outDir !== mainOut;
if (separate && (outDir === here || mainOut.startsWith(outDir + path.sep))) {
  fail(`--out ${args.out} would overwrite native/ or native/build`);
}
const gypDir = separate ? path.join(outDir, 'gyp') : here;
const output = path.join(outDir, 'Release', 'raftvec_faiss.node');
const buildInfoFile = path.join(outDir, 'faiss-build.json');

// ---- locate FAISS and OpenBLAS ------------------------------------------------

function multiarchDirs() {
  const dirs = [];
  const r = spawnSync('gcc', ['-print-multiarch'], { encoding: 'utf8' });
  const triplet = r.status === 0 ? r.stdout.trim() : '';
  if (triplet) dirs.push(`/usr/lib/${triplet}`, `/usr/local/lib/${triplet}`);
  if (process.arch === 'x64') dirs.push('/usr/lib/x86_64-linux-gnu');
  if (process.arch === 'arm64') dirs.push('/usr/lib/aarch64-linux-gnu');
  dirs.push('/usr/lib', '/usr/local/lib', '/usr/lib64');
  return [...new Set(dirs)];
}

const libDirs = multiarchDirs();

function dpkgVersion(pkg, field = 'Version') {
  const r = spawnSync('dpkg-query', ['-W', `-f=\${${field}}`, pkg], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.trim() ? r.stdout.trim() : null;
}

function cpuHasAvx2() {
  try {
    const flags = readFileSync('/proc/cpuinfo', 'utf8')
      .match(/^flags\s*:(.*)$/m)?.[1]
      .split(/\s+/);
    if (!['avx2', 'fma', 'f16c', 'popcnt'].every((f) => flags?.includes(f))) return false;
  } catch {
    return false;
  }
  // glibc's own verdict on x86-64-v3 (the level the avx2 addon is marked with).
  const ldso = '/lib64/ld-linux-x86-64.so.2';
  const r = existsSync(ldso) ? spawnSync(ldso, ['--help'], { encoding: 'utf8' }) : null;
  const text = r?.status === 0 ? r.stdout : '';
  return !text.includes('x86-64-v3') || text.includes('x86-64-v3 (supported');
}

// The finished from-source build (its stamp.json is written last); the one of
// libfaiss-dev's source version first, so both variants share one FAISS version.
function findAvx2Build() {
  const cache = process.env.RAFTVEC_FAISS_CACHE_DIR ?? path.resolve(here, '..', '.cache', 'faiss');
  if (!existsSync(cache)) return null;
  const builds = [];
  for (const name of readdirSync(cache).sort()) {
    if (!name.endsWith('-avx2')) continue;
    const dir = path.join(cache, name);
    try {
      const stamp = JSON.parse(readFileSync(path.join(dir, 'stamp.json'), 'utf8'));
      const lib = path.join(dir, 'lib', 'libfaiss_avx2.a');
      const include = path.join(dir, 'include');
      if (existsSync(lib) && existsSync(path.join(include, 'faiss', 'IndexIDMap.h'))) {
        builds.push({ include, lib, sourceVersion: String(stamp.sourceVersion) });
      }
    } catch {
      /* no stamp: an unfinished build */
    }
  }
  const debian = dpkgVersion('libfaiss-dev', 'source:Version');
  return builds.find((b) => b.sourceVersion === debian) ?? builds.at(-1) ?? null;
}

const custom = Boolean(process.env.RAFTVEC_FAISS_INCLUDE || process.env.RAFTVEC_FAISS_LIB);
let variant;
let avx2Build = null;
if (custom) {
  // A library given by path: only the caller knows how it was built.
  variant = requested === 'avx2' ? 'avx2' : 'generic';
} else if (requested === 'generic') {
  variant = 'generic';
} else {
  const cpu = cpuHasAvx2();
  avx2Build = cpu ? findAvx2Build() : null;
  if (avx2Build) {
    variant = 'avx2';
  } else if (requested === 'avx2') {
    fail(
      cpu
        ? 'the avx2 variant was asked for, but FAISS has not been built for it: run `bash scripts/faiss-avx2-from-source.sh`'
        : 'the avx2 variant was asked for, but this CPU lacks AVX2/FMA/F16C/POPCNT (x86-64-v3)',
    );
  } else {
    variant = 'generic';
    log(
      cpu
        ? 'no AVX2 build of FAISS in .cache/faiss (scripts/faiss-avx2-from-source.sh makes one): using the generic libfaiss-dev'
        : 'this CPU lacks AVX2: using the generic libfaiss-dev',
    );
  }
}

const includeDir =
  process.env.RAFTVEC_FAISS_INCLUDE ??
  avx2Build?.include ??
  ['/usr/include', '/usr/local/include'].find((d) =>
    existsSync(path.join(d, 'faiss', 'IndexIDMap.h')),
  );
if (!includeDir || !existsSync(path.join(includeDir, 'faiss', 'IndexIDMap.h'))) {
  fail(
    `libfaiss-dev is missing: ${APT_HINT}\n(no faiss/IndexIDMap.h under ${includeDir ?? '/usr/include or /usr/local/include'})`,
  );
}

const faissLib =
  process.env.RAFTVEC_FAISS_LIB ??
  avx2Build?.lib ??
  libDirs.map((d) => path.join(d, 'libfaiss.a')).find((p) => existsSync(p));
if (!faissLib || !existsSync(faissLib)) {
  fail(
    `libfaiss-dev is missing: ${APT_HINT}\n(no static libfaiss.a in ${faissLib ?? libDirs.join(', ')})`,
  );
}

const faissVersion = (() => {
  const text = readFileSync(path.join(includeDir, 'faiss', 'Index.h'), 'utf8');
  const get = (part) => text.match(new RegExp(`#define FAISS_VERSION_${part} (\\d+)`))?.[1];
  return `${get('MAJOR')}.${get('MINOR')}.${get('PATCH')}`;
})();

// Compiled into the addon as a C string literal: keep it to plain characters.
const source = (
  custom
    ? `custom RAFTVEC_FAISS_LIB ${faissLib}`
    : variant === 'avx2'
      ? `debian-source-package ${avx2Build.sourceVersion} built with -DFAISS_OPT_LEVEL=avx2`
      : `libfaiss-dev ${dpkgVersion('libfaiss-dev') ?? '(version unknown)'}`
).replace(/[^\w .+~:=/@-]/g, '_');
const variantFlags = variant === 'avx2' ? AVX2_FLAGS : [];
const variantLdflags = variant === 'avx2' ? AVX2_LDFLAGS : [];

const blasDir =
  process.env.RAFTVEC_BLAS_LIBDIR ??
  libDirs.find((d) => existsSync(path.join(d, 'libopenblas.so')));
if (!blasDir || !existsSync(path.join(blasDir, 'libopenblas.so'))) {
  fail(
    `libopenblas-dev is missing: ${APT_HINT}\n(no libopenblas.so in ${blasDir ?? libDirs.join(', ')})`,
  );
}
const blasReal = realpathSync(path.join(blasDir, 'libopenblas.so'));
if (!/openblas/i.test(blasReal)) {
  fail(`libopenblas.so resolves to ${blasReal}, which is not OpenBLAS: ${APT_HINT}`);
}

const buildInfo = {
  variant,
  faissVersion,
  source,
  faissInclude: includeDir,
  faissLib,
  blasLibDir: blasDir,
  cxxflags: [...BASE_CXXFLAGS, ...variantFlags],
};

if (args['if-needed'] && upToDate()) {
  log(`up to date: ${path.relative(process.cwd(), output)} (${variant}, ${source})`);
  process.exit(0);
}

// Built with the same FAISS as now chosen, and newer than every input.
function upToDate() {
  let previous;
  try {
    previous = JSON.parse(readFileSync(buildInfoFile, 'utf8'));
  } catch {
    return false;
  }
  if (JSON.stringify(previous) !== JSON.stringify(buildInfo) || !existsSync(output)) return false;
  const built = statSync(output).mtimeMs;
  const srcDir = path.join(here, 'src');
  const inputs = [
    fileURLToPath(import.meta.url),
    path.join(here, 'binding.gyp'),
    faissLib,
    ...readdirSync(srcDir).map((f) => path.join(srcDir, f)),
  ];
  return inputs.every((f) => statSync(f).mtimeMs <= built);
}

// ---- locate node-gyp and Node's headers ---------------------------------------

function findNodeGyp() {
  const candidates = [];
  if (process.env.npm_config_node_gyp) candidates.push(process.env.npm_config_node_gyp);
  try {
    const require = createRequire(import.meta.url);
    candidates.push(require.resolve('node-gyp/bin/node-gyp.js'));
  } catch {
    /* not a local dependency */
  }
  const npmRoot = path.resolve(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm');
  candidates.push(path.join(npmRoot, 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  candidates.push('/usr/lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js');
  candidates.push('/usr/local/lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js');
  const r = spawnSync('npm', ['root', '-g'], { encoding: 'utf8' });
  if (r.status === 0 && r.stdout.trim()) {
    candidates.push(
      path.join(r.stdout.trim(), 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
    );
  }
  return candidates.find((c) => c && existsSync(c));
}

function nodeHeadersVersion(prefix) {
  const h = path.join(prefix, 'include', 'node', 'node_version.h');
  if (!existsSync(h) || !existsSync(path.join(prefix, 'include', 'node', 'common.gypi')))
    return null;
  const text = readFileSync(h, 'utf8');
  const get = (name) => text.match(new RegExp(`#define ${name} (\\d+)`))?.[1];
  return `${get('NODE_MAJOR_VERSION')}.${get('NODE_MINOR_VERSION')}.${get('NODE_PATCH_VERSION')}`;
}

function findNodeDir() {
  const fromNpm = process.env.npm_config_nodedir;
  if (fromNpm && nodeHeadersVersion(fromNpm)) return fromNpm;
  const prefix = path.resolve(path.dirname(process.execPath), '..');
  if (nodeHeadersVersion(prefix)) return prefix;
  if (nodeHeadersVersion('/usr')) return '/usr';
  return null;
}

const nodeGyp = findNodeGyp();
if (!nodeGyp)
  fail('cannot find node-gyp (it ships with npm); set npm_config_node_gyp to its node-gyp.js');
const nodeDir = findNodeDir();
if (!nodeDir) {
  fail(
    'cannot find Node.js headers (include/node/node_api.h) next to the node binary; ' +
      'install them (Debian: apt-get install -y libnode-dev) or set npm_config_nodedir',
  );
}

// ---- build ------------------------------------------------------------------------

let napiInclude;
try {
  napiInclude = path.resolve(createRequire(import.meta.url)('node-addon-api').include_dir);
} catch {
  fail('node-addon-api is missing: run `npm ci`');
}

log(`FAISS variant ${variant}: ${source}`);
log(`faiss ${faissLib}, headers ${includeDir}/faiss, openblas ${blasReal}`);
log(`node-gyp ${nodeGyp}, nodedir ${nodeDir} (Node ${nodeHeadersVersion(nodeDir)})`);
const started = Date.now();
if (separate) {
  mkdirSync(gypDir, { recursive: true });
  writeFileSync(
    path.join(gypDir, 'binding.gyp'),
    JSON.stringify({ includes: [path.join(here, 'binding.gyp')] }, null, 2) + '\n',
  );
}
const env = {
  ...process.env,
  RAFTVEC_FAISS_INCLUDE: includeDir,
  RAFTVEC_FAISS_LIB: faissLib,
  RAFTVEC_BLAS_LIBDIR: blasDir,
  RAFTVEC_FAISS_VARIANT: variant,
  RAFTVEC_FAISS_SOURCE: source,
  RAFTVEC_FAISS_CXXFLAGS: variantFlags.join(' '),
  RAFTVEC_FAISS_LDFLAGS: variantLdflags.join(' '),
  RAFTVEC_NAPI_INCLUDE: napiInclude,
};
const gyp = spawnSync(
  process.execPath,
  [nodeGyp, 'rebuild', '--release', `--nodedir=${nodeDir}`, '--jobs=max'],
  { cwd: gypDir, env, stdio: 'inherit' },
);
if (gyp.error) fail(`could not run node-gyp: ${gyp.error.message}`);
if (gyp.status !== 0)
  fail(`node-gyp rebuild failed (exit ${gyp.status}); see the compiler output above`);
const built = path.join(gypDir, 'build', 'Release', 'raftvec_faiss.node');
if (!existsSync(built)) fail(`node-gyp succeeded but ${built} is missing`);
if (separate) {
  // Renamed into place: a process that has the old file loaded keeps its copy.
  mkdirSync(path.dirname(output), { recursive: true });
  copyFileSync(built, `${output}.tmp`);
  renameSync(`${output}.tmp`, output);
}

// ---- verify the result ------------------------------------------------------------

// 1. BLAS must resolve to OpenBLAS at run time.
const ldd = spawnSync('ldd', [output], { encoding: 'utf8' });
if (ldd.status === 0) {
  const blasLine = ldd.stdout.split('\n').find((l) => /libopenblas|libblas/.test(l));
  if (!blasLine || !/openblas/i.test(blasLine)) {
    fail(`the addon does not link OpenBLAS:\n${ldd.stdout}`);
  }
  if (/not found/.test(ldd.stdout)) fail(`the addon has unresolved libraries:\n${ldd.stdout}`);
  log(`linked ${blasLine.trim()}`);
}

// 2. Load it with every symbol bound eagerly (catches a missing LAPACK/BLAS
//    symbol now instead of as a crash later) and run a tiny smoke test.
const smoke = `
  const m = require(${JSON.stringify(output)});
  const ix = new m.NativeFaissIndex(4, 'Flat', 'l2');
  ix.add(new Float32Array([0,0,0,0, 1,1,1,1]), new BigInt64Array([7n, 9n]))
    .then(() => ix.search(new Float32Array([1,1,1,0.9]), 1))
    .then((r) => {
      if (r.labels[0] !== 9n) throw new Error('smoke search returned ' + r.labels[0]);
      const back = m.deserialize(ix.serialize());
      if (back.ntotal !== 2) throw new Error('smoke round trip lost vectors');
      if (m.faissBuild?.variant !== ${JSON.stringify(variant)})
        throw new Error('the addon reports variant ' + m.faissBuild?.variant);
      console.log('faiss ' + m.faissVersion + ' (' + m.faissBuild.variant + ') ok');
    })
    .catch((e) => { console.error(e); process.exit(1); });
`;
const check = spawnSync(process.execPath, ['-e', smoke], {
  env: { ...process.env, LD_BIND_NOW: '1' },
  encoding: 'utf8',
});
if (check.status !== 0)
  fail(`the built addon failed its load test:\n${check.stdout}${check.stderr}`);
// Read by setup.sh (rebuild when the variant changes) and the benchmarks (a raw
// FAISS baseline compiled against the very same library and flags).
writeFileSync(buildInfoFile, JSON.stringify(buildInfo, null, 2) + '\n');
log(
  `${check.stdout.trim()}; built ${path.relative(process.cwd(), output)} in ${((Date.now() - started) / 1000).toFixed(1)}s`,
);

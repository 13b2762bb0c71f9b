#!/usr/bin/env node
// Builds native/build/Release/raftvec_faiss.node (our FAISS binding).
//
// Run by the root package's "install" script (`npm ci` / `npm install`), or by
// hand: `node native/build.mjs`. Needs Debian's libfaiss-dev (FAISS 1.7.3,
// static archive) and libopenblas-dev; a C++17 compiler and python3 for
// node-gyp. Never downloads anything: Node's headers come from the local
// installation (nodedir).
//
// Environment overrides: RAFTVEC_FAISS_INCLUDE (dir holding faiss/),
// RAFTVEC_FAISS_LIB (path of libfaiss.a), RAFTVEC_BLAS_LIBDIR (dir holding
// libopenblas.so), RAFTVEC_SKIP_NATIVE_BUILD=1 (skip entirely).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const output = path.join(here, 'build', 'Release', 'raftvec_faiss.node');
const APT_HINT = 'run `apt-get install -y libfaiss-dev libopenblas-dev`';

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

const includeDir =
  process.env.RAFTVEC_FAISS_INCLUDE ??
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
  libDirs.map((d) => path.join(d, 'libfaiss.a')).find((p) => existsSync(p));
if (!faissLib || !existsSync(faissLib)) {
  fail(
    `libfaiss-dev is missing: ${APT_HINT}\n(no static libfaiss.a in ${faissLib ?? libDirs.join(', ')})`,
  );
}

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

log(`faiss ${faissLib}, headers ${includeDir}/faiss, openblas ${blasReal}`);
log(`node-gyp ${nodeGyp}, nodedir ${nodeDir} (Node ${nodeHeadersVersion(nodeDir)})`);
const started = Date.now();
const env = {
  ...process.env,
  RAFTVEC_FAISS_INCLUDE: includeDir,
  RAFTVEC_FAISS_LIB: faissLib,
  RAFTVEC_BLAS_LIBDIR: blasDir,
};
const gyp = spawnSync(
  process.execPath,
  [nodeGyp, 'rebuild', '--release', `--nodedir=${nodeDir}`, '--jobs=max'],
  { cwd: here, env, stdio: 'inherit' },
);
if (gyp.error) fail(`could not run node-gyp: ${gyp.error.message}`);
if (gyp.status !== 0)
  fail(`node-gyp rebuild failed (exit ${gyp.status}); see the compiler output above`);
if (!existsSync(output)) fail(`node-gyp succeeded but ${output} is missing`);

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
      console.log('faiss ' + m.faissVersion + ' ok');
    })
    .catch((e) => { console.error(e); process.exit(1); });
`;
const check = spawnSync(process.execPath, ['-e', smoke], {
  env: { ...process.env, LD_BIND_NOW: '1' },
  encoding: 'utf8',
});
if (check.status !== 0)
  fail(`the built addon failed its load test:\n${check.stdout}${check.stderr}`);
log(
  `${check.stdout.trim()}; built ${path.relative(process.cwd(), output)} in ${((Date.now() - started) / 1000).toFixed(1)}s`,
);

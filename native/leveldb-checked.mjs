#!/usr/bin/env node
// Rebuilds classic-level's LevelDB binding with LevelDB's own checksum checks on:
// `paranoid_checks` when a database is opened (a damaged write-ahead log or table
// fails the open instead of being skipped: without it a flipped byte in a .log file
// silently drops every record after it in that block) and `verify_checksums` on
// every read and iterator (a damaged table block is reported, never returned).
// classic-level exposes neither option and ships prebuilt binaries with both off.
// It turns on LevelDB's hardware CRC-32C (SSE 4.2, x86-64): the build of the
// package leaves it off, and its table-driven CRC was 8% of a node's CPU while
// ingesting (every block written, and read back by compactions, is checksummed).
// It also turns off LevelDB's memory-mapping of table files: mapped tables count
// in the process's RSS (a node that read its whole store once would show the
// store's size on top of its own memory, 600 MB at a million vectors), while
// reads through the page cache and the bounded block cache do not.
//
// Run by the root package's "install" script after build.mjs, or by hand:
// `node native/leveldb-checked.mjs`. Builds from the LevelDB sources that the
// classic-level package itself ships (deps/), with the node-gyp of npm; never
// downloads anything. Idempotent: skipped when the installed binding was built
// from the same patched sources. The result is installed as
// node_modules/classic-level/build/Release/classic_level.node, which
// node-gyp-build loads in preference to the prebuilt binaries.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);

function fail(message) {
  console.error(`\nraftvec leveldb build: ${message}\n`);
  process.exit(1);
}
const log = (message) => console.log(`raftvec leveldb build: ${message}`);

if (process.env.RAFTVEC_SKIP_NATIVE_BUILD === '1') {
  log('skipped (RAFTVEC_SKIP_NATIVE_BUILD=1)');
  process.exit(0);
}

const packageDir = path.dirname(require.resolve('classic-level/package.json'));
const version = JSON.parse(readFileSync(path.join(packageDir, 'package.json'), 'utf8')).version;
const installed = path.join(packageDir, 'build', 'Release', 'classic_level.node');
const stampFile = path.join(packageDir, 'build', 'Release', 'raftvec-checked.json');

// Each patch: a line of classic-level's binding.cc, how often it must occur, and
// what follows it. A new classic-level whose lines differ fails loudly here.
const PATCHES = [
  {
    line: 'options_.max_file_size = maxFileSize;',
    count: 1,
    add: 'options_.paranoid_checks = true;',
  },
  {
    line: 'options_.fill_cache = (flags & Flags::FILL_CACHE) != 0;',
    count: 1,
    add: 'options_.verify_checksums = true;',
  },
  {
    line: 'options.fill_cache = (flags & Flags::FILL_CACHE) != 0;',
    count: 1,
    add: 'options.verify_checksums = true;',
  },
  { line: 'options_.fill_cache = fillCache;', count: 1, add: 'options_.verify_checksums = true;' },
  {
    line: 'options_->fill_cache = fillCache;',
    count: 1,
    add: 'options_->verify_checksums = true;',
  },
];

const original = readFileSync(path.join(packageDir, 'binding.cc'), 'utf8');
let patched = original;
for (const { line, count, add } of PATCHES) {
  const found = patched.split(line).length - 1;
  if (found !== count)
    fail(
      `classic-level ${version}'s binding.cc has ${found} occurrence(s) of "${line}", expected ${count}; update native/leveldb-checked.mjs for this version`,
    );
  patched = patched.split(line).join(`${line} ${add}`);
}
// LevelDB's POSIX environment: no mmap of table files (see the top of this file).
const ENV_POSIX = path.join('deps', 'leveldb', 'leveldb-1.20', 'util', 'env_posix.cc');
const MMAP_LINE = 'mmap_limit = sizeof(void*) >= 8 ? 1000 : 0;';
const envOriginal = readFileSync(path.join(packageDir, ENV_POSIX), 'utf8');
if (envOriginal.split(MMAP_LINE).length - 1 !== 1)
  fail(
    `classic-level ${version}'s ${ENV_POSIX} does not set its mmap limit with "${MMAP_LINE}"; update native/leveldb-checked.mjs for this version`,
  );
const envPatched = envOriginal.replace(MMAP_LINE, 'mmap_limit = 0;  // raftvec: no mmap');
// LevelDB's accelerated CRC-32C: compiled for SSE 4.2 in its own file only, and used
// only where the CPU has it (the file checks CPUID at run time, and crc32c.cc checks
// the result against a known value before using it).
const CRC_SSE = path.join('deps', 'leveldb', 'leveldb-1.20', 'port', 'port_posix_sse.cc');
const crcOriginal = readFileSync(path.join(packageDir, CRC_SSE), 'utf8');
const CRC_FIRST_INCLUDE = '#include <stdint.h>';
if (crcOriginal.split(CRC_FIRST_INCLUDE).length - 1 !== 1)
  fail(
    `classic-level ${version}'s ${CRC_SSE} does not start its includes with "${CRC_FIRST_INCLUDE}"; update native/leveldb-checked.mjs for this version`,
  );
const crcPatched = crcOriginal.replace(
  CRC_FIRST_INCLUDE,
  [
    '// raftvec: hardware CRC-32C on x86-64, guarded by HaveSSE42() at run time.',
    '#if defined(__x86_64__) && defined(__GNUC__)',
    '#define LEVELDB_PLATFORM_POSIX_SSE',
    '#pragma GCC target("sse4.2")',
    // The file includes these only when the whole build targets SSE 4.2.
    '#include <nmmintrin.h>',
    '#include <cpuid.h>',
    '#endif',
    CRC_FIRST_INCLUDE,
  ].join('\n'),
);
const sourceHash = createHash('sha256')
  .update(patched)
  .update(envPatched)
  .update(crcPatched)
  .digest('hex');

if (existsSync(installed) && existsSync(stampFile)) {
  const stamp = JSON.parse(readFileSync(stampFile, 'utf8'));
  if (stamp.sourceHash === sourceHash && stamp.node === process.versions.modules) {
    log(
      `up to date (classic-level ${version}, checksums verified, hardware CRC-32C, no table mmap)`,
    );
    process.exit(0);
  }
}

// ---- build in native/build/classic-level (napi-macros resolves from the project) ----
const work = path.join(here, 'build', 'classic-level');
rmSync(work, { recursive: true, force: true });
mkdirSync(work, { recursive: true });
for (const name of ['binding.gyp', 'deps', 'package.json'])
  cpSync(path.join(packageDir, name), path.join(work, name), { recursive: true });
writeFileSync(path.join(work, 'binding.cc'), patched);
writeFileSync(path.join(work, ENV_POSIX), envPatched);
writeFileSync(path.join(work, CRC_SSE), crcPatched);

const nodeGyp = [
  process.env.npm_config_node_gyp,
  path.resolve(
    path.dirname(process.execPath),
    '..',
    'lib',
    'node_modules',
    'npm',
    'node_modules',
    'node-gyp',
    'bin',
    'node-gyp.js',
  ),
  '/usr/lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js',
  '/usr/local/lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js',
].find((c) => c && existsSync(c));
if (!nodeGyp)
  fail('cannot find node-gyp (it ships with npm); set npm_config_node_gyp to its node-gyp.js');
const nodeDir = [
  process.env.npm_config_nodedir,
  path.resolve(path.dirname(process.execPath), '..'),
  '/usr',
].find((d) => d && existsSync(path.join(d, 'include', 'node', 'common.gypi')));
if (!nodeDir) fail('cannot find Node.js headers (include/node) next to the node binary');

const started = Date.now();
log(
  `building classic-level ${version} with LevelDB checksum checks on and table mmap off (about 30 s)`,
);
const gyp = spawnSync(
  process.execPath,
  [nodeGyp, 'rebuild', '--release', `--nodedir=${nodeDir}`, '--jobs=max'],
  { cwd: work, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
);
if (gyp.error) fail(`could not run node-gyp: ${gyp.error.message}`);
if (gyp.status !== 0)
  fail(`node-gyp rebuild failed (exit ${gyp.status}):\n${gyp.stdout}${gyp.stderr}`);
const built = path.join(work, 'build', 'Release', 'classic_level.node');
if (!existsSync(built)) fail(`node-gyp succeeded but ${built} is missing`);

// ---- prove it: a flipped byte in the write-ahead log must fail the open ----------
mkdirSync(path.dirname(installed), { recursive: true });
cpSync(built, installed);
const smoke = spawnSync(process.execPath, [path.join(here, 'leveldb-smoke.mjs'), packageDir], {
  encoding: 'utf8',
});
if (smoke.status !== 0) {
  rmSync(installed, { force: true });
  fail(`the rebuilt binding failed its checksum test:\n${smoke.stdout}${smoke.stderr}`);
}
writeFileSync(
  stampFile,
  JSON.stringify({ sourceHash, node: process.versions.modules, classicLevel: version }) + '\n',
);
log(`${smoke.stdout.trim()}; installed in ${((Date.now() - started) / 1000).toFixed(1)}s`);

#!/usr/bin/env node
// Generates TypeScript types for proto/raftvec/v1/*.proto into src/generated/
// with @grpc/proto-loader's proto-loader-gen-types.
//
//   node scripts/gen-proto.mjs           regenerate src/generated/ (stale files removed)
//   node scripts/gen-proto.mjs --check   exit 1 if src/generated/ is not what the
//                                        generator produces from proto/ (for CI)
//
// The options here MUST match the runtime loader options in src/api/proto.ts
// (PROTO_LOADER_OPTIONS): keepCase false, longs Number, enums String, defaults,
// oneofs. 64-bit integers (log indices, counts, sequences) are JS numbers: they
// stay below 2^53 in practice.
import { spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmdirSync,
  rmSync,
  statSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const protoRoot = join(root, 'proto');
const protoSubdir = join('raftvec', 'v1');
const outDir = join(root, 'src', 'generated');
const check = process.argv.includes('--check');

const require = createRequire(import.meta.url);
const genBin = join(
  dirname(require.resolve('@grpc/proto-loader/package.json')),
  'build',
  'bin',
  'proto-loader-gen-types.js',
);

const protoFiles = readdirSync(join(protoRoot, protoSubdir))
  .filter((f) => f.endsWith('.proto'))
  .sort()
  // forward slashes: the path ends up in generated comments ("Original file: ...")
  .map((f) => `${protoSubdir.split(sep).join('/')}/${f}`);
if (protoFiles.length === 0) {
  console.error(`gen-proto: no .proto files under ${join(protoRoot, protoSubdir)}`);
  process.exit(1);
}

function generate(target) {
  const args = [
    genBin,
    '--longs=Number',
    '--enums=String',
    '--defaults',
    '--oneofs',
    '--includeComments',
    '--grpcLib=@grpc/grpc-js',
    '--importFileExtension=.js',
    '-I',
    'proto',
    '-O',
    target,
    ...protoFiles,
  ];
  // cwd = repo root and -I proto: the generated "Original file:" comments are
  // repo-relative, so output does not depend on where the repo is checked out.
  const r = spawnSync(process.execPath, args, {
    cwd: root,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (r.status !== 0) {
    console.error(`gen-proto: proto-loader-gen-types failed (exit ${r.status ?? r.signal})`);
    process.exit(1);
  }
}

function listFiles(dir) {
  const out = [];
  const walk = (d) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.push(relative(dir, p).split(sep).join('/'));
    }
  };
  if (existsSync(dir)) walk(dir);
  return out;
}

function removeEmptyDirs(dir) {
  if (!existsSync(dir)) return;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) {
      removeEmptyDirs(p);
      if (readdirSync(p).length === 0) rmdirSync(p);
    }
  }
}

const tmp = mkdtempSync(join(tmpdir(), 'raftvec-gen-proto-'));
try {
  const fresh = join(tmp, 'generated');
  generate(fresh);
  if (check) {
    const want = listFiles(fresh);
    const have = listFiles(outDir);
    const problems = [];
    for (const f of want) {
      if (!have.includes(f)) problems.push(`missing: src/generated/${f}`);
      else if (!readFileSync(join(fresh, f)).equals(readFileSync(join(outDir, f))))
        problems.push(`out of date: src/generated/${f}`);
    }
    for (const f of have)
      if (!want.includes(f)) problems.push(`stale (no longer generated): src/generated/${f}`);
    if (problems.length > 0) {
      console.error(problems.join('\n'));
      console.error(
        `gen-proto: src/generated/ is not up to date with proto/; run \`npm run gen:proto\``,
      );
      process.exit(1);
    }
    console.log(`gen-proto: src/generated/ is up to date (${want.length} files)`);
  } else {
    // Update in place (only files whose bytes changed, then remove stale ones) so a
    // concurrent tsc never sees src/generated/ missing and unchanged files keep their mtime.
    const want = listFiles(fresh);
    let changed = 0;
    for (const f of want) {
      const src = join(fresh, f);
      const dst = join(outDir, f);
      if (existsSync(dst) && readFileSync(src).equals(readFileSync(dst))) continue;
      mkdirSync(dirname(dst), { recursive: true });
      copyFileSync(src, dst);
      changed++;
    }
    let removed = 0;
    for (const f of listFiles(outDir)) {
      if (!want.includes(f)) {
        rmSync(join(outDir, f));
        removed++;
      }
    }
    removeEmptyDirs(outDir);
    console.log(
      `gen-proto: src/generated/ has ${want.length} files from ${protoFiles.join(', ')} (${changed} written, ${removed} removed)`,
    );
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}

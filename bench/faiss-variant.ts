/**
 * One FAISS build variant of our addon, measured in a child process (the env
 * var RAFTVEC_FAISS_ADDON makes src/index/faiss.ts load the given file): HNSW32
 * build speed (one add of n vectors, in-process) and Flat single-query QPS.
 *
 *   const r = await measureAddon('native/build-generic/Release/raftvec_faiss.node', files);
 *
 * Run directly (`tsx bench/faiss-variant.ts --child <data.f32> <n> <queries.f32> <nq> <d> <k>`),
 * it is the child, and prints `VARIANT_RESULT <json>`.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FaissIndex, faissAddonPath, faissVersion } from '../src/index/faiss.js';
import { runToEnd, type DataFiles } from './common.js';

export type VariantFiles = DataFiles;

export interface VariantResult {
  addon: string;
  faissVersion: string;
  hnswBuildSeconds: number;
  hnswBuildPerSecond: number;
  flatSingleQps: number;
}

const MARK = 'VARIANT_RESULT ';

/** Measures the addon at `addon` (undefined: the default, native/build) in a child process. */
export async function measureAddon(
  addon: string | undefined,
  files: VariantFiles,
): Promise<VariantResult> {
  const self = fileURLToPath(import.meta.url);
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env['RAFTVEC_FAISS_ADDON'];
  if (addon !== undefined) env['RAFTVEC_FAISS_ADDON'] = addon;
  const args = [
    '--import',
    'tsx',
    self,
    '--child',
    files.dataFile,
    String(files.n),
    files.queriesFile,
    String(files.queries),
    String(files.dim),
    String(files.k),
  ];
  const { stdout, stderr, code, signal } = await runToEnd(process.execPath, args, {
    env,
    cwd: resolve(dirname(self), '..'),
  });
  const line = stdout.split('\n').find((l) => l.startsWith(MARK));
  if (code !== 0 || line === undefined) {
    const lines = stderr.trim().split('\n');
    const message = lines.filter((l) => /error/i.test(l)).slice(0, 2);
    throw new Error(
      `the child measuring ${addon ?? 'the default addon'} exited with ${signal ?? `code ${code}`}: ${(message.length > 0 ? message : lines.slice(-3)).join(' | ')}`,
    );
  }
  return JSON.parse(line.slice(MARK.length)) as VariantResult;
}

function readFloats(path: string, count: number): Float32Array {
  const bytes = readFileSync(path);
  if (bytes.length !== count * 4) {
    throw new Error(`${path} holds ${bytes.length} bytes, expected ${count * 4}`);
  }
  // A copy: a Buffer's offset into its ArrayBuffer need not be 4-byte aligned.
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
}

async function child(argv: readonly string[]): Promise<void> {
  const [dataFile, nText, queriesFile, nqText, dimText, kText] = argv;
  const n = Number(nText);
  const nq = Number(nqText);
  const dim = Number(dimText);
  const k = Number(kText);
  if (dataFile === undefined || queriesFile === undefined || ![n, nq, dim, k].every((v) => v > 0)) {
    throw new Error(`usage: faiss-variant.ts --child <data.f32> <n> <queries.f32> <nq> <d> <k>`);
  }
  const data = readFloats(dataFile, n * dim);
  const queries = readFloats(queriesFile, nq * dim);
  const ids = BigInt64Array.from({ length: n }, (_, i) => BigInt(i));

  const hnsw = FaissIndex.create(dim, 'HNSW32', 'l2');
  const buildStart = process.hrtime.bigint();
  await hnsw.add(data, ids);
  const hnswBuildSeconds = Number(process.hrtime.bigint() - buildStart) / 1e9;

  const flat = FaissIndex.create(dim, 'Flat', 'l2');
  await flat.add(data, ids);
  const query = (q: number): Float32Array => queries.subarray(q * dim, (q + 1) * dim);
  for (let q = 0; q < Math.min(nq, 10); q++) await flat.search(query(q), k);
  let best = Infinity;
  for (let pass = 0; pass < 2; pass++) {
    const start = process.hrtime.bigint();
    for (let q = 0; q < nq; q++) await flat.search(query(q), k);
    best = Math.min(best, Number(process.hrtime.bigint() - start) / 1e9);
  }
  const result: VariantResult = {
    addon: faissAddonPath(),
    faissVersion: faissVersion(),
    hnswBuildSeconds,
    hnswBuildPerSecond: n / hnswBuildSeconds,
    flatSingleQps: nq / best,
  };
  process.stdout.write(`${MARK}${JSON.stringify(result)}\n`);
}

if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv[2] === '--child') {
  child(process.argv.slice(3)).then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}

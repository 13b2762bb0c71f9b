/**
 * Node lifecycle: how long a restart takes to load the state, with the FAISS
 * indexes rebuilt from the stored vectors (no checkpoint) and loaded from an index
 * checkpoint, next to the baseline of reading the same bytes from disk (state
 * store and checkpoint files), all in one run. The state machine is opened
 * in-process on a real LevelDB; n random 128-d vectors per index type.
 *
 *   npm run bench -- lifecycle [--n 50000] [--specs Flat,HNSW32]
 */
import { readdir, readFile, rm, stat } from 'node:fs/promises';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from '../src/domain.js';
import { VectorStateMachine, type LoadProgress } from '../src/storage/state-machine.js';
import { fmt, randomVectors, timed } from './common.js';

const DIM = 128;
const BATCH = 1_000;

interface Args {
  n: number;
  specs: string[];
}

function parseArgs(argv: readonly string[]): Args {
  const args: Args = { n: 50_000, specs: ['Flat', 'HNSW32'] };
  for (let i = 0; i < argv.length; i += 2) {
    const value = argv[i + 1];
    if (argv[i] === '--n' && value) args.n = Number(value);
    else if (argv[i] === '--specs' && value) args.specs = value.split(',');
    else throw new Error(`unknown argument ${argv[i]}`);
  }
  return args;
}

/** Bytes of every file under `dir`, read once (the cost of just getting them off disk). */
async function readAll(dir: string): Promise<number> {
  let bytes = 0;
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) bytes += (await readFile(join(entry.parentPath, entry.name))).byteLength;
  }
  return bytes;
}

async function sizeOf(dir: string): Promise<number> {
  let bytes = 0;
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) bytes += (await stat(join(entry.parentPath, entry.name))).size;
  }
  return bytes;
}

async function open(root: string, checkpoints: boolean) {
  let progress: LoadProgress | undefined;
  const sm = await VectorStateMachine.open(join(root, 'state'), {
    sync: false,
    ...(checkpoints && { checkpoints: { dir: join(root, 'checkpoints'), minChangedPoints: 1e12 } }),
    onProgress: (p) => {
      progress = p;
    },
  });
  return { sm, progress: () => progress! };
}

async function benchSpec(spec: string, args: Args): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'raftvec-bench-lifecycle-'));
  try {
    const data = randomVectors(args.n, DIM, 42);
    const load = await timed(async () => {
      const { sm } = await open(root, true);
      const create: Command = {
        kind: 'createCollection',
        spec: { name: 'c', dimension: DIM, metric: 'l2', indexSpec: spec },
      };
      await sm.apply(1, create);
      for (let start = 0; start < args.n; start += BATCH) {
        const count = Math.min(BATCH, args.n - start);
        await sm.apply(sm.appliedIndex + 1, {
          kind: 'upsert',
          collection: 'c',
          points: Array.from({ length: count }, (_, i) => ({
            id: `p${start + i}`,
            vector: data.subarray((start + i) * DIM, (start + i + 1) * DIM),
            metadata: { n: start + i },
          })),
        });
      }
      await sm.close(); // graceful: writes the checkpoint
    });
    const rawMb = (args.n * DIM * 4) / 1e6;
    console.log(
      `  ${spec}: loaded ${fmt(args.n, 0)} × ${DIM} (${fmt(rawMb)} MB of vectors) in ${fmt(load.seconds)} s; state ${fmt((await sizeOf(join(root, 'state'))) / 1e6)} MB, checkpoint ${fmt((await sizeOf(join(root, 'checkpoints'))) / 1e6)} MB`,
    );

    const bytesRead = await timed(async () => {
      return (await readAll(join(root, 'state'))) + (await readAll(join(root, 'checkpoints')));
    });
    const rebuilt = await timed(async () => {
      const { sm, progress } = await open(root, false);
      await sm.close();
      return progress().indexesRestored;
    });
    const restored = await timed(async () => {
      const { sm, progress } = await open(root, true);
      const n = progress().indexesRestored;
      await sm.close();
      return n;
    });
    if (rebuilt.value !== 0 || restored.value !== 1)
      throw new Error(`expected a rebuild then a restore, got ${rebuilt.value}, ${restored.value}`);
    console.log(
      `    read the same bytes from disk: ${fmt(bytesRead.seconds, 2)} s (${fmt(bytesRead.value / 1e6)} MB)`,
    );
    console.log(
      `    restart, index rebuilt:        ${fmt(rebuilt.seconds, 2)} s (${fmt(rebuilt.seconds / bytesRead.seconds)}× reading)`,
    );
    console.log(
      `    restart, index checkpoint:     ${fmt(restored.seconds, 2)} s (${fmt(restored.seconds / bytesRead.seconds)}× reading; ${fmt(rebuilt.seconds / restored.seconds)}× faster than a rebuild)`,
    );
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

export async function runLifecycleBench(argv: readonly string[]): Promise<void> {
  const args = parseArgs(argv);
  console.log(`lifecycle: restart time, n = ${fmt(args.n, 0)}, d = ${DIM}`);
  for (const spec of args.specs) await benchSpec(spec, args);
}

/**
 * The state machine's apply, in process: what one committed single-point upsert costs
 * a replica, the cost that bounds a lagging follower's catch-up and bulk ingest on
 * this machine. The entries are encoded first (as the Raft log hands them over: 128-d,
 * a small metadata object, one of 16 client sessions each) and applied in groups, as
 * the Raft runtime applies them (`MAX_APPLY_GROUP_ENTRIES`), with the state store
 * unsynced as `raftvec serve` runs it.
 *
 * The baseline, in the same run, is apply's floor: the same point and label records
 * written to a LevelDB of their own in one batch per group, and the same vectors added
 * one at a time to a FAISS Flat index. Rounds alternate between the two.
 *
 *   npm run bench -- apply [--entries 40000] [--group 256] [--rounds 3]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Level } from 'level';
import type { Command } from '../src/domain.js';
import { FaissIndex } from '../src/index/faiss.js';
import { encodeCommand } from '../src/storage/command-codec.js';
import { encodePointValue, labelKey, pointKey } from '../src/storage/keys.js';
import { VectorStateMachine } from '../src/storage/state-machine.js';
import { fmt, percentile, randomVectors } from './common.js';
import { UsageError, flagsOf, integerOption } from './report.js';

const DIM = 128;
const WRITERS = 16;

interface Args {
  entries: number;
  group: number;
  rounds: number;
}

const USAGE = 'usage: npm run bench -- apply [--entries N] [--group N] [--rounds N]';

function parseArgs(argv: readonly string[]): Args {
  const args: Args = { entries: 40_000, group: 256, rounds: 3 };
  const integer = integerOption(USAGE);
  for (const { arg, flag, value } of flagsOf(argv)) {
    if (flag === '--entries') args.entries = integer(flag, value(), 1_000, 1_000_000);
    else if (flag === '--group') args.group = integer(flag, value(), 1, 256);
    else if (flag === '--rounds') args.rounds = integer(flag, value(), 1, 20);
    else throw new UsageError(`unknown argument ${arg}\n${USAGE}`);
  }
  return args;
}

interface Cost {
  /** Wall time per entry, µs. */
  wallUs: number;
  /** This process's CPU per entry (user + system, every thread), µs. */
  cpuUs: number;
}

async function measure(entries: number, work: () => Promise<void>): Promise<Cost> {
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  await work();
  const wallUs = Number(process.hrtime.bigint() - start) / 1e3 / entries;
  const used = process.cpuUsage(cpu);
  return { wallUs, cpuUs: (used.user + used.system) / entries };
}

function upserts(entries: number, vectors: Float32Array): Uint8Array[] {
  const now = Date.now();
  return Array.from({ length: entries }, (_, i) => {
    const command: Command = {
      kind: 'upsert',
      collection: 'c',
      points: [
        { id: `p${i}`, vector: vectors.subarray(i * DIM, (i + 1) * DIM), metadata: { n: i } },
      ],
      session: { clientId: `writer-${i % WRITERS}`, sequence: Math.floor(i / WRITERS) + 1 },
      leaderTimeMs: now + i,
    };
    return encodeCommand(command);
  });
}

async function applyRound(args: Args, payloads: readonly Uint8Array[]): Promise<Cost> {
  const dir = mkdtempSync(join(tmpdir(), 'raftvec-bench-apply-'));
  const sm = await VectorStateMachine.open(dir, { sync: false });
  try {
    await sm.apply(1, {
      kind: 'createCollection',
      spec: { name: 'c', dimension: DIM, metric: 'l2', indexSpec: 'Flat' },
    });
    const cost = await measure(payloads.length, async () => {
      for (let at = 0; at < payloads.length; at += args.group) {
        const results = await sm.applyEntries(2 + at, payloads.slice(at, at + args.group));
        const refused = results.find((r) => !r.ok);
        if (refused) throw new Error(`an entry was refused: ${JSON.stringify(refused)}`);
      }
    });
    if (sm.appliedIndex !== payloads.length + 1)
      throw new Error(`applied up to ${sm.appliedIndex}, expected ${payloads.length + 1}`);
    return cost;
  } finally {
    await sm.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function floorRound(args: Args, vectors: Float32Array, entries: number): Promise<Cost> {
  const dir = mkdtempSync(join(tmpdir(), 'raftvec-bench-apply-floor-'));
  const db = new Level<Uint8Array, Uint8Array>(dir, {
    keyEncoding: 'view',
    valueEncoding: 'view',
  });
  await db.open();
  const index = FaissIndex.create(DIM, 'Flat', 'l2');
  try {
    return await measure(entries, async () => {
      for (let at = 0; at < entries; at += args.group) {
        const batch = db.batch();
        for (let i = at; i < Math.min(entries, at + args.group); i++) {
          const vector = vectors.subarray(i * DIM, (i + 1) * DIM);
          batch.put(pointKey(1, `p${i}`), encodePointValue(i, vector, `{"n":${i}}`));
          batch.put(labelKey(1, i), Buffer.from(`p${i}`));
          await index.add(vector, BigInt64Array.of(BigInt(i)));
        }
        await batch.write();
      }
    });
  } finally {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function runApplyBench(argv: readonly string[]): Promise<void> {
  const args = parseArgs(argv);
  const vectors = randomVectors(args.entries, DIM, 7);
  const payloads = upserts(args.entries, vectors);
  console.log(
    `apply: ${args.entries} single-point upserts (${DIM}-d, ${WRITERS} client sessions), groups of ${args.group}, state store unsynced; floor: their point and label records in one LevelDB batch per group + one FAISS Flat add each`,
  );
  console.log('  round   apply µs/entry (CPU)   floor µs/entry (CPU)   apply / floor');
  const applied: Cost[] = [];
  const floors: Cost[] = [];
  for (let round = 1; round <= args.rounds; round++) {
    const a = await applyRound(args, payloads);
    const f = await floorRound(args, vectors, args.entries);
    applied.push(a);
    floors.push(f);
    console.log(
      `  ${String(round).padStart(5)}   ${fmt(a.wallUs).padStart(8)} (${fmt(a.cpuUs)})      ${fmt(f.wallUs).padStart(8)} (${fmt(f.cpuUs)})      ${fmt(a.wallUs / f.wallUs, 2)}×`,
    );
  }
  const median = (xs: number[]): number =>
    percentile(
      [...xs].sort((x, y) => x - y),
      50,
    );
  const wall = median(applied.map((c) => c.wallUs));
  const cpu = median(applied.map((c) => c.cpuUs));
  console.log(
    `apply, median of ${args.rounds}: ${fmt(wall)} µs wall, ${fmt(cpu)} µs CPU per entry = ${fmt(wall / median(floors.map((c) => c.wallUs)), 2)}× its floor; one core applies ${Math.round(1e6 / wall).toLocaleString('en-US')} entries/s`,
  );
}

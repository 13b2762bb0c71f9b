/**
 * The Raft log's synced append, alone: the segment-file store
 * (src/raft/storage/raft-log-store.ts) against the same entries written the way
 * raftvec's log wrote them before it, one synced LevelDB batch per append (each entry
 * sealed under its own key, the hard state beside it). Two entry sizes: one 128-d
 * upsert (600 B) and a batch of 1000 of them (518 KB, as the ingest bench sends).
 * Rounds alternate between the two stores so that a noisy neighbour hits both.
 *
 *   npm run bench -- raft-log [--appends 200] [--rounds 3]
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Level } from 'level';
import { RaftLogStore } from '../src/raft/storage/raft-log-store.js';
import { HARD_STATE_KEY, entryKey } from '../src/raft/storage/level-raft-log.js';
import { seal, storageSchema } from '../src/raft/storage/log-start.js';
import type { Entry, HardState } from '../src/raft/types.js';
import { fmt, percentile } from './common.js';
import { UsageError, flagsOf, integerOption } from './report.js';

const LogEntryMessage = storageSchema.lookupType('raftvec.v1.LogEntry');
const HardStateMessage = storageSchema.lookupType('raftvec.v1.HardState');

interface Args {
  appends: number;
  rounds: number;
}

const USAGE = 'usage: npm run bench -- raft-log [--appends N] [--rounds N]';

function parseArgs(argv: readonly string[]): Args {
  const args: Args = { appends: 200, rounds: 3 };
  const integer = integerOption(USAGE);
  for (const { arg, flag, value } of flagsOf(argv)) {
    if (flag === '--appends') args.appends = integer(flag, value(), 1, 100_000);
    else if (flag === '--rounds') args.rounds = integer(flag, value(), 1, 100);
    else throw new UsageError(`unknown argument ${arg}\n${USAGE}`);
  }
  return args;
}

/** A Raft log that takes synced appends: the two stores compared. */
interface AppendTarget {
  append(entry: Entry, hardState: HardState): Promise<void>;
  close(): Promise<void>;
}

async function segmentFileLog(dir: string): Promise<AppendTarget> {
  const log = await RaftLogStore.open(dir);
  await log.load();
  return {
    append: (entry, hardState) => log.persist([entry], hardState, true),
    close: () => log.close(),
  };
}

/** The log as raftvec kept it in LevelDB (see level-raft-log.ts, which now only reads it). */
async function levelDbLog(dir: string): Promise<AppendTarget> {
  const db = new Level<Buffer, Buffer>(dir, { keyEncoding: 'buffer', valueEncoding: 'buffer' });
  await db.open();
  return {
    append: async (entry, hardState) => {
      const record = LogEntryMessage.create({ ...entry, type: 0 });
      const state = HardStateMessage.create({ ...hardState, vote: hardState.vote ?? '' });
      await db.batch(
        [
          {
            type: 'put',
            key: entryKey(entry.index),
            value: seal(LogEntryMessage.encode(record).finish()),
          },
          {
            type: 'put',
            key: HARD_STATE_KEY,
            value: seal(HardStateMessage.encode(state).finish()),
          },
        ],
        { sync: true },
      );
    },
    close: () => db.close(),
  };
}

interface Sample {
  wallMs: number[];
  /** CPU of the whole process (main thread and thread pool) per append, in ms. */
  cpuMs: number[];
}

async function round(
  open: (dir: string) => Promise<AppendTarget>,
  payload: Buffer,
  appends: number,
  sample: Sample,
): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'raftvec-bench-raft-log-'));
  const log = await open(root);
  try {
    // Unmeasured first appends: the file or the database is created, the code warmed.
    for (let index = 1; index <= appends + 20; index++) {
      // Each entry differs, so no layer can skip or deduplicate the bytes.
      payload.writeUInt32LE(index, 0);
      const entry: Entry = { index, term: 1, type: 'normal', data: payload };
      const cpu = process.cpuUsage();
      const started = performance.now();
      await log.append(entry, { term: 1, vote: 'n1', commit: index - 1 });
      if (index <= 20) continue;
      sample.wallMs.push(performance.now() - started);
      const used = process.cpuUsage(cpu);
      sample.cpuMs.push((used.user + used.system) / 1000);
    }
  } finally {
    await log.close();
    rmSync(root, { recursive: true, force: true });
  }
}

export async function runRaftLogBench(argv: readonly string[]): Promise<void> {
  const args = parseArgs(argv);
  console.log(
    `raft-log: ${args.appends} synced appends of one entry per round, ${args.rounds} rounds per store, alternating; segment files vs the former synced LevelDB batch`,
  );
  for (const [label, bytes] of [
    ['one 128-d upsert (600 B)', 600],
    ['1000 × 128-d (518 KB)', 518_000],
  ] as const) {
    const payload = randomBytes(bytes);
    const segments: Sample = { wallMs: [], cpuMs: [] };
    const level: Sample = { wallMs: [], cpuMs: [] };
    for (let r = 0; r < args.rounds; r++) {
      await round(segmentFileLog, payload, args.appends, segments);
      await round(levelDbLog, payload, args.appends, level);
    }
    const p50 = (xs: number[]) =>
      percentile(
        [...xs].sort((a, b) => a - b),
        50,
      );
    const p99 = (xs: number[]) =>
      percentile(
        [...xs].sort((a, b) => a - b),
        99,
      );
    const describe = (s: Sample) =>
      `wall p50 ${fmt(p50(s.wallMs), 3)} ms, p99 ${fmt(p99(s.wallMs), 3)} ms, CPU p50 ${fmt(p50(s.cpuMs), 3)} ms`;
    console.log(`  ${label}: segment files ${describe(segments)}`);
    console.log(`  ${' '.repeat(label.length)}  LevelDB       ${describe(level)}`);
    console.log(
      `  ${' '.repeat(label.length)}  segment files / LevelDB: wall p50 ${fmt(p50(segments.wallMs) / p50(level.wallMs), 2)}, CPU p50 ${fmt(p50(segments.cpuMs) / p50(level.cpuMs), 2)}`,
    );
  }
}

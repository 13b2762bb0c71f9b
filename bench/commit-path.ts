/**
 * Where one write's latency goes: a single writer upserts one 128-d vector at a time,
 * first into 3 nodes, then into 1, with the servers' commit-path trace points on
 * (src/commit-trace.ts). Prints the median of each stage between two points, for both
 * cluster sizes, side by side: the stages the third column makes longer are what
 * replication costs beyond its own round trip.
 *
 *   npm run bench -- commit-path [--writes 3000] [--warmup-s 4]
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RaftvecClient } from '../src/client/client.js';
import { commitTraceNow, type CommitTracePoint } from '../src/commit-trace.js';
import { fmt, killAndWait, percentile, startServers } from './common.js';
import { UsageError, flagsOf, integerOption } from './report.js';

const DIM = 128;

interface Args {
  writes: number;
  warmupSeconds: number;
}

const USAGE = 'usage: npm run bench -- commit-path [--writes N] [--warmup-s S]';

function parseArgs(argv: readonly string[]): Args {
  const args: Args = { writes: 3000, warmupSeconds: 4 };
  const integer = integerOption(USAGE);
  for (const { arg, flag, value } of flagsOf(argv)) {
    if (flag === '--writes') args.writes = integer(flag, value(), 1, 1_000_000);
    else if (flag === '--warmup-s') args.warmupSeconds = integer(flag, value(), 0, 600);
    else throw new UsageError(`unknown argument ${arg}\n${USAGE}`);
  }
  return args;
}

/** When each point was first passed, by point and log index, on one node. */
type Passes = Map<string, number>;
const key = (point: CommitTracePoint | 'clientSend' | 'clientReceive', index: number) =>
  `${point} ${index}`;

function readPasses(file: string): Passes {
  const passes: Passes = new Map();
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const [point, index, at] = line.split(' ');
    if (at === undefined) continue;
    const k = `${point} ${index}`;
    const t = Number(at);
    const earlier = passes.get(k);
    if (earlier === undefined || t < earlier) passes.set(k, t);
  }
  return passes;
}

/** A stage: from one point to the next, each on the node that passes it. */
interface Stage {
  name: string;
  from: [Role, CommitTracePoint | 'clientSend'];
  to: [Role, CommitTracePoint | 'clientReceive'];
}
type Role = 'client' | 'leader' | 'follower';

/**
 * The stages in order. With 3 nodes the follower is the one that sent its answer first
 * (the one that made the majority); with 1 node the follower stages are absent and the
 * leader commits once its own write is durable.
 */
const STAGES: Stage[] = [
  { name: 'client → leader', from: ['client', 'clientSend'], to: ['leader', 'serviceIn'] },
  {
    name: 'decode, validate, encode, propose',
    from: ['leader', 'serviceIn'],
    to: ['leader', 'proposed'],
  },
  {
    name: 'leader fsync (in parallel)',
    from: ['leader', 'persistStart'],
    to: ['leader', 'persistEnd'],
  },
  { name: 'append → follower', from: ['leader', 'appendSent'], to: ['follower', 'appendReceived'] },
  { name: 'follower fsync', from: ['follower', 'persistStart'], to: ['follower', 'persistEnd'] },
  {
    name: 'answer → leader',
    from: ['follower', 'responseSent'],
    to: ['leader', 'responseReceived'],
  },
  { name: 'proposed → committed', from: ['leader', 'proposed'], to: ['leader', 'committed'] },
  { name: 'apply', from: ['leader', 'committed'], to: ['leader', 'applied'] },
  {
    name: '  of which the state store write',
    from: ['leader', 'stateWriteStart'],
    to: ['leader', 'stateWriteEnd'],
  },
  { name: 'leader → client', from: ['leader', 'serviceOut'], to: ['client', 'clientReceive'] },
  {
    name: 'total, as the client sees it',
    from: ['client', 'clientSend'],
    to: ['client', 'clientReceive'],
  },
];

async function tracedRun(size: number, args: Args): Promise<Map<string, number[]>> {
  const traceDir = mkdtempSync(join(tmpdir(), 'raftvec-bench-commit-path-'));
  const prefix = join(traceDir, 'trace');
  const cluster = await startServers(size, `commit-path-${size}`, {
    env: { RAFTVEC_COMMIT_TRACE: prefix },
  });
  const client = new RaftvecClient(
    cluster.nodes.map((n) => n.address),
    { deadlineMs: 30_000 },
  );
  const clientPasses: Passes = new Map();
  try {
    await client.createCollection('c', { dimension: DIM, indexSpec: 'Flat' });
    const vector = new Float32Array(DIM).fill(0.25);
    const warmEnd = performance.now() + args.warmupSeconds * 1000;
    for (let n = 0; performance.now() < warmEnd; n++)
      await client.upsert('c', [{ id: `warm${n}`, vector }]);
    for (let n = 0; n < args.writes; n++) {
      const sent = commitTraceNow();
      const { logIndex } = await client.upsert('c', [{ id: `p${n}`, vector }]);
      clientPasses.set(key('clientSend', logIndex), sent);
      clientPasses.set(key('clientReceive', logIndex), commitTraceNow());
    }
  } finally {
    client.close();
    // A graceful stop: each server writes out the trace lines it holds as it exits.
    await Promise.all(cluster.nodes.map((n) => killAndWait(n.child, 'SIGTERM')));
    await cluster.stop();
  }
  let nodes: Passes[];
  try {
    nodes = readdirSync(traceDir).map((f) => readPasses(join(traceDir, f)));
  } finally {
    rmSync(traceDir, { recursive: true, force: true });
  }
  const indexes = [...clientPasses.keys()]
    .filter((k) => k.startsWith('clientSend '))
    .map((k) => Number(k.split(' ')[1]));
  const leader = nodes.find((p) => indexes.some((i) => p.has(key('serviceIn', i))));
  if (leader === undefined) throw new Error('no node traced the writes (was the trace on?)');
  const followers = nodes.filter((p) => p !== leader);
  const spans = new Map<string, number[]>(STAGES.map((s) => [s.name, []]));
  for (const index of indexes) {
    // The follower that answered first (by the time it sent its answer) made the majority.
    const follower = followers
      .filter((f) => f.has(key('responseSent', index)))
      .sort((a, b) => a.get(key('responseSent', index))! - b.get(key('responseSent', index))!)[0];
    const on = { client: clientPasses, leader, follower };
    for (const stage of STAGES) {
      const from = on[stage.from[0]]?.get(key(stage.from[1], index));
      const to = on[stage.to[0]]?.get(key(stage.to[1], index));
      if (from !== undefined && to !== undefined) spans.get(stage.name)!.push(to - from);
    }
  }
  return spans;
}

export async function runCommitPathBench(argv: readonly string[]): Promise<void> {
  const args = parseArgs(argv);
  console.log(
    `commit-path: one writer, ${args.writes} single ${DIM}-d upserts after ${args.warmupSeconds} s unmeasured; median and p99 ms per stage (trace points in the servers)`,
  );
  const three = await tracedRun(3, args);
  const one = await tracedRun(1, args);
  const at = (xs: number[] | undefined, p: number) =>
    xs === undefined || xs.length === 0
      ? NaN
      : percentile(
          [...xs].sort((a, b) => a - b),
          p,
        );
  const width = Math.max(...STAGES.map((s) => s.name.length));
  // The p99 of each stage on its own (they do not add up): which stage the slow writes wait in.
  console.log(`  ${'stage'.padEnd(width)}  3 nodes   1 node   3/1   p99: 3 nodes   1 node`);
  for (const { name } of STAGES) {
    const a = at(three.get(name), 50);
    const b = at(one.get(name), 50);
    const cell = (x: number) => (Number.isNaN(x) ? '—' : fmt(x, 3)).padStart(7);
    const ratio = (Number.isNaN(a) || Number.isNaN(b) ? '' : fmt(a / b, 2)).padStart(4);
    console.log(
      `  ${name.padEnd(width)}  ${cell(a)}  ${cell(b)}  ${ratio}        ${cell(at(three.get(name), 99))}  ${cell(at(one.get(name), 99))}`.trimEnd(),
    );
  }
}

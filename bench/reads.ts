/**
 * Reads at each consistency level on a 3-node cluster: C reads in flight from one
 * client per level (one HTTP/2 connection per server) for a fixed time per level, against a
 * collection of N 128-d points (Flat). For each level: QPS, p50/p99 latency, QPS as a
 * ratio of EVENTUAL's (the baseline, measured in the same rounds), and which replicas
 * served. Also EVENTUAL spread over the three replicas vs the same load sent to the
 * leader alone.
 *
 *   npm run bench -- reads [--seconds 5] [--concurrency 16] [--op search|get]
 *     [--points 10000] [--rounds 3] [--warmup-s 1] [--election-timeout-ms N] [--heartbeat-ms N]
 *
 * The levels run in rounds, each round in a rotated order, and every figure is the
 * median over the rounds (a ratio is taken within each round first): the machine is
 * shared and noisy. LINEARIZABLE and LEASE go to the leader; BOUNDED (maxStalenessMs
 * 1000), SESSION and EVENTUAL go round robin over the addresses the client was given.
 * The cluster is idle apart from the reads (no writes during the measurement). The
 * table also gives the CPU each process used (from /proc, in % of one core): the client
 * and the three servers share the machine's cores, which bounds what spreading can gain.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import {
  RaftvecClient,
  Session,
  type ReadConsistency,
  type ReadInfo,
} from '../src/client/index.js';
import { ClusterStatusClient, type NodeStatus } from '../src/client/cluster-status.js';
import { mulberry32 } from '../test/support/random.js';
import { fmt, percentile, randomVectors, startServers, type ServerProcess } from './common.js';

const DIM = 128;
const COLLECTION = 'reads';
/** Points per upsert while loading. */
const LOAD_BATCH = 500;
/** Distinct queries (search) or ids (get), drawn once from a fixed seed. */
const QUERY_SET = 256;
const BOUNDED_STALENESS_MS = 1000;

interface Args {
  seconds: number;
  concurrency: number;
  op: 'search' | 'get';
  points: number;
  rounds: number;
  /** Unmeasured load before each measurement (connections made, leader found, JIT warm). */
  warmupSeconds: number;
  /** `raftvec serve` timing flags for every node (--election-timeout-ms, --heartbeat-ms). */
  serveArgs: string[];
}

function parseArgs(argv: readonly string[]): Args {
  const args: Args = {
    seconds: 5,
    concurrency: 16,
    op: 'search',
    points: 10_000,
    rounds: 3,
    warmupSeconds: 1,
    serveArgs: [],
  };
  const positiveInt = (flag: string, value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) throw new Error(`${flag} must be a positive integer`);
    return n;
  };
  for (let i = 0; i < argv.length; i += 2) {
    const flag = argv[i]!;
    const value = argv[i + 1];
    if (value === undefined) throw new Error(`${flag} needs a value`);
    if (flag === '--seconds') {
      args.seconds = Number(value);
      if (!(args.seconds > 0)) throw new Error('--seconds must be a positive number');
    } else if (flag === '--warmup-s') {
      args.warmupSeconds = Number(value);
      if (!(args.warmupSeconds >= 0)) throw new Error('--warmup-s must be a number ≥ 0');
    } else if (flag === '--concurrency') args.concurrency = positiveInt(flag, value);
    else if (flag === '--points') args.points = positiveInt(flag, value);
    else if (flag === '--rounds') args.rounds = positiveInt(flag, value);
    else if (flag === '--election-timeout-ms' || flag === '--heartbeat-ms')
      args.serveArgs.push(flag, String(positiveInt(flag, value)));
    else if (flag === '--op') {
      if (value !== 'search' && value !== 'get') throw new Error('--op is search or get');
      args.op = value;
    } else throw new Error(`unknown argument ${flag}`);
  }
  return args;
}

/** One measured configuration: a consistency level, and where the client may send reads. */
interface Config {
  name: string;
  consistency: ReadConsistency;
  /** The client is given only the leader's address (else all three, the leader's first). */
  leaderOnly: boolean;
}

const CONFIGS: readonly Config[] = [
  { name: 'linearizable', consistency: 'linearizable', leaderOnly: false },
  { name: 'lease', consistency: 'lease', leaderOnly: false },
  { name: `bounded ${BOUNDED_STALENESS_MS} ms`, consistency: 'bounded', leaderOnly: false },
  { name: 'session', consistency: 'session', leaderOnly: false },
  { name: 'eventual', consistency: 'eventual', leaderOnly: false },
  { name: 'eventual, leader only', consistency: 'eventual', leaderOnly: true },
];
const BASELINE = 'eventual';
const LEADER_ONLY = 'eventual, leader only';

/** What one configuration measured in one round. */
interface Run {
  reads: number;
  errors: number;
  firstError?: string;
  seconds: number;
  latenciesMs: number[];
  byReplica: Map<string, number>;
  /** CPU time over wall time, in % of one core: this process, and each server by id. */
  cpu: { client: number; servers: Map<string, number> };
}

// ---- CPU of the processes ---------------------------------------------------------------

let clockTicks: number | undefined;

/** utime + stime of a process in seconds, from /proc (Linux); undefined elsewhere. */
function processCpuSeconds(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces), from field 3 (state) on.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    clockTicks ??=
      Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;
    return (Number(fields[11]) + Number(fields[12])) / clockTicks;
  } catch {
    return undefined;
  }
}

function cpuSampler(nodes: readonly ServerProcess[]): () => Run['cpu'] {
  const startWall = performance.now();
  const startClient = process.cpuUsage();
  const startServers = nodes.map((n) => processCpuSeconds(n.child.pid));
  return () => {
    const wall = (performance.now() - startWall) / 1000;
    const used = process.cpuUsage(startClient);
    const servers = new Map<string, number>();
    nodes.forEach((n, i) => {
      const before = startServers[i];
      const after = processCpuSeconds(n.child.pid);
      if (before !== undefined && after !== undefined)
        servers.set(n.id, ((after - before) / wall) * 100);
    });
    return { client: ((used.user + used.system) / 1e6 / wall) * 100, servers };
  };
}

// ---- the cluster ------------------------------------------------------------------------

async function statuses(nodes: readonly ServerProcess[]): Promise<(NodeStatus | undefined)[]> {
  return Promise.all(
    nodes.map(async (n) => {
      const client = new ClusterStatusClient(n.address);
      try {
        return await client.status(1_000);
      } catch {
        return undefined;
      } finally {
        client.close();
      }
    }),
  );
}

async function waitForLeader(nodes: readonly ServerProcess[]): Promise<NodeStatus> {
  const until = Date.now() + 30_000;
  for (;;) {
    const leader = (await statuses(nodes)).find((s) => s?.role === 'leader');
    if (leader) return leader;
    if (Date.now() > until) throw new Error('no leader within 30 s');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Waits until every node has applied what the leader had committed when asked. */
async function waitLevel(nodes: readonly ServerProcess[], leader: ServerProcess): Promise<void> {
  const [status] = await statuses([leader]);
  const target = status?.commitIndex ?? 0;
  const until = Date.now() + 60_000;
  while ((await statuses(nodes)).some((s) => (s?.appliedIndex ?? 0) < target)) {
    if (Date.now() > until) throw new Error(`the replicas did not apply index ${target} in 60 s`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function load(client: RaftvecClient, points: number): Promise<void> {
  await client.createCollection(COLLECTION, { dimension: DIM, indexSpec: 'Flat' });
  const data = randomVectors(points, DIM, 11);
  for (let from = 0; from < points; from += LOAD_BATCH) {
    const to = Math.min(points, from + LOAD_BATCH);
    await client.upsert(
      COLLECTION,
      Array.from({ length: to - from }, (_, j) => ({
        id: `p${from + j}`,
        vector: data.subarray((from + j) * DIM, (from + j + 1) * DIM),
        metadata: { n: from + j },
      })),
    );
  }
}

// ---- the load ---------------------------------------------------------------------------

type Read = (worker: number, n: number, onReadInfo: (info: ReadInfo) => void) => Promise<void>;

function reader(client: RaftvecClient, config: Config, args: Args, session: Session): Read {
  const consistency = {
    consistency: config.consistency,
    ...(config.consistency === 'bounded' && { maxStalenessMs: BOUNDED_STALENESS_MS }),
    ...(config.consistency === 'session' && { session }),
  };
  // Each worker walks the fixed set from its own offset.
  const pick = (worker: number, n: number): number => (worker * 7919 + n) % QUERY_SET;
  if (args.op === 'search') {
    const queries = randomVectors(QUERY_SET, DIM, 42);
    return async (worker, n, onReadInfo) => {
      const q = pick(worker, n);
      await client.search(COLLECTION, queries.subarray(q * DIM, (q + 1) * DIM), {
        k: 10,
        ...consistency,
        onReadInfo,
      });
    };
  }
  const random = mulberry32(43);
  const ids = Array.from({ length: QUERY_SET }, () => `p${Math.floor(random() * args.points)}`);
  return async (worker, n, onReadInfo) => {
    await client.get(COLLECTION, [ids[pick(worker, n)]!], { ...consistency, onReadInfo });
  };
}

/** `concurrency` loops of `read` for `seconds`, unmeasured; failures are ignored. */
async function warm(read: Read, concurrency: number, seconds: number): Promise<void> {
  const ignore = (): void => {};
  const end = performance.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, w) => {
      for (let n = 0; performance.now() < end; n++) await read(w, n, ignore).catch(ignore);
    }),
  );
}

/**
 * `concurrency` loops of `read`, each waiting for its read before the next: unmeasured
 * for `warmupSeconds`, then measured for `seconds`. A failed read is counted, not retried.
 */
async function drive(read: Read, args: Args, nodes: readonly ServerProcess[]): Promise<Run> {
  await warm(read, args.concurrency, args.warmupSeconds);
  const latenciesMs: number[] = [];
  const byReplica = new Map<string, number>();
  const onReadInfo = (info: ReadInfo): void => {
    byReplica.set(info.replicaId, (byReplica.get(info.replicaId) ?? 0) + 1);
  };
  let errors = 0;
  let firstError: string | undefined;
  const cpu = cpuSampler(nodes);
  const started = performance.now();
  const end = started + args.seconds * 1000;
  await Promise.all(
    Array.from({ length: args.concurrency }, async (_, w) => {
      for (let n = 0; performance.now() < end; n++) {
        const t = performance.now();
        try {
          await read(w, n, onReadInfo);
          latenciesMs.push(performance.now() - t);
        } catch (error) {
          errors++;
          firstError ??= String(error);
        }
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  return {
    reads: latenciesMs.length,
    errors,
    ...(firstError !== undefined && { firstError }),
    seconds,
    latenciesMs,
    byReplica,
    cpu: cpu(),
  };
}

// ---- the report -------------------------------------------------------------------------

const median = (values: readonly number[]): number => {
  const sorted = [...values].filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

const qps = (r: Run): number => r.reads / r.seconds;

function table(rows: readonly string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows
    .map((r, i) => {
      const line = r.map((cell, c) =>
        c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!),
      );
      const text = `  ${line.join('  ')}`;
      return i === 0 ? `${text}\n  ${widths.map((w) => '-'.repeat(w)).join('  ')}` : text;
    })
    .join('\n');
}

function report(
  runs: Map<string, Run[]>,
  ids: readonly string[],
  leaderId: string,
  rounds: number,
): void {
  const baseline = runs.get(BASELINE)!;
  const ratio = (name: string, base: readonly Run[]): number =>
    median(runs.get(name)!.map((r, i) => qps(r) / qps(base[i]!)));
  const header = [
    'level',
    'QPS',
    'p50 ms',
    'p99 ms',
    '× eventual',
    `served by ${ids.map((id) => (id === leaderId ? `${id}*` : id)).join('/')}`,
    'errors',
    `CPU % client, ${ids.join(', ')}`,
  ];
  const rows = CONFIGS.map((config) => {
    const rs = runs.get(config.name)!;
    const sorted = rs.map((r) => [...r.latenciesMs].sort((a, b) => a - b));
    const served = ids.map((id) => rs.reduce((sum, r) => sum + (r.byReplica.get(id) ?? 0), 0));
    const total = served.reduce((a, b) => a + b, 0);
    const cpu = [
      median(rs.map((r) => r.cpu.client)),
      ...ids.map((id) => median(rs.map((r) => r.cpu.servers.get(id) ?? NaN))),
    ];
    return [
      config.name,
      fmt(median(rs.map(qps)), 0),
      fmt(median(sorted.map((s) => percentile(s, 50))), 2),
      fmt(median(sorted.map((s) => percentile(s, 99))), 2),
      fmt(ratio(config.name, baseline), 2),
      `${served.map((n) => n.toLocaleString('en-US')).join('/')} (${served.map((n) => (total === 0 ? 0 : Math.round((n / total) * 100))).join('/')}%)`,
      String(rs.reduce((sum, r) => sum + r.errors, 0)),
      cpu.map((c) => (Number.isNaN(c) ? '-' : fmt(c, 0))).join(', '),
    ];
  });
  console.log(table([header, ...rows]));
  console.log(
    `  (* the leader; QPS, latencies and CPU are medians over ${rounds} round(s); × eventual is the median of each round's ratio; served by: reads summed over the rounds, and their shares)`,
  );
  for (const config of CONFIGS) {
    const rs = runs.get(config.name)!;
    const first = rs.find((r) => r.firstError !== undefined)?.firstError;
    if (first !== undefined) console.log(`  ${config.name}: first error: ${first}`);
  }
  const get = (name: string): number => median(runs.get(name)!.map(qps));
  const ratioTo = (name: string): number => ratio(name, runs.get(LEADER_ONLY)!);
  console.log(
    `  lease / linearizable QPS: ${fmt(get('lease') / get('linearizable'), 2)}× (median of per-round ratios ${fmt(median(runs.get('lease')!.map((r, i) => qps(r) / qps(runs.get('linearizable')![i]!))), 2)}×)`,
  );
  console.log(
    `  eventual spread over 3 replicas / eventual to the leader alone: ${fmt(get(BASELINE), 0)} / ${fmt(get(LEADER_ONLY), 0)} QPS = ${fmt(ratioTo(BASELINE), 2)}× (median of per-round ratios)`,
  );
  console.log(
    `  per round, QPS: ${CONFIGS.map(
      (c) =>
        `${c.name} ${runs
          .get(c.name)!
          .map((r) => fmt(qps(r), 0))
          .join('/')}`,
    ).join('; ')}`,
  );
}

// ---- the run ----------------------------------------------------------------------------

export async function runReadsBench(argv: readonly string[]): Promise<void> {
  const args = parseArgs(argv);
  console.log(
    `reads: ${args.op === 'search' ? 'search k=10, one query vector' : 'get of one id'} on ${args.points.toLocaleString('en-US')} × ${DIM}-d points (Flat), 3 nodes; ${args.concurrency} reads in flight from one client; ${args.seconds} s per level after ${args.warmupSeconds} s unmeasured; ${args.rounds} round(s) after one unmeasured pass${args.serveArgs.length > 0 ? `; serve ${args.serveArgs.join(' ')}` : ''}`,
  );
  // On Ctrl-C (or a kill), the servers go too, and their temporary folder. Before the
  // cluster is up, process.exit still kills the servers started so far (common.ts
  // kills them on 'exit'; a signal with no listener would skip that).
  const running: { stop?: () => Promise<void> } = {};
  const onSignal = (signal: NodeJS.Signals): void => {
    console.error(`\n${signal}: stopping the cluster`);
    void (running.stop?.() ?? Promise.resolve()).finally(() =>
      process.exit(signal === 'SIGINT' ? 130 : 143),
    );
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let cluster: Awaited<ReturnType<typeof startServers>>;
  try {
    cluster = await startServers(3, 'reads', { serveArgs: args.serveArgs });
  } catch (error) {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    throw error;
  }
  running.stop = cluster.stop;
  const clients: RaftvecClient[] = [];
  try {
    const nodes = cluster.nodes;
    const leaderStatus = await waitForLeader(nodes);
    const leader = nodes.find((n) => n.id === leaderStatus.id)!;
    const all = [leader.address, ...nodes.filter((n) => n !== leader).map((n) => n.address)];
    const loader = new RaftvecClient(all, { deadlineMs: 60_000 });
    clients.push(loader);
    const loadStart = performance.now();
    await load(loader, args.points);
    await waitLevel(nodes, leader);
    console.log(
      `  loaded in ${fmt((performance.now() - loadStart) / 1000, 1)} s (batches of ${LOAD_BATCH}); leader ${leader.id}, term ${leaderStatus.term}`,
    );
    // The loader's session: SESSION reads ask for its writes (read-your-writes after the load).
    const sessionToken = loader.session.token;
    const configClients = new Map(
      CONFIGS.map((c) => {
        const client = new RaftvecClient(c.leaderOnly ? [leader.address] : all);
        clients.push(client);
        return [c.name, client];
      }),
    );
    const readerOf = (config: Config): Read =>
      reader(configClients.get(config.name)!, config, args, new Session(sessionToken));
    // Once over every level unmeasured first: right after the load the servers are still
    // settling (without this pass, the first level measured often ran well below its rate
    // in later rounds).
    for (const config of CONFIGS)
      await warm(readerOf(config), args.concurrency, args.warmupSeconds);
    const runs = new Map<string, Run[]>(CONFIGS.map((c) => [c.name, []]));
    for (let round = 0; round < args.rounds; round++) {
      // Rotate the order each round: no level always runs first, or right after another.
      const shift = Math.floor((round * CONFIGS.length) / args.rounds);
      const order = CONFIGS.map((_, i) => CONFIGS[(i + shift) % CONFIGS.length]!);
      for (const config of order) {
        const run = await drive(readerOf(config), args, nodes);
        runs.get(config.name)!.push(run);
        process.stdout.write(
          `  round ${round + 1}/${args.rounds} ${config.name}: ${fmt(qps(run), 0)} QPS${run.errors > 0 ? `, ${run.errors} errors` : ''}\n`,
        );
      }
    }
    const after = await waitForLeader(nodes);
    if (after.id !== leader.id || after.term !== leaderStatus.term)
      console.log(
        `  note: leadership changed during the run (${leader.id} term ${leaderStatus.term} → ${after.id} term ${after.term}): figures mix leaders`,
      );
    report(
      runs,
      nodes.map((n) => n.id),
      leader.id,
      args.rounds,
    );
  } finally {
    for (const c of clients) c.close();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await cluster.stop();
  }
}

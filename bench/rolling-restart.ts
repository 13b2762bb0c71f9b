/**
 * A rolling restart of a 3-node cluster under a steady load, done twice in the same
 * run: with leadership handed over on SIGTERM (the default: the stopping leader sends
 * TimeoutNow to the most up-to-date voter) and without (`--no-transfer-on-stop`: the
 * leader just stops and the others wait out an election timeout).
 *
 *   npm run bench -- rolling [--writers 4] [--readers 2] [--restarts 3]
 *     [--order leader|followers-first] [--read-op both|get|count] [--settle-s 2]
 *     [--between-s 1] [--down-s 0] [--rounds 1] [--deadline-ms 10000]
 *     [--election-timeout-ms N] [--heartbeat-ms N]
 *
 * The load: W writer clients, each upserting one 16-d point with a unique id and
 * waiting for its acknowledgement before the next, and R reader clients doing
 * LINEARIZABLE reads back to back (with `both`, a get of a writer's last acknowledged
 * id and a count in turn). Every client knows the three addresses and retries
 * (maxAttempts 50, backoff 10..100 ms, deadline 10 s per call), so no call should
 * fail. A read that misses a write acknowledged before it started is counted as stale.
 *
 * A restart: SIGTERM, wait for the process to exit, start it again on its data dir with
 * the same flags, wait until it is SERVING and has applied the leader's commit index at
 * the time it was started again; then `--between-s` of steady load before the next.
 * `--down-s` keeps the node down that long before starting it again (default 0, as a
 * supervisor would): a node's start takes a second or more of CPU that the others
 * share on a small machine; with `--down-s 1` the leader change and the node's start
 * fall apart in time (the report gives when each gap began and ended).
 * `--order leader` (the default) restarts whichever node leads at the time, each time:
 * every restart is a leader handover. `followers-first` does what an operator would:
 * the followers, then the leader (each node once per three restarts).
 *
 * Measured: the longest time no writer got an acknowledgement (the gap between two
 * consecutive acknowledgements of all writers together; overall and per restart, a gap
 * counting for the restart in whose window it ends), the same for reads; the time from
 * SIGTERM to a survivor reporting a new leader, and its term; writes acknowledged; and
 * at the end, that every acknowledged id reads back (lost must be 0) and every replica
 * counts the same. The ratio of the max write gap with transfer to without is the figure
 * to compare across runs: the machine is shared and noisy.
 */
import { RaftvecClient } from '../src/client/client.js';
import { ClusterStatusClient, nodeStatus, type NodeStatus } from '../src/client/cluster-status.js';
import {
  fmt,
  killAndWait,
  randomVectors,
  spawnServer,
  startServers,
  waitServing,
  type ServerProcess,
} from './common.js';

const DIM = 16;
const COLLECTION = 'rolling';
/** Distinct vectors the writers cycle through. */
const VECTOR_POOL = 1024;
/** Ids per get when reading every acknowledged write back. */
const VERIFY_BATCH = 1000;
/** How often the bench polls the survivors for a new leader after SIGTERM. */
const LEADER_POLL_MS = 5;

interface Args {
  writers: number;
  readers: number;
  restarts: number;
  order: 'leader' | 'followers-first';
  readOp: 'both' | 'get' | 'count';
  /** Steady load before the first restart (JIT warm; the baseline gap). */
  settleSeconds: number;
  /** Steady load after a restarted node has caught up, before the next restart. */
  betweenSeconds: number;
  /** How long a stopped node stays down before it is started again. */
  downSeconds: number;
  rounds: number;
  deadlineMs: number;
  /** `raftvec serve` timing flags for every node (--election-timeout-ms, --heartbeat-ms). */
  serveArgs: string[];
}

function parseArgs(argv: readonly string[]): Args {
  const args: Args = {
    writers: 4,
    readers: 2,
    restarts: 3,
    order: 'leader',
    readOp: 'both',
    settleSeconds: 2,
    betweenSeconds: 1,
    downSeconds: 0,
    rounds: 1,
    deadlineMs: 10_000,
    serveArgs: [],
  };
  const positiveInt = (flag: string, value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) throw new Error(`${flag} must be a positive integer`);
    return n;
  };
  const nonNegative = (flag: string, value: string): number => {
    const n = Number(value);
    if (!(n >= 0)) throw new Error(`${flag} must be a number ≥ 0`);
    return n;
  };
  for (let i = 0; i < argv.length; i += 2) {
    const flag = argv[i]!;
    const value = argv[i + 1];
    if (value === undefined) throw new Error(`${flag} needs a value`);
    if (flag === '--writers') args.writers = positiveInt(flag, value);
    else if (flag === '--readers')
      args.readers = Number(value) === 0 ? 0 : positiveInt(flag, value);
    else if (flag === '--restarts') args.restarts = positiveInt(flag, value);
    else if (flag === '--rounds') args.rounds = positiveInt(flag, value);
    else if (flag === '--deadline-ms') args.deadlineMs = positiveInt(flag, value);
    else if (flag === '--settle-s') args.settleSeconds = nonNegative(flag, value);
    else if (flag === '--between-s') args.betweenSeconds = nonNegative(flag, value);
    else if (flag === '--down-s') args.downSeconds = nonNegative(flag, value);
    else if (flag === '--election-timeout-ms' || flag === '--heartbeat-ms')
      args.serveArgs.push(flag, String(positiveInt(flag, value)));
    else if (flag === '--order') {
      if (value !== 'leader' && value !== 'followers-first')
        throw new Error('--order is leader or followers-first');
      args.order = value;
    } else if (flag === '--read-op') {
      if (value !== 'both' && value !== 'get' && value !== 'count')
        throw new Error('--read-op is both, get or count');
      args.readOp = value;
    } else throw new Error(`unknown argument ${flag}`);
  }
  return args;
}

interface Mode {
  name: string;
  serveArgs: readonly string[];
}

const MODES: readonly Mode[] = [
  { name: 'with transfer', serveArgs: [] },
  { name: 'without transfer', serveArgs: ['--no-transfer-on-stop'] },
];

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

// ---- the cluster ------------------------------------------------------------------------

/** Each node's status over `clients` (one kept per node), undefined where it did not answer. */
async function statuses(
  clients: readonly ClusterStatusClient[],
  deadlineMs = 500,
): Promise<(NodeStatus | undefined)[]> {
  return Promise.all(clients.map((c) => c.status(deadlineMs).catch(() => undefined)));
}

async function waitForLeader(
  nodes: readonly ServerProcess[],
  timeoutMs = 30_000,
): Promise<NodeStatus> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const all = await Promise.all(nodes.map((n) => nodeStatus(n.address, 500)));
    // The highest term's leader: a deposed one may not know yet.
    const leader = all
      .filter((s): s is NodeStatus => s?.role === 'leader')
      .sort((a, b) => b.term - a.term)[0];
    if (leader) return leader;
    if (Date.now() > until) throw new Error(`no leader within ${timeoutMs} ms`);
    await sleep(20);
  }
}

/** What one restart saw. */
interface Restart {
  victim: string;
  /** The victim led when it got SIGTERM. */
  wasLeader: boolean;
  oldTerm: number;
  /** performance.now() at SIGTERM. */
  sigtermAt: number;
  /** SIGTERM → a survivor reported a new leader (victim was the leader). */
  newLeaderMs?: number;
  newLeader?: string;
  newTerm?: number;
  /** SIGTERM → the process exited. */
  exitMs: number;
  /** performance.now() when the process was started again. */
  respawnAt: number;
  /** Started again → health SERVING. */
  servingMs: number;
  /** Started again → applied the leader's commit index at that time. */
  caughtUpMs: number;
  /** What the victim logged about leadership while stopping. */
  handover?: string;
}

interface Stream {
  /** performance.now() of every acknowledgement, per client. */
  acks: number[][];
  errors: number;
  firstError?: string;
}

/** What one mode measured. */
interface ModeRun {
  mode: Mode;
  restarts: Restart[];
  writes: Stream;
  reads: Stream;
  staleReads: number;
  loadStart: number;
  loadEnd: number;
  writesAcked: number;
  /** Acknowledged ids that did not read back at the end. */
  lost: number;
  /** LINEARIZABLE count at the end, and each replica's EVENTUAL count once level. */
  countAfter: number;
  replicaCounts: Map<string, number>;
}

// ---- the load ---------------------------------------------------------------------------

interface Load {
  stop: () => Promise<void>;
  writes: Stream;
  reads: Stream;
  ackedIds: string[];
  staleReads: () => number;
}

function startLoad(addresses: readonly string[], args: Args): Load {
  const clientOptions = {
    deadlineMs: args.deadlineMs,
    retry: { maxAttempts: 50, initialBackoffMs: 10, maxBackoffMs: 100 },
  };
  const writers = Array.from(
    { length: args.writers },
    () => new RaftvecClient(addresses, clientOptions),
  );
  const readers = Array.from(
    { length: args.readers },
    () => new RaftvecClient(addresses, { ...clientOptions, consistency: 'linearizable' }),
  );
  const pool = randomVectors(VECTOR_POOL, DIM, 7);
  const writes: Stream = { acks: writers.map(() => []), errors: 0 };
  const reads: Stream = { acks: readers.map(() => []), errors: 0 };
  const ackedIds: string[] = [];
  /** Each writer's last acknowledged id. */
  const lastAcked: (string | undefined)[] = writers.map(() => undefined);
  let stale = 0;
  let running = true;
  const fail = (stream: Stream, error: unknown): void => {
    stream.errors++;
    stream.firstError ??= String(error);
  };
  const writeLoops = writers.map(async (client, w) => {
    for (let n = 0; running; n++) {
      const id = `w${w}-${n}`;
      const v = (w * 7919 + n) % VECTOR_POOL;
      try {
        await client.upsert(COLLECTION, [{ id, vector: pool.subarray(v * DIM, (v + 1) * DIM) }]);
        writes.acks[w]!.push(performance.now());
        ackedIds.push(id);
        lastAcked[w] = id;
      } catch (error) {
        fail(writes, error);
      }
    }
  });
  const readLoops = readers.map(async (client, r) => {
    for (let n = 0; running; n++) {
      const op = args.readOp === 'both' ? (n % 2 === 0 ? 'get' : 'count') : args.readOp;
      try {
        if (op === 'get') {
          const id = lastAcked[(r + n) % writers.length];
          const points = await client.get(COLLECTION, [id ?? 'none'], {
            consistency: 'linearizable',
            withVector: false,
            withMetadata: false,
          });
          if (id !== undefined && points.length === 0) stale++;
        } else {
          const before = ackedIds.length;
          const count = await client.count(COLLECTION, { consistency: 'linearizable' });
          if (count < before) stale++;
        }
        reads.acks[r]!.push(performance.now());
      } catch (error) {
        fail(reads, error);
      }
    }
  });
  return {
    writes,
    reads,
    ackedIds,
    staleReads: () => stale,
    stop: async () => {
      running = false;
      await Promise.all([...writeLoops, ...readLoops]);
      for (const c of [...writers, ...readers]) c.close();
    },
  };
}

// ---- a restart --------------------------------------------------------------------------

function pickVictim(
  nodes: readonly ServerProcess[],
  leaderId: string,
  args: Args,
  restartedThisCycle: Set<string>,
): ServerProcess {
  if (args.order === 'leader') return nodes.find((n) => n.id === leaderId)!;
  const left = nodes.filter((n) => !restartedThisCycle.has(n.id));
  return left.find((n) => n.id !== leaderId) ?? left[0]!;
}

async function restartNode(
  nodes: readonly ServerProcess[],
  pollers: Map<string, ClusterStatusClient>,
  victim: ServerProcess,
  leader: NodeStatus,
  downSeconds: number,
): Promise<Restart> {
  const wasLeader = victim.id === leader.id;
  const survivors = nodes.filter((n) => n !== victim);
  const logFrom = victim.log?.length ?? 0;
  const sigtermAt = performance.now();
  const exited = killAndWait(victim.child, 'SIGTERM').then(() => performance.now() - sigtermAt);
  const record: Restart = {
    victim: victim.id,
    wasLeader,
    oldTerm: leader.term,
    sigtermAt,
    exitMs: 0,
    respawnAt: 0,
    servingMs: 0,
    caughtUpMs: 0,
  };
  if (wasLeader) {
    // A survivor that leads in a later term, or follows a leader other than the victim in one.
    const clients = survivors.map((n) => pollers.get(n.id)!);
    const until = sigtermAt + 30_000;
    for (;;) {
      const seen = (await statuses(clients, 250)).find(
        (s) =>
          s !== undefined &&
          s.term > leader.term &&
          (s.role === 'leader' || (s.leaderId !== '' && s.leaderId !== victim.id)),
      );
      if (seen) {
        record.newLeaderMs = performance.now() - sigtermAt;
        record.newLeader = seen.role === 'leader' ? seen.id : seen.leaderId;
        record.newTerm = seen.term;
        break;
      }
      if (performance.now() > until) throw new Error('no new leader within 30 s of SIGTERM');
      await sleep(LEADER_POLL_MS);
    }
  }
  record.exitMs = await exited;
  await sleep(downSeconds * 1000);
  // Again on the same data dir, with the same flags.
  const startedAt = performance.now();
  const target = (await waitForLeader(survivors)).commitIndex;
  victim.child = spawnServer(victim.args, victim.log);
  record.respawnAt = performance.now();
  await waitServing(victim.address);
  record.servingMs = performance.now() - startedAt;
  for (const until = Date.now() + 60_000; ;) {
    const s = await nodeStatus(victim.address, 500);
    if (s !== undefined && s.appliedIndex >= target) break;
    if (Date.now() > until) throw new Error(`${victim.id} did not apply index ${target} in 60 s`);
    await sleep(10);
  }
  record.caughtUpMs = performance.now() - startedAt;
  // Looked for now: the last lines of a process may arrive after its exit event.
  const handover = (victim.log ?? [])
    .slice(logFrom)
    .find((l) => /handed leadership|without handing/.test(l.line))?.line;
  if (handover !== undefined) record.handover = handover;
  return record;
}

// ---- one mode ---------------------------------------------------------------------------

async function verify(
  nodes: readonly ServerProcess[],
  ackedIds: readonly string[],
  deadlineMs: number,
): Promise<{ lost: number; countAfter: number; replicaCounts: Map<string, number> }> {
  const client = new RaftvecClient(
    nodes.map((n) => n.address),
    { deadlineMs: Math.max(deadlineMs, 30_000) },
  );
  try {
    let found = 0;
    for (let from = 0; from < ackedIds.length; from += VERIFY_BATCH) {
      const batch = ackedIds.slice(from, from + VERIFY_BATCH);
      const points = await client.get(COLLECTION, batch, {
        consistency: 'linearizable',
        withVector: false,
        withMetadata: false,
      });
      found += points.length;
    }
    const countAfter = await client.count(COLLECTION, { consistency: 'linearizable' });
    // Every replica, once it has applied what the leader committed.
    const leader = await waitForLeader(nodes);
    const until = Date.now() + 60_000;
    while (
      (await Promise.all(nodes.map((n) => nodeStatus(n.address, 500)))).some(
        (s) => (s?.appliedIndex ?? 0) < leader.commitIndex,
      )
    ) {
      if (Date.now() > until) throw new Error('the replicas did not level within 60 s');
      await sleep(20);
    }
    const replicaCounts = new Map<string, number>();
    for (const n of nodes) {
      const one = new RaftvecClient(n.address, { deadlineMs: 10_000 });
      try {
        replicaCounts.set(n.id, await one.count(COLLECTION, { consistency: 'eventual' }));
      } finally {
        one.close();
      }
    }
    return { lost: ackedIds.length - found, countAfter, replicaCounts };
  } finally {
    client.close();
  }
}

async function runMode(
  mode: Mode,
  args: Args,
  running: { stop?: () => Promise<void> },
): Promise<ModeRun> {
  const label = mode.serveArgs.length === 0 ? 'rolling-transfer' : 'rolling-no-transfer';
  const cluster = await startServers(3, label, {
    serveArgs: [...args.serveArgs, ...mode.serveArgs],
    captureLog: true,
  });
  running.stop = cluster.stop;
  const { nodes } = cluster;
  const pollers = new Map(nodes.map((n) => [n.id, new ClusterStatusClient(n.address)]));
  let load: Load | undefined;
  try {
    await waitForLeader(nodes);
    const addresses = nodes.map((n) => n.address);
    const setup = new RaftvecClient(addresses, { deadlineMs: 30_000 });
    await setup.createCollection(COLLECTION, { dimension: DIM, indexSpec: 'Flat' });
    setup.close();
    const loadStart = performance.now();
    load = startLoad(addresses, args);
    await sleep(args.settleSeconds * 1000);
    const restarts: Restart[] = [];
    let cycle = new Set<string>();
    for (let i = 0; i < args.restarts; i++) {
      if (cycle.size === nodes.length) cycle = new Set();
      const leader = await waitForLeader(nodes);
      const victim = pickVictim(nodes, leader.id, args, cycle);
      cycle.add(victim.id);
      const r = await restartNode(nodes, pollers, victim, leader, args.downSeconds);
      restarts.push(r);
      process.stdout.write(
        `  ${mode.name}: restart ${i + 1}/${args.restarts} ${r.victim}${r.wasLeader ? ` (leader, term ${r.oldTerm})` : ' (follower)'}${r.newLeaderMs !== undefined ? `: new leader ${r.newLeader} term ${r.newTerm} after ${fmt(r.newLeaderMs, 0)} ms` : ''}; exited after ${fmt(r.exitMs, 0)} ms; serving ${fmt(r.servingMs, 0)} ms, caught up ${fmt(r.caughtUpMs, 0)} ms after its start\n`,
      );
      await sleep(args.betweenSeconds * 1000);
    }
    const loadEnd = performance.now();
    await load.stop();
    const l = load;
    load = undefined;
    if (args.order === 'leader' && restarts.some((r) => !r.wasLeader))
      throw new Error('a restart meant for the leader found a follower');
    const v = await verify(nodes, l.ackedIds, args.deadlineMs);
    return {
      mode,
      restarts,
      writes: l.writes,
      reads: l.reads,
      staleReads: l.staleReads(),
      loadStart,
      loadEnd,
      writesAcked: l.ackedIds.length,
      ...v,
    };
  } finally {
    await load?.stop();
    for (const p of pollers.values()) p.close();
    running.stop = undefined;
    await cluster.stop();
  }
}

// ---- gaps and the report ----------------------------------------------------------------

interface Gap {
  ms: number;
  /** performance.now() of the acknowledgement that ended it. */
  end: number;
}

/** Gaps between consecutive acknowledgements of all the clients of a stream together. */
function gaps(stream: Stream): Gap[] {
  const all = stream.acks.flat().sort((a, b) => a - b);
  const out: Gap[] = [];
  for (let i = 1; i < all.length; i++) out.push({ ms: all[i]! - all[i - 1]!, end: all[i]! });
  return out;
}

/** The longest gap of each window: before the first restart, then one per restart. */
function windows(
  stream: Stream,
  restarts: readonly Restart[],
): {
  overall: Gap | undefined;
  steady: Gap | undefined;
  perRestart: (Gap | undefined)[];
  perClient: number;
} {
  const max = (gs: Gap[]): Gap | undefined =>
    gs.reduce<Gap | undefined>((m, g) => (m === undefined || g.ms > m.ms ? g : m), undefined);
  const gs = gaps(stream);
  const starts = restarts.map((r) => r.sigtermAt);
  let perClient = 0;
  for (const acks of stream.acks)
    for (let i = 1; i < acks.length; i++) perClient = Math.max(perClient, acks[i]! - acks[i - 1]!);
  return {
    overall: max(gs),
    steady: max(gs.filter((g) => starts.length === 0 || g.end < starts[0]!)),
    perRestart: starts.map((s, i) =>
      max(gs.filter((g) => g.end >= s && (i + 1 >= starts.length || g.end < starts[i + 1]!))),
    ),
    perClient,
  };
}

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

const ms = (g: Gap | number | undefined): string =>
  g === undefined ? '-' : fmt(typeof g === 'number' ? g : g.ms, 0);

const median = (values: readonly number[]): number => {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

function report(runs: readonly ModeRun[]): void {
  const w = runs.map((r) => windows(r.writes, r.restarts));
  const rd = runs.map((r) => windows(r.reads, r.restarts));
  const per = (f: (r: ModeRun, i: number) => string): string[] => runs.map(f);
  const rows: string[][] = [
    ['', ...runs.map((r) => r.mode.name)],
    ['max write gap (ms)', ...per((_, i) => ms(w[i]!.overall))],
    ['max read gap (ms)', ...per((_, i) => ms(rd[i]!.overall))],
    ['write gap per restart (ms)', ...per((_, i) => w[i]!.perRestart.map(ms).join(' / '))],
    ['read gap per restart (ms)', ...per((_, i) => rd[i]!.perRestart.map(ms).join(' / '))],
    [
      'steady gap before, write / read (ms)',
      ...per((_, i) => `${ms(w[i]!.steady)} / ${ms(rd[i]!.steady)}`),
    ],
    ['one writer: longest ack-to-ack (ms)', ...per((_, i) => ms(w[i]!.perClient))],
    [
      'restarted',
      ...per((r) => r.restarts.map((x) => `${x.victim}${x.wasLeader ? '*' : ''}`).join(' / ')),
    ],
    [
      'SIGTERM → new leader seen (ms)',
      ...per((r) => r.restarts.map((x) => ms(x.newLeaderMs)).join(' / ')),
    ],
    [
      'term old → new',
      ...per((r) =>
        r.restarts
          .map((x) => (x.newTerm === undefined ? '-' : `${x.oldTerm}→${x.newTerm}`))
          .join(' / '),
      ),
    ],
    ['SIGTERM → exit (ms)', ...per((r) => r.restarts.map((x) => ms(x.exitMs)).join(' / '))],
    ['start → caught up (ms)', ...per((r) => r.restarts.map((x) => ms(x.caughtUpMs)).join(' / '))],
    [
      'writes acked (per s)',
      ...per(
        (r) =>
          `${r.writesAcked.toLocaleString('en-US')} (${fmt(r.writesAcked / ((r.loadEnd - r.loadStart) / 1000), 0)})`,
      ),
    ],
    [
      'reads done (per s)',
      ...per((r) => {
        const n = r.reads.acks.reduce((s, a) => s + a.length, 0);
        return `${n.toLocaleString('en-US')} (${fmt(n / ((r.loadEnd - r.loadStart) / 1000), 0)})`;
      }),
    ],
    ['failed calls, write / read', ...per((r) => `${r.writes.errors} / ${r.reads.errors}`)],
    ['stale reads', ...per((r) => String(r.staleReads))],
    ['lost acked writes', ...per((r) => String(r.lost))],
    [
      'count: linearizable; per replica',
      ...per((r) => `${r.countAfter}; ${[...r.replicaCounts.values()].join('/')}`),
    ],
  ];
  console.log(table(rows));
  console.log(
    '  (* the leader when it got SIGTERM; a gap is the longest time with no acknowledgement to any writer (reader), and counts for the restart in whose window it ends)',
  );
  for (const r of runs) {
    const gs = gaps(r.writes);
    const longest = (from: number, to: number): Gap | undefined =>
      gs
        .filter((g) => g.end >= from && g.end < to)
        .reduce<Gap | undefined>((m, g) => (m === undefined || g.ms > m.ms ? g : m), undefined);
    for (const [i, x] of r.restarts.entries()) {
      const g = longest(x.sigtermAt, r.restarts[i + 1]?.sigtermAt ?? Infinity);
      const at = (t: number): string => `+${fmt(t - x.sigtermAt, 0)}`;
      const parts = [
        `longest write gap ${g === undefined ? '-' : `${ms(g)} ms, from ${at(g.end - g.ms)} to ${at(g.end)} ms after SIGTERM`}`,
        `new leader seen ${x.newLeaderMs === undefined ? '-' : `+${fmt(x.newLeaderMs, 0)}`}, exited +${fmt(x.exitMs, 0)}, started again ${at(x.respawnAt)}, serving ${at(x.respawnAt + x.servingMs)}, caught up ${at(x.respawnAt + x.caughtUpMs)}`,
        ...(x.handover === undefined
          ? []
          : [`it logged: ${x.handover.replace(/^\S+Z\s+/, '').trim()}`]),
      ];
      console.log(`  ${r.mode.name}, restart ${i + 1} (${x.victim}): ${parts.join('; ')}`);
    }
    if (r.writes.firstError !== undefined)
      console.log(`  ${r.mode.name}: first write error: ${r.writes.firstError}`);
    if (r.reads.firstError !== undefined)
      console.log(`  ${r.mode.name}: first read error: ${r.reads.firstError}`);
    const counts = new Set(r.replicaCounts.values());
    if (r.lost > 0 || counts.size > 1 || r.countAfter < r.writesAcked)
      console.log(`  ${r.mode.name}: ACKNOWLEDGED WRITES MISSING (see lost / counts above)`);
  }
}

// ---- the run ----------------------------------------------------------------------------

export async function runRollingRestartBench(argv: readonly string[]): Promise<void> {
  const args = parseArgs(argv);
  console.log(
    `rolling restart: 3 nodes, ${args.restarts} restart(s) (${args.order === 'leader' ? 'the leader each time' : 'followers first, then the leader'}) under ${args.writers} writer(s) of single ${DIM}-d points and ${args.readers} LINEARIZABLE reader(s) (${args.readOp === 'both' ? 'get and count in turn' : args.readOp}); ${args.settleSeconds} s of load before, ${args.betweenSeconds} s between, down ${args.downSeconds} s; with transfer on SIGTERM vs --no-transfer-on-stop; ${args.rounds} round(s)${args.serveArgs.length > 0 ? `; serve ${args.serveArgs.join(' ')}` : ''}`,
  );
  // On Ctrl-C (or a kill), the servers go too, and their temporary folder (common.ts kills
  // any server left on 'exit'; a signal with no listener would skip that).
  const running: { stop?: () => Promise<void> } = {};
  const onSignal = (signal: NodeJS.Signals): void => {
    console.error(`\n${signal}: stopping the cluster`);
    void (running.stop?.() ?? Promise.resolve()).finally(() =>
      process.exit(signal === 'SIGINT' ? 130 : 143),
    );
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const ratios: { write: number; read: number; perRestart: number }[] = [];
    for (let round = 0; round < args.rounds; round++) {
      // Alternate which mode goes first: neither always runs on a colder machine.
      const order = round % 2 === 0 ? MODES : [...MODES].reverse();
      const runs: ModeRun[] = [];
      for (const mode of order) runs.push(await runMode(mode, args, running));
      runs.sort((a, b) => MODES.indexOf(a.mode) - MODES.indexOf(b.mode));
      if (args.rounds > 1) console.log(`round ${round + 1}/${args.rounds}:`);
      report(runs);
      const [on, off] = runs.map((r) => {
        const w = windows(r.writes, r.restarts);
        // Follower restarts hand nothing over: the median is over the leader's restarts.
        const leaderGaps = w.perRestart.filter((_, i) => r.restarts[i]!.wasLeader);
        return { w, r: windows(r.reads, r.restarts), leaderGaps };
      });
      const write = (on!.w.overall?.ms ?? NaN) / (off!.w.overall?.ms ?? NaN);
      const read = (on!.r.overall?.ms ?? NaN) / (off!.r.overall?.ms ?? NaN);
      const medianGap = (gs: (Gap | undefined)[]): number => median(gs.map((g) => g?.ms ?? NaN));
      const perRestart = medianGap(on!.leaderGaps) / medianGap(off!.leaderGaps);
      ratios.push({ write, read, perRestart });
      console.log(
        `  max write gap, with transfer / without: ${ms(on!.w.overall)} / ${ms(off!.w.overall)} ms = ${fmt(write, 2)}×; max read gap: ${ms(on!.r.overall)} / ${ms(off!.r.overall)} ms = ${fmt(read, 2)}×; median write gap of a leader restart: ${fmt(medianGap(on!.leaderGaps), 0)} / ${fmt(medianGap(off!.leaderGaps), 0)} ms = ${fmt(perRestart, 2)}×`,
      );
    }
    if (args.rounds > 1)
      console.log(
        `  over ${args.rounds} rounds, median ratio with transfer / without: max write gap ${fmt(median(ratios.map((r) => r.write)), 2)}×, max read gap ${fmt(median(ratios.map((r) => r.read)), 2)}×, median write gap of a leader restart ${fmt(median(ratios.map((r) => r.perRestart)), 2)}× (per round: ${ratios.map((r) => fmt(r.write, 2)).join(', ')})`,
      );
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

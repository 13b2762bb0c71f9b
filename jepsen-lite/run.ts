/**
 * One jepsen-lite run, start to end:
 *
 *   1. start the cluster (real processes, a link proxy on every directed peer link)
 *   2. fault phase: the clients run the workload while the nemesis applies its plan
 *   3. heal everything; the clients go on until writes succeed again (recovery)
 *   4. final reads, checked with the history
 *   5. kill -9 every node, restart them all, final reads again
 *   6. stop the cluster, open each node's data alone: they must agree
 *   7. write results.json, history.jsonl and report.html
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, createWriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cluster } from './cluster.js';
import { Nemesis, planFaults, type NemesisName, type PartitionShape } from './nemesis.js';
import { NodeClients } from './node-client.js';
import { readNodeState, type NodeState } from './node-state.js';
import { Rng } from './random.js';
import { HistoryRecorder } from './recorder.js';
import { summarize } from './summary.js';
import type { Anomaly, RunResults } from './results.js';
import { Worker, type WorkerContext } from './worker.js';
import type { Workload, WorkloadEnv } from './workloads/workload.js';
import { registerWorkload } from './workloads/register.js';
import { setWorkload } from './workloads/set.js';
import { renderReport } from './report/html.js';

export const WORKLOADS = ['register', 'set', 'search'] as const;
export type WorkloadName = (typeof WORKLOADS)[number];

/** Server flags that break safety on purpose, to prove the checks catch what they claim to. */
export const UNSAFE_FLAGS = [
  'ack-before-commit',
  'reads-without-read-index',
  'skip-session-table',
] as const;
export type UnsafeFlag = (typeof UNSAFE_FLAGS)[number];

export interface RunOptions {
  workload: WorkloadName;
  nemeses: NemesisName[];
  /** The partition shapes the nemesis picks from. */
  partitionShapes: PartitionShape[];
  timeSeconds: number;
  seed: number;
  nodes: 3 | 5;
  clients: number;
  /** Register keys (the register workload). */
  keys: number;
  /** Which clients use sessions (client id and sequence on every write). */
  sessions: 'half' | 'all' | 'none';
  /** Deadline of one attempt of one operation. */
  opTimeoutMs: number;
  out: string;
  unsafe: UnsafeFlag[];
  keepData: boolean;
  log: (line: string) => void;
}

/** After the heal, clients go on for at least this long (and until a write succeeds, up to the max). */
const RECOVERY_MIN_MS = 2_000;
const RECOVERY_MAX_MS = 30_000;
/** How long the healed cluster has to bring every node to the same applied index. */
const CONVERGE_MS = 60_000;

function makeWorkload(name: WorkloadName, keys: number): Workload {
  switch (name) {
    case 'register':
      return registerWorkload(keys);
    case 'set':
      return setWorkload({ searchAfterInsert: false });
    case 'search':
      return setWorkload({ searchAfterInsert: true });
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function runJepsen(options: RunOptions): Promise<RunResults> {
  const { log } = options;
  const startedAt = new Date().toISOString();
  const random = new Rng(options.seed);
  mkdirSync(options.out, { recursive: true });
  const dataRoot = mkdtempSync(join(tmpdir(), 'jepsen-lite-'));
  const recorder = new HistoryRecorder();
  const workload = makeWorkload(options.workload, options.keys);
  const anomalies: Anomaly[] = [];
  const checks: RunResults['checks'] = {};

  log(
    `jepsen-lite: ${options.workload} × ${options.nemeses.join(',') || 'no faults'}, ${options.nodes} nodes, seed ${options.seed}, ${options.timeSeconds} s`,
  );
  const cluster = await Cluster.start({
    size: options.nodes,
    root: dataRoot,
    logDir: options.out,
    random: random.fork('links'),
    serveArgs: options.unsafe.map((flag) => `--unsafe-${flag}`),
    ...(options.unsafe.length > 0 && { env: { RAFTVEC_UNSAFE_TEST_FLAGS: '1' } }),
  });
  const clients = new NodeClients(new Map(cluster.nodes.map((n) => [n.id, n.address])));
  let nextProcess = 0;
  const workerContext: WorkerContext = {
    clients,
    recorder,
    nodes: cluster.ids,
    deadlineMs: options.opTimeoutMs,
    nextProcess: () => nextProcess++,
  };
  const env: WorkloadEnv = {
    clients,
    recorder,
    nodes: cluster.ids,
    workerContext,
    random: random.fork('final'),
  };
  const nemesis = new Nemesis(cluster, recorder, log);
  let healedAt: number;
  let clientsStoppedAt: number;
  try {
    await workload.setup(env);

    // 2. The fault phase.
    const plan = planFaults(
      options.nemeses,
      options.timeSeconds * 1000,
      options.nodes,
      random.fork('nemesis'),
      options.partitionShapes,
    );
    let stopClients = false;
    const phaseStart = recorder.now();
    const running = Array.from({ length: options.clients }, (_, i) => {
      const clientRandom = random.fork(`client-${i}`);
      const session = options.sessions === 'all' || (options.sessions === 'half' && i % 2 === 0);
      const worker = new Worker(workerContext, clientRandom, session);
      return workload.runClient(worker, clientRandom, () => stopClients);
    });
    nemesis.start(plan);
    await sleep(options.timeSeconds * 1000);

    // 3. Heal, and keep the clients going until writes succeed again.
    await nemesis.healAll();
    healedAt = recorder.now();
    log(
      `jepsen-lite: healed after ${((healedAt - phaseStart) / 1000).toFixed(1)} s; ${plan.length} faults planned, ${nemesis.windows.length} applied`,
    );
    const recoveryEnd = performance.now() + RECOVERY_MAX_MS;
    await sleep(RECOVERY_MIN_MS);
    while (performance.now() < recoveryEnd && firstOkWriteAfter(recorder, healedAt) === undefined)
      await sleep(100);
    stopClients = true;
    await Promise.all(running);
    clientsStoppedAt = recorder.now();

    // 4. Final reads on the healed cluster.
    log('jepsen-lite: final reads');
    await workload.finalReads(env, 'final');

    // 5. Every node killed at once, restarted, read again.
    log('jepsen-lite: kill -9 every node, restart, read again');
    const killStart = recorder.now();
    await Promise.all(cluster.ids.map((id) => cluster.killNode(id, 'SIGKILL')));
    nemesis.windows.push({
      nemesis: 'kill',
      detail: 'kill -9 every node (after the run)',
      nodes: cluster.ids,
      start: killStart,
      end: null,
    });
    await Promise.all(cluster.ids.map((id) => cluster.startNode(id)));
    nemesis.windows.at(-1)!.end = recorder.now();
    await workload.finalReads(env, 'after-restart');

    // 6. Every node at the same applied index, stopped, its data read alone.
    const converged = await waitForConvergence(cluster);
    await Promise.all(cluster.ids.map((id) => cluster.killNode(id, 'SIGTERM')));
    const states: NodeState[] = [];
    for (const node of cluster.nodes) states.push(await readNodeState(node.id, node.dataDir));
    const agreement = compareNodes(states, converged);
    checks['per-node'] = agreement.check;
    anomalies.push(...agreement.anomalies);
  } finally {
    clients.close();
    await cluster.stop();
    if (!options.keepData) rmSync(dataRoot, { recursive: true, force: true });
    else log(`jepsen-lite: node data kept in ${dataRoot}`);
  }

  // 7. Check the history, write the results.
  log(`jepsen-lite: checking ${recorder.events.length} history events`);
  const report = workload.check(recorder.events);
  Object.assign(checks, report.checks);
  anomalies.unshift(...report.anomalies);
  const results = summarize({
    events: recorder.events,
    anomalies,
    checks,
    faults: nemesis.windows,
    healedAt,
    clientsStoppedAt,
    meta: {
      workload: options.workload,
      nemeses: options.nemeses,
      seed: options.seed,
      nodes: options.nodes,
      timeSeconds: options.timeSeconds,
      startedAt,
      unsafeFlags: options.unsafe,
    },
  });
  writeFileSync(join(options.out, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  await writeHistory(join(options.out, 'history.jsonl'), recorder);
  writeFileSync(join(options.out, 'report.html'), renderReport(results, recorder.events));
  return results;
}

function firstOkWriteAfter(recorder: HistoryRecorder, time: number): number | undefined {
  for (let i = recorder.events.length - 1; i >= 0; i--) {
    const e = recorder.events[i]!;
    if (e.time < time) break;
    if (e.type === 'ok' && e.f !== 'read' && e.f !== 'search') return e.time;
  }
  return undefined;
}

/** Waits until every node has applied everything the leader holds; returns whether they did. */
async function waitForConvergence(cluster: Cluster): Promise<boolean> {
  const end = performance.now() + CONVERGE_MS;
  while (performance.now() < end) {
    const statuses = await Promise.all(cluster.ids.map((id) => cluster.status(id)));
    const leader = statuses.find((s) => s?.role === 'leader');
    // Nothing in flight either: an entry appended but not yet committed would be
    // applied by some nodes and not others while they stop.
    const settled = Number(leader?.commitIndex ?? -1);
    if (
      leader !== undefined &&
      Number(leader.lastIndex) === settled &&
      statuses.every(
        (s) =>
          s !== undefined && Number(s.appliedIndex) === settled && Number(s.lastIndex) === settled,
      )
    )
      return true;
    await sleep(100);
  }
  return false;
}

function compareNodes(
  states: readonly NodeState[],
  converged: boolean,
): { check: RunResults['checks'][string]; anomalies: Anomaly[] } {
  const describe = states
    .map(
      (s) =>
        `${s.node}: index ${s.appliedIndex}, ${s.points} points, digest ${s.digest.slice(0, 12)}`,
    )
    .join('; ');
  const first = states[0]!;
  const sameIndex = states.every((s) => s.appliedIndex === first.appliedIndex);
  const anomalies: Anomaly[] = [];
  if (sameIndex) {
    const differ = states.filter((s) => s.digest !== first.digest || s.contents !== first.contents);
    if (differ.length > 0)
      anomalies.push({
        kind: 'node-disagreement',
        phase: 'per-node',
        message: `nodes at the same applied index ${first.appliedIndex} hold different data: ${describe}`,
        events: [],
      });
  }
  const valid = anomalies.length === 0 && (sameIndex ? true : 'unknown');
  const note =
    !converged || !sameIndex
      ? ' (the nodes did not reach the same applied index: not compared)'
      : '';
  return { check: { valid, summary: `${describe}${note}` }, anomalies };
}

async function writeHistory(path: string, recorder: HistoryRecorder): Promise<void> {
  const out = createWriteStream(path);
  for (const event of recorder.events) {
    if (!out.write(`${JSON.stringify(event)}\n`))
      await new Promise<void>((resolve) => out.once('drain', () => resolve()));
  }
  await new Promise<void>((resolve, reject) =>
    out.end((error?: Error | null) => (error ? reject(error) : resolve())),
  );
}

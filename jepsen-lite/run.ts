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
import type { Anomaly, FaultWindow, RunResults } from './results.js';
import { Worker, type WorkerContext } from './worker.js';
import type { Workload, WorkloadEnv } from './workloads/workload.js';
import { FinalReadError } from './workloads/final-read.js';
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
  const nemesisLog = (line: string): void => log(line);
  let cluster: Cluster | undefined;
  let clients: NodeClients | undefined;
  let nemesis: Nemesis | undefined;
  let healedAt: number;
  let clientsStoppedAt: number;
  try {
    cluster = await Cluster.start({
      size: options.nodes,
      root: dataRoot,
      logDir: options.out,
      random: random.fork('links'),
      serveArgs: options.unsafe.map((flag) => `--unsafe-${flag}`),
      ...(options.unsafe.length > 0 && { env: { RAFTVEC_UNSAFE_TEST_FLAGS: '1' } }),
    });
    clients = new NodeClients(new Map(cluster.nodes.map((n) => [n.id, n.address])));
    let nextProcess = 0;
    const workerContext: WorkerContext = {
      clients,
      recorder,
      nodes: cluster.ids,
      deadlineMs: options.opTimeoutMs,
      nextProcess: () => nextProcess++,
      onSessionLost: (event, error) =>
        anomalies.push({
          kind: 'session-lost',
          phase: 'history',
          message: `a session client's retry was refused as a stale sequence although it never sent a later one: the server lost its session record (${error})`,
          events: [event],
        }),
    };
    const env: WorkloadEnv = {
      clients,
      recorder,
      nodes: cluster.ids,
      workerContext,
      random: random.fork('final'),
    };
    nemesis = new Nemesis(cluster, recorder, nemesisLog);
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
    let clientError: unknown;
    const phaseStart = recorder.now();
    const running = Array.from({ length: options.clients }, (_, i) => {
      const clientRandom = random.fork(`client-${i}`);
      const session = options.sessions === 'all' || (options.sessions === 'half' && i % 2 === 0);
      const worker = new Worker(workerContext, clientRandom, session, `c${i}`);
      // A client that throws (a harness bug, a full history) stops them all: the run failed.
      return workload
        .runClient(worker, clientRandom, () => stopClients)
        .catch((error: unknown) => {
          clientError ??= error;
          stopClients = true;
        });
    });
    nemesis.start(plan);
    const phaseEnd = performance.now() + options.timeSeconds * 1000;
    while (!stopClients && performance.now() < phaseEnd) await sleep(100);

    // 3. Heal, and keep the clients going until writes succeed again.
    await nemesis.healAll();
    healedAt = recorder.now();
    log(
      `jepsen-lite: healed after ${((healedAt - phaseStart) / 1000).toFixed(1)} s; ${plan.length} faults planned, ${nemesis.windows.length} applied`,
    );
    const recoveryEnd = performance.now() + RECOVERY_MAX_MS;
    await sleep(RECOVERY_MIN_MS);
    while (
      !stopClients &&
      performance.now() < recoveryEnd &&
      firstOkWriteAfter(recorder, healedAt) === undefined
    )
      await sleep(100);
    stopClients = true;
    await Promise.all(running);
    clientsStoppedAt = recorder.now();
    if (clientError !== undefined) throw clientError;

    await afterTheRun(cluster, workload, env, nemesis, recorder, checks, anomalies, log);
  } finally {
    nemesis?.cancel();
    clients?.close();
    await cluster?.stop();
    if (!options.keepData) rmSync(dataRoot, { recursive: true, force: true });
    else log(`jepsen-lite: node data kept in ${dataRoot}`);
  }
  for (const exit of cluster.unexpectedExits)
    anomalies.push({
      kind: 'node-crashed',
      phase: 'history',
      message: `${exit.node} exited on its own (code ${exit.code}, signal ${exit.signal}) ${(exit.at / 1000).toFixed(1)} s into the run; its log is ${exit.node}.log`,
      events: [],
    });

  // 7. Check the history, write the results.
  log(`jepsen-lite: checking ${recorder.events.length} history events`);
  const report = workload.check(recorder.events);
  Object.assign(checks, report.checks);
  anomalies.unshift(...report.anomalies);
  const results = summarize({
    events: recorder.events,
    anomalies,
    checks,
    faults: nemesis?.windows ?? [],
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

/**
 * Steps 4 to 6: final reads, a full-cluster kill -9 and restart, final reads again,
 * then every node's data read alone. A healed cluster that does not answer, or a node
 * that does not come back, is an anomaly of its own (and ends these steps).
 */
async function afterTheRun(
  cluster: Cluster,
  workload: Workload,
  env: WorkloadEnv,
  nemesis: Nemesis,
  recorder: HistoryRecorder,
  checks: RunResults['checks'],
  anomalies: Anomaly[],
  log: (line: string) => void,
): Promise<void> {
  const unavailable = (phase: string, error: unknown): void => {
    const message = error instanceof Error ? error.message : String(error);
    checks[`available (${phase})`] = { valid: false, summary: message };
    anomalies.push({ kind: 'unavailable', phase, message, events: [] });
  };
  try {
    log('jepsen-lite: final reads');
    await workload.finalReads(env, 'final');
  } catch (error) {
    if (!(error instanceof FinalReadError)) throw error;
    unavailable('final', error);
    return;
  }

  log('jepsen-lite: kill -9 every node, restart, read again');
  const window: FaultWindow = {
    nemesis: 'kill',
    detail: 'kill -9 every node (after the run)',
    nodes: cluster.ids,
    start: recorder.now(),
    end: null,
  };
  nemesis.windows.push(window);
  await Promise.all(cluster.ids.map((id) => cluster.killNode(id, 'SIGKILL')));
  try {
    await Promise.all(cluster.ids.map((id) => cluster.startNode(id)));
    window.end = recorder.now();
    await workload.finalReads(env, 'after-restart');
  } catch (error) {
    unavailable('after-restart', error);
    return;
  }

  // Every node at the same applied index, frozen at once so that none moves on while
  // the others stop, then killed; each data directory is then read alone.
  const converged = await waitForConvergence(cluster);
  cluster.freezeAll();
  await Promise.all(cluster.ids.map((id) => cluster.killNode(id, 'SIGKILL')));
  const states: NodeState[] = [];
  for (const node of cluster.nodes) states.push(await readNodeState(node.id, node.dataDir));
  const agreement = compareNodes(states, converged);
  checks['per-node'] = agreement.check;
  anomalies.push(...agreement.anomalies);
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
  // Nodes that applied the same entries must agree; a node at another index is
  // compared with the others at its index, if any.
  const byIndex = new Map<number, NodeState[]>();
  for (const state of states) {
    const group = byIndex.get(state.appliedIndex) ?? [];
    group.push(state);
    byIndex.set(state.appliedIndex, group);
  }
  const anomalies: Anomaly[] = [];
  for (const [index, group] of byIndex) {
    const first = group[0]!;
    if (group.some((s) => s.digest !== first.digest || s.contents !== first.contents))
      anomalies.push({
        kind: 'node-disagreement',
        phase: 'per-node',
        message: `nodes at the same applied index ${index} hold different data: ${describe}`,
        events: [],
      });
  }
  const allCompared = byIndex.size === 1;
  const valid = anomalies.length > 0 ? false : allCompared ? true : 'unknown';
  const note = allCompared
    ? ''
    : ` (${converged ? '' : 'the nodes did not converge; '}only nodes at the same applied index were compared)`;
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

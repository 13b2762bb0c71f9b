/** Shared pieces of the benchmarks: seeded data, timing, and real server processes. */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { packageRoot } from '../src/package-root.js';
import { checkHealth } from '../src/client/health.js';
import { freePort } from '../src/cli/local-cluster.js';
import { mulberry32 } from '../test/support/random.js';

export function randomVectors(count: number, dim: number, seed: number): Float32Array {
  const random = mulberry32(seed);
  const out = new Float32Array(count * dim);
  for (let i = 0; i < out.length; i++) out[i] = random() * 2 - 1;
  return out;
}

export async function timed<T>(work: () => Promise<T>): Promise<{ value: T; seconds: number }> {
  const start = process.hrtime.bigint();
  const value = await work();
  return { value, seconds: Number(process.hrtime.bigint() - start) / 1e9 };
}

export const fmt = (n: number, digits = 1): string =>
  n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export interface ServerProcess {
  id: string;
  address: string;
  dataDir: string;
  child: ChildProcess;
  args: string[];
  /** The node's output lines (stdout and stderr) with the time each arrived, when captured. */
  log?: LogLine[];
}

export interface LogLine {
  /** performance.now() when the line arrived. */
  at: number;
  line: string;
}

export interface StartOptions {
  /** More `raftvec serve` flags for every node (e.g. --snapshot-threshold-entries 10). */
  serveArgs?: readonly string[];
  /** Keep each node's output lines in ServerProcess.log (with arrival times). */
  captureLog?: boolean;
}

/** Starts `raftvec serve` processes (one node, or a cluster when size > 1) and waits until they serve. */
export async function startServers(
  size: number,
  label: string,
  options: StartOptions = {},
): Promise<{ nodes: ServerProcess[]; stop: () => Promise<void> }> {
  const root = mkdtempSync(join(tmpdir(), `raftvec-bench-${label}-`));
  const ids = Array.from({ length: size }, (_, i) => `n${i + 1}`);
  const addresses = await Promise.all(ids.map(async () => `127.0.0.1:${await freePort()}`));
  const peers = ids.map((id, i) => `${id}=${addresses[i]}`).join(',');
  const nodes = ids.map((id, i): ServerProcess => {
    const args = [
      'serve',
      '--id',
      id,
      '--listen',
      addresses[i]!,
      '--peers',
      peers,
      '--data',
      join(root, id),
      ...(options.serveArgs ?? []),
    ];
    const log = options.captureLog ? [] : undefined;
    return {
      id,
      address: addresses[i]!,
      dataDir: join(root, id),
      args,
      child: spawnServer(args, log),
      ...(log && { log }),
    };
  });
  const stop = async (): Promise<void> => {
    // With node flags (profiling), a graceful stop lets the servers write what they collected.
    const signal = serverNodeArgs.length > 0 ? 'SIGTERM' : 'SIGKILL';
    await Promise.all(nodes.map((n) => killAndWait(n.child, signal)));
    rmSync(root, { recursive: true, force: true });
  };
  try {
    await Promise.all(nodes.map((n) => Promise.race([waitServing(n.address), exitedEarly(n)])));
  } catch (error) {
    await stop();
    throw error;
  }
  return { nodes, stop };
}

/** The cluster secret every benchmark server gets. */
export const BENCH_CLUSTER_SECRET = 'bench';

/** Every server process started and not yet exited: killed if the benchmark exits early. */
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

/** Kills `child` with SIGKILL if the benchmark exits while it runs (like the servers). */
export function trackChild(child: ChildProcess): void {
  live.add(child);
  child.once('exit', () => live.delete(child));
}

/**
 * Node flags for every server a benchmark starts, from RAFTVEC_BENCH_NODE_ARGS (e.g.
 * "--cpu-prof --cpu-prof-dir=/tmp/prof" to profile them; a profile is written when a
 * server exits on SIGTERM).
 */
const serverNodeArgs = (process.env.RAFTVEC_BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);

/** Spawns `raftvec serve`; with `log`, its output lines are appended there as they arrive. */
export function spawnServer(args: readonly string[], log?: LogLine[]): ChildProcess {
  const script = join(packageRoot(), 'bin', 'raftvec.js');
  const child = spawn(process.execPath, [...serverNodeArgs, script, ...args], {
    stdio: ['ignore', log ? 'pipe' : 'ignore', log ? 'pipe' : 'ignore'],
    env: { ...process.env, RAFTVEC_CLUSTER_SECRET: BENCH_CLUSTER_SECRET },
  });
  trackChild(child);
  if (log) {
    for (const stream of [child.stdout, child.stderr]) {
      if (stream === null) continue;
      createInterface({ input: stream }).on('line', (line) => {
        log.push({ at: performance.now(), line });
        if (log.length > 10_000) log.splice(0, 5_000);
      });
    }
  }
  return child;
}

/** Rejects if the server process exits (a node that dies at start-up fails fast, not after 60 s). */
function exitedEarly(node: ServerProcess): Promise<never> {
  return new Promise((_, reject) => {
    const fail = (): void => {
      const tail = node.log
        ?.slice(-5)
        .map((l) => l.line)
        .join(' | ');
      reject(
        new Error(
          `raftvec serve ${node.id} (${node.address}) exited (${node.child.signalCode ?? `code ${node.child.exitCode}`}) before serving${tail ? `: ${tail}` : ''}`,
        ),
      );
    };
    if (node.child.exitCode !== null || node.child.signalCode !== null) fail();
    else node.child.once('exit', fail);
  });
}

export async function waitServing(address: string, timeoutMs = 60_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while ((await checkHealth(address, '', 1_000).catch(() => 'UNKNOWN')) !== 'SERVING') {
    if (Date.now() > until) throw new Error(`${address} did not serve within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export function killAndWait(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill(signal);
  });
}

/** Shared pieces of the benchmarks: seeded data, timing, and real server processes. */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
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
  /** More environment variables for every node (e.g. RAFTVEC_COMMIT_TRACE). */
  env?: Readonly<Record<string, string>>;
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
      child: spawnServer(args, log, options.env),
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

/** Seeded vectors and queries written as float32 files, for a benchmark's child processes. */
export interface DataFiles {
  dataFile: string;
  n: number;
  queriesFile: string;
  queries: number;
  dim: number;
  k: number;
}

export interface ChildOutput {
  stdout: string;
  stderr: string;
  code: number | null;
  signal: NodeJS.Signals | null;
}

/**
 * Runs `command` to its end (killed with the benchmark if that ends first) and resolves
 * with everything it printed and how it exited; rejects only when it cannot start.
 */
export function runToEnd(
  command: string,
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string } = {},
): Promise<ChildOutput> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    trackChild(child);
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.once('error', reject);
    child.once('exit', (code, signal) => resolve({ stdout, stderr, code, signal }));
  });
}

/**
 * Node flags for every server a benchmark starts, from RAFTVEC_BENCH_NODE_ARGS (e.g.
 * "--cpu-prof --cpu-prof-dir=/tmp/prof" to profile them; a profile is written when a
 * server exits on SIGTERM).
 */
const serverNodeArgs = (process.env.RAFTVEC_BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);

/** Spawns `raftvec serve`; with `log`, its output lines are appended there as they arrive. */
export function spawnServer(
  args: readonly string[],
  log?: LogLine[],
  env: Readonly<Record<string, string>> = {},
): ChildProcess {
  const script = join(packageRoot(), 'bin', 'raftvec.js');
  const child = spawn(process.execPath, [...serverNodeArgs, script, ...args], {
    stdio: ['ignore', log ? 'pipe' : 'ignore', log ? 'pipe' : 'ignore'],
    env: { ...process.env, ...env, RAFTVEC_CLUSTER_SECRET: BENCH_CLUSTER_SECRET },
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

// ---- process CPU time (Linux /proc) ----------------------------------------------------

let clockTicks: { perSecond: number; assumed: boolean } | undefined;

/**
 * Clock ticks per second of /proc/<pid>/stat's times: `getconf CLK_TCK`, read once;
 * 100 (the Linux value on every common architecture) if getconf is missing or odd.
 */
export function clockTicksPerSecond(): { perSecond: number; assumed: boolean } {
  if (clockTicks === undefined) {
    let perSecond = NaN;
    try {
      perSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    } catch {
      /* no getconf: assume 100 below */
    }
    clockTicks =
      Number.isInteger(perSecond) && perSecond > 0
        ? { perSecond, assumed: false }
        : { perSecond: 100, assumed: true };
  }
  return clockTicks;
}

/**
 * CPU seconds (user + system, all threads) that process `pid` has used so far, from
 * /proc/<pid>/stat. Resolution: one clock tick (10 ms at CLK_TCK 100). Throws if the
 * process is gone or /proc is not there.
 */
export function processCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Field 2, the command, is in parentheses and may hold spaces: split after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state); utime and stime are fields 14 and 15.
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) {
    throw new Error(`cannot parse /proc/${pid}/stat`);
  }
  return (utime + stime) / clockTicksPerSecond().perSecond;
}

export interface QuietOptions {
  /** The window that must be quiet (ms). Default 1,500. */
  quietMs?: number;
  /** Most CPU the process may use over that window, as a fraction of one CPU. Default 0.05. */
  maxCpuFraction?: number;
  /** Give up after this long (ms); the promise still resolves, with quiet = false. Default 180,000. */
  timeoutMs?: number;
  /** Sampling period (ms). Default 100. */
  pollMs?: number;
}

export interface QuietResult {
  /** The process used at most maxCpuFraction of a CPU over the last quietMs. */
  quiet: boolean;
  /** How long the wait took (ms), including the quiet window itself. */
  waitedMs: number;
  /** CPU used over the last full window (fraction of one CPU); NaN if there never was one. */
  cpuFraction: number;
  /** Why it stopped early (the process exited, /proc unreadable), if it did. */
  error?: string;
}

/**
 * Waits until process `pid` has been quiet: at most `maxCpuFraction` of one CPU over
 * the last `quietMs`, from its CPU time in /proc/<pid>/stat polled every ~100 ms. Used
 * after bulk writes, while the server still checkpoints its indexes and snapshots.
 * Never rejects: on timeout (or if the process goes away) it resolves with
 * `quiet: false`, and the caller says so ("server still busy after N s").
 */
export async function waitProcessQuiet(
  pid: number,
  { quietMs = 1_500, maxCpuFraction = 0.05, timeoutMs = 180_000, pollMs = 100 }: QuietOptions = {},
): Promise<QuietResult> {
  const start = performance.now();
  const samples: { at: number; cpu: number }[] = [];
  let cpuFraction = NaN;
  for (;;) {
    const at = performance.now();
    let cpu: number;
    try {
      cpu = processCpuSeconds(pid);
    } catch (error) {
      return {
        quiet: false,
        waitedMs: at - start,
        cpuFraction,
        error: error instanceof Error ? error.message : String(error),
      };
    }
    samples.push({ at, cpu });
    // The newest sample at least quietMs old starts the window; older ones are not needed.
    let first = -1;
    for (let i = samples.length - 1; i >= 0; i--) {
      if (at - samples[i]!.at >= quietMs) {
        first = i;
        break;
      }
    }
    if (first >= 0) {
      samples.splice(0, first);
      const from = samples[0]!;
      cpuFraction = (cpu - from.cpu) / ((at - from.at) / 1000);
      if (cpuFraction <= maxCpuFraction) return { quiet: true, waitedMs: at - start, cpuFraction };
    }
    if (at - start >= timeoutMs) return { quiet: false, waitedMs: at - start, cpuFraction };
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

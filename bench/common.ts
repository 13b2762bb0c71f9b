/** Shared pieces of the benchmarks: seeded data, timing, and real server processes. */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
}

/** Starts `raftvec serve` processes (one node, or a cluster when size > 1) and waits until they serve. */
export async function startServers(
  size: number,
  label: string,
): Promise<{ nodes: ServerProcess[]; stop: () => Promise<void> }> {
  const root = mkdtempSync(join(tmpdir(), `raftvec-bench-${label}-`));
  const ids = Array.from({ length: size }, (_, i) => `n${i + 1}`);
  const addresses = await Promise.all(ids.map(async () => `127.0.0.1:${await freePort()}`));
  const peers = ids.map((id, i) => `${id}=${addresses[i]}`).join(',');
  const nodes = ids.map((id, i) => {
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
    ];
    return { id, address: addresses[i]!, dataDir: join(root, id), args, child: spawnServer(args) };
  });
  await Promise.all(nodes.map((n) => waitServing(n.address)));
  return {
    nodes,
    stop: async () => {
      await Promise.all(nodes.map((n) => killAndWait(n.child, 'SIGKILL')));
      rmSync(root, { recursive: true, force: true });
    },
  };
}

export function spawnServer(args: readonly string[]): ChildProcess {
  return spawn(process.execPath, [join(packageRoot(), 'bin', 'raftvec.js'), ...args], {
    stdio: ['ignore', 'ignore', 'ignore'],
    env: { ...process.env, RAFTVEC_CLUSTER_SECRET: 'bench' },
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

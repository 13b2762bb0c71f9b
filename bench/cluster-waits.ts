/** Waits and sizes the cluster benchmarks share (lifecycle, membership). */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { nodeStatus } from '../src/client/cluster-status.js';
import type { ServerProcess } from './common.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `check` every `intervalMs` until it answers something; throws after `timeoutMs`. */
export async function until<T>(
  what: string,
  timeoutMs: number,
  check: () => Promise<T | undefined> | T | undefined,
  intervalMs = 50,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > end)
      throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await sleep(intervalMs);
  }
}

/** Bytes of the files under `dir` (a file gone meanwhile counts 0). */
export async function sizeOf(dir: string): Promise<number> {
  let bytes = 0;
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile())
      bytes += await stat(join(entry.parentPath, entry.name)).then(
        (s) => s.size,
        () => 0,
      );
  }
  return bytes;
}

export async function leaderOf(nodes: readonly ServerProcess[]): Promise<ServerProcess> {
  return until('a leader', 30_000, async () => {
    for (const n of nodes) if ((await nodeStatus(n.address))?.role === 'leader') return n;
    return undefined;
  });
}

/** Waits until every node has applied `index`. */
export async function allApplied(
  nodes: readonly ServerProcess[],
  index: number,
  timeoutMs: number,
): Promise<void> {
  for (const n of nodes)
    await until(`${n.id} to apply ${index}`, timeoutMs, async () => {
      const s = await nodeStatus(n.address);
      return s !== undefined && s.appliedIndex >= index ? s : undefined;
    });
}

/** Waits until no node is writing a snapshot (no `.tmp-` folder, listings unchanged for 1 s). */
export async function snapshotsSettled(
  nodes: readonly ServerProcess[],
  timeoutMs: number,
): Promise<void> {
  const listing = async (): Promise<string> => {
    const names: string[] = [];
    for (const n of nodes)
      names.push(n.id, ...(await readdir(join(n.dataDir, 'snapshots')).catch(() => [])));
    return names.join(',');
  };
  let last = '';
  let stableSince = Date.now();
  await until(
    'the snapshots to settle',
    timeoutMs,
    async () => {
      const now = await listing();
      if (now !== last || now.includes('.tmp-')) {
        last = now;
        stableSince = Date.now();
        return undefined;
      }
      return Date.now() - stableSince >= 1_000 ? true : undefined;
    },
    250,
  );
}

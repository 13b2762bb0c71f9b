/**
 * Start-up: a node binds its port before it loads its state, answers health
 * NOT_SERVING and shows its loading progress in the cluster status meanwhile,
 * refuses other calls with UNAVAILABLE and a message saying why, and turns
 * SERVING once loaded. A damaged state store is rebuilt from the Raft log (found at
 * once by a scan, or by the background scrub after a start from point tables).
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { RaftvecClient } from '../../src/client/client.js';
import { ClusterStatusClient } from '../../src/client/cluster-status.js';
import { checkHealth } from '../../src/client/health.js';
import { freePort } from '../../src/cli/local-cluster.js';
import { startNode, type NodeHandle } from '../../src/server/node.js';
import type { LoadProgress } from '../../src/storage/state-machine.js';
import { waitFor, waitForServing } from '../support/processes.js';

const dirs: string[] = [];
const nodes: NodeHandle[] = [];
afterEach(async () => {
  for (const n of nodes.splice(0)) await n.stop();
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

async function start(dataDir: string, port: number, logs: string[] = [], extra = {}) {
  const node = await startNode({
    listen: `127.0.0.1:${port}`,
    dataDir,
    announce: false,
    log: (line) => logs.push(line),
    ...extra,
  });
  nodes.push(node);
  return node;
}

async function seed(dataDir: string, port: number, points: number): Promise<void> {
  const node = await start(dataDir, port);
  await waitForServing(node.address);
  const client = new RaftvecClient(node.address);
  await client.createCollection('docs', { dimension: 8, metric: 'l2' });
  for (let i = 0; i < points; i += 1_000) {
    const batch = Array.from({ length: Math.min(1_000, points - i) }, (_, j) => ({
      id: `p${i + j}`,
      vector: Array.from({ length: 8 }, (_, d) => ((i + j) * 7 + d) % 13),
      metadata: { n: i + j },
    }));
    await client.upsert('docs', batch);
  }
  client.close();
  await node.stop();
  nodes.splice(nodes.indexOf(node), 1);
}

describe('start-up', () => {
  it('binds first: NOT_SERVING with loading progress, UNAVAILABLE calls, then SERVING', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'raftvec-startup-'));
    dirs.push(dataDir);
    const port = await freePort();
    await seed(dataDir, port, 12_000);

    // Hold loading at its first report past 5,000 points, and look at the node from outside.
    const seen: Array<{ health: string; progress: LoadProgress; phase: string; call: string }> = [];
    let held = false;
    const starting = start(dataDir, port, [], {
      onLoadProgress: async (progress: LoadProgress) => {
        if (held || progress.pointsLoaded < 5_000) return;
        held = true;
        const address = `127.0.0.1:${port}`;
        const statusClient = new ClusterStatusClient(address);
        const client = new RaftvecClient(address, { retry: { maxAttempts: 1 } });
        try {
          const health = await checkHealth(address, '', 2_000);
          const status = await statusClient.status(2_000);
          const call = await client.count('docs').then(
            (n) => `answered ${n}`,
            (err: Error) => err.message,
          );
          seen.push({ health, progress, phase: status.phase, call });
          expect(status.loading).toMatchObject({
            collectionsTotal: 1,
            collection: 'docs',
            pointsLoaded: progress.pointsLoaded,
          });
        } finally {
          statusClient.close();
          client.close();
        }
      },
    });
    const node = await starting;
    expect(held).toBe(true);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ health: 'NOT_SERVING', phase: 'loading' });
    expect(seen[0]!.call).toMatch(/UNAVAILABLE|is starting: loading its state \(collection "docs"/);
    expect(seen[0]!.call).toMatch(/loading its state/);

    await waitForServing(node.address);
    const client = new RaftvecClient(node.address);
    expect(await client.count('docs')).toBe(12_000);
    const status = await new ClusterStatusClient(node.address).status();
    expect(status.phase).toBe('running');
    expect(status.appliedDigest?.index).toBe(status.appliedIndex);
    client.close();
  });

  it('finds a state store damaged while down (in the background after a fast start), stops serving, and rebuilds it from the Raft log at the next start', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'raftvec-startup-'));
    dirs.push(dataDir);
    const port = await freePort();
    await seed(dataDir, port, 2_000);
    const before = await (async () => {
      const node = await start(dataDir, port);
      await waitForServing(node.address);
      const digest = (await new ClusterStatusClient(node.address).status()).appliedDigest;
      await node.stop();
      nodes.splice(nodes.indexOf(node), 1);
      return digest;
    })();

    // Flip bytes inside the state store's table files (where the points are).
    const stateDir = join(dataDir, 'state');
    let damaged = 0;
    for (const file of (await readdir(stateDir)).filter((f) => f.endsWith('.ldb'))) {
      const bytes = await readFile(join(stateDir, file));
      if (bytes.length < 1_000) continue;
      for (const at of [0.25, 0.5, 0.75]) bytes[Math.floor(bytes.length * at)]! ^= 0x10;
      await writeFile(join(stateDir, file), bytes);
      damaged++;
    }
    expect(damaged).toBeGreaterThan(0);

    // The graceful stop left point tables: the node starts without reading the points,
    // and its background scrub meets the damage.
    const first: string[] = [];
    const node = await start(dataDir, port, first);
    await waitFor('the scrub to report the damage', () =>
      /state store at .*state is corrupted.*NOT_SERVING/s.test(first.join('\n')),
    );
    expect(first.join('\n')).toMatch(/1 of them with their point table/);
    expect(await checkHealth(node.address, '', 1_000)).toBe('NOT_SERVING');
    await node.stop();
    nodes.splice(nodes.indexOf(node), 1);

    const logs: string[] = [];
    const again = await start(dataDir, port, logs);
    await waitForServing(again.address);
    expect(logs.join('\n')).toMatch(/state store at .*state is corrupted/);
    expect(logs.join('\n')).toMatch(
      /moved to .*state\.damaged-.*rebuilding the state from the Raft log/,
    );
    expect((await readdir(dataDir)).some((f) => f.startsWith('state.damaged-'))).toBe(true);
    const client = new RaftvecClient(again.address);
    expect(await client.count('docs')).toBe(2_000);
    const [p] = await client.get('docs', ['p1999']);
    expect(p?.metadata).toEqual({ n: 1999 });
    client.close();
    // The rebuilt state is the same state: same digest at the same index.
    const after = await new ClusterStatusClient(again.address).status(2_000, before!.index);
    expect(after.digestAt).toEqual(before);
  });
});

/**
 * `raftvec snapshot restore`, with real processes: a 3-node cluster's data is backed up
 * with `raftvec snapshot` (one node's newest snapshot folder, copied away), the cluster
 * is stopped, and the snapshot is restored into 3 fresh data directories of a NEW
 * cluster (new ids, new ports). The new cluster elects a leader among the new members
 * only, holds every point of the snapshot (vectors and metadata) and nothing written
 * after it, searches, and takes and replicates new writes. A damaged or partial
 * snapshot and a --data that holds anything are refused. Needs `npm run build`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cp, mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo, Server } from 'node:net';
import { join } from 'node:path';
import { holdPort } from '../../src/cli/local-cluster.js';
import { RaftvecClient } from '../../src/client/client.js';
import { nodeStatus } from '../../src/client/cluster-status.js';
import type { Metadata } from '../../src/domain.js';
import { TEST_CLUSTER_SECRET, TestCluster } from '../support/cluster.js';
import {
  ProcessGroup,
  runCli,
  waitFor,
  type CliResult,
  type NodeProcess,
} from '../support/processes.js';

const procs = new ProcessGroup();
afterAll(() => procs.cleanup());

const SECRET_ENV = { RAFTVEC_CLUSTER_SECRET: TEST_CLUSTER_SECRET };
const DIM = 4;
const POINTS = 40;

interface Original {
  id: string;
  vector: number[];
  metadata: Metadata;
}
const originals: Original[] = Array.from({ length: POINTS }, (_, i) => ({
  id: `p${i}`,
  vector: [i, i % 7, (i * 3) % 11, 1 - i / POINTS],
  metadata: { n: i, parity: i % 2 === 0 ? 'even' : 'odd', nested: { tags: [`t${i % 3}`] } },
}));

/** A copy of one node's newest snapshot folder, taken by `raftvec snapshot`. */
let backup: string;
let snapshotIndex: number;

function ok(r: CliResult): unknown {
  expect(r.code, `exit code; stderr:\n${r.stderr}`).toBe(0);
  return JSON.parse(r.stdout) as unknown;
}

const restore = (from: string, data: string, id: string, peers: string): Promise<CliResult> =>
  runCli(['snapshot', 'restore', '--from', from, '--data', data, '--id', id, '--peers', peers]);

beforeAll(async () => {
  const cluster = await TestCluster.start(procs, 3);
  const client = cluster.client();
  try {
    await cluster.waitForLeader();
    await client.createCollection('docs', { dimension: DIM });
    await client.upsert('docs', originals.slice(0, 25));
    await client.upsert('docs', originals.slice(25));
    const taken = ok(
      await runCli(['--address', cluster.addresses.join(','), 'snapshot'], { env: SECRET_ENV }),
    ) as Array<{ address: string; index: number }>;
    expect(taken).toHaveLength(3);
    // n2's snapshot folder: <data>/snapshots/<index>.
    const n2 = cluster.member('n2');
    const mine = taken.find((t) => t.address === n2.address)!;
    snapshotIndex = mine.index;
    expect(snapshotIndex).toBeGreaterThan(0);
    const folder = join(n2.dataDir, 'snapshots', String(snapshotIndex));
    expect(await readdir(folder)).toContain('meta.json');
    backup = join(await procs.tempDir('backup'), String(snapshotIndex));
    await cp(folder, backup, { recursive: true });
    // Written after the snapshot: must not be in the restored cluster.
    await client.upsert('docs', [{ id: 'after-snapshot', vector: [9, 9, 9, 9] }]);
  } finally {
    client.close();
  }
  for (const m of cluster.members) await m.process?.kill('SIGTERM');
  await cluster.close();
});

describe('raftvec snapshot restore', () => {
  it('restores a snapshot into a new 3-member cluster that serves the data and takes writes', async () => {
    const ids = ['r1', 'r2', 'r3'];
    const held: Server[] = await Promise.all(ids.map(() => holdPort()));
    const addresses = held.map((s) => `127.0.0.1:${(s.address() as AddressInfo).port}`);
    const peers = ids.map((id, i) => `${id}=${addresses[i]}`).join(',');
    const dirs: string[] = [];
    for (const id of ids) {
      const data = join(await procs.tempDir(`restored-${id}`), 'data');
      dirs.push(data);
      const out = ok(await restore(backup, data, id, peers)) as {
        id: string;
        snapshot: { index: number };
        log: { startsAfter: number; vote: null };
        members: Array<{ id: string; role: string; peerAddress: string }>;
        collections: Array<{ name: string; points: number }>;
      };
      expect(out.id).toBe(id);
      expect(out.snapshot.index).toBe(snapshotIndex);
      expect(out.log).toMatchObject({ startsAfter: snapshotIndex, vote: null });
      expect(out.members).toEqual(
        ids.map((m, i) => ({ id: m, role: 'voter', peerAddress: addresses[i] })),
      );
      expect(out.collections).toEqual([{ name: 'docs', points: POINTS }]);
    }
    await Promise.all(held.map((s) => new Promise((r) => s.close(r))));

    // Started together: a member is SERVING once it knows a leader.
    const nodes: NodeProcess[] = await Promise.all(
      ids.map((id, i) =>
        procs.startNode({
          name: id,
          dataDir: dirs[i]!,
          listen: addresses[i]!,
          args: ['--id', id, '--peers', peers],
          env: SECRET_ENV,
        }),
      ),
    );
    const leader = await waitFor(
      'a leader all three restored members agree on',
      async () => {
        const statuses = await Promise.all(addresses.map((a) => nodeStatus(a, 1_000)));
        const l = statuses.find((s) => s?.role === 'leader');
        return l !== undefined && statuses.every((s) => s?.leaderId === l.id && s.term === l.term)
          ? l
          : undefined;
      },
      { timeoutMs: 30_000 },
    );
    expect(ids).toContain(leader.id);
    expect(leader.snapshotIndex).toBeGreaterThanOrEqual(snapshotIndex);
    expect(leader.membership?.members.map((m) => m.id).sort()).toEqual(ids);
    for (const n of nodes) expect(n.stderr).not.toMatch(/disagrees with the stored configuration/);

    const client = new RaftvecClient(addresses, {
      deadlineMs: 20_000,
      retry: { maxAttempts: 20, initialBackoffMs: 25, maxBackoffMs: 500 },
    });
    try {
      const [docs] = await client.listCollections();
      expect(docs).toMatchObject({ name: 'docs', dimension: DIM, pointCount: POINTS });
      const got = await client.get(
        'docs',
        originals.map((p) => p.id),
      );
      expect(got).toHaveLength(POINTS);
      for (const p of originals) {
        const stored = got.find((g) => g.id === p.id);
        expect(stored, p.id).toBeDefined();
        expect(stored!.vector).toEqual(Float32Array.from(p.vector));
        expect(stored!.metadata).toEqual(p.metadata);
      }
      expect(await client.get('docs', ['after-snapshot'])).toEqual([]);
      const hits = await client.search('docs', originals[7]!.vector, {
        k: 3,
        filter: { must: [{ key: 'parity', equals: 'odd' }] },
      });
      expect(hits[0]).toMatchObject({ id: 'p7', score: 0 });
      expect(hits.every((h) => (h.metadata?.['n'] as number) % 2 === 1)).toBe(true);

      const written = await client.upsert('docs', [
        { id: 'new-1', vector: [0.5, 0.5, 0.5, 0.5], metadata: { fresh: true } },
      ]);
      expect(written.logIndex).toBeGreaterThan(snapshotIndex);
      for (const address of addresses) {
        await waitFor(`${address} to apply ${written.logIndex}`, async () => {
          const s = await nodeStatus(address, 1_000);
          return s !== undefined && s.appliedIndex >= written.logIndex;
        });
        const one = new RaftvecClient([address], { consistency: 'eventual', deadlineMs: 5_000 });
        try {
          const [p] = await one.get('docs', ['new-1']);
          expect(p?.metadata, address).toEqual({ fresh: true });
          expect(await one.count('docs')).toBe(POINTS + 1);
        } finally {
          one.close();
        }
      }
      // A restored member restarts from what it stored since (log start + new entries).
      const f = ids.findIndex((id) => id !== leader.id);
      await nodes[f]!.kill('SIGTERM');
      nodes[f] = await procs.startNode({
        name: `${ids[f]!}-again`,
        dataDir: dirs[f]!,
        listen: addresses[f]!,
        args: ['--id', ids[f]!, '--peers', peers],
        env: SECRET_ENV,
      });
      const again = new RaftvecClient([addresses[f]!], {
        consistency: 'eventual',
        deadlineMs: 5_000,
      });
      try {
        expect(await again.count('docs')).toBe(POINTS + 1);
      } finally {
        again.close();
      }
      const second = await client.upsert('docs', [{ id: 'new-2', vector: [1, 2, 3, 4] }]);
      await waitFor(`${ids[f]!} to apply ${second.logIndex} after its restart`, async () => {
        const s = await nodeStatus(addresses[f]!, 1_000);
        return s !== undefined && s.appliedIndex >= second.logIndex;
      });
    } finally {
      client.close();
    }
    for (const n of nodes) await n.kill('SIGTERM');
  });

  it('refuses a damaged snapshot (one byte flipped), naming the file, and writes nothing', async () => {
    const damaged = join(await procs.tempDir('damaged'), String(snapshotIndex));
    await cp(backup, damaged, { recursive: true });
    const file = join(damaged, 'state.records');
    const bytes = await readFile(file);
    bytes[Math.floor(bytes.length / 2)]! ^= 0x01;
    await writeFile(file, bytes);
    const data = join(await procs.tempDir('damaged-target'), 'data');
    const r = await restore(damaged, data, 'r1', 'r1=127.0.0.1:1');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/state\.records is missing or damaged/);
    expect(r.stderr).toMatch(/refusing to restore/);
    expect(await readdir(data).catch(() => [])).toEqual([]);

    // Partial: an index file missing.
    const partial = join(await procs.tempDir('partial'), String(snapshotIndex));
    await cp(backup, partial, { recursive: true });
    const meta = JSON.parse(await readFile(join(partial, 'meta.json'), 'utf8')) as {
      files: Array<{ path: string }>;
    };
    const indexFile = meta.files.find((f) => f.path.startsWith('index/'))!;
    expect(indexFile).toBeDefined();
    await rm(join(partial, indexFile.path));
    const p = await restore(partial, data, 'r1', 'r1=127.0.0.1:1');
    expect(p.code).not.toBe(0);
    expect(p.stderr).toContain(`${indexFile.path} is missing or damaged`);
  });

  it('refuses a --data that already holds data, and a folder that is not a snapshot', async () => {
    const data = await procs.tempDir('not-empty');
    await mkdir(join(data, 'state'));
    await writeFile(join(data, 'state', 'CURRENT'), 'x');
    const r = await restore(backup, data, 'r1', 'r1=127.0.0.1:1');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/already holds data \(state\)/);
    expect(await readdir(data)).toEqual(['state']);

    const notSnapshot = await restore(join(backup, '..'), join(data, 'x'), 'r1', 'r1=127.0.0.1:1');
    expect(notSnapshot.code).toBe(2);
    expect(notSnapshot.stderr).toMatch(/is not a snapshot folder: it has no meta\.json/);
  });
});

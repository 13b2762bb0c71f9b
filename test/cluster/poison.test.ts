/**
 * A committed entry can never take a node down. Entries that no leader would
 * accept (a vector component FAISS refuses, a payload that is not a command) are
 * appended straight into every node's Raft log, bypassing validation, and
 * committed by the next leader. Every node must stay up, reject them the same
 * way, and agree on the applied index, the applied digest and the data.
 */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { nodeStatus } from '../../src/client/cluster-status.js';
import { encodeCommand } from '../../src/storage/command-codec.js';
import { RaftLogStore } from '../../src/raft/storage/raft-log-store.js';
import { TestCluster } from '../support/cluster.js';
import { ProcessGroup, assertBuilt, waitFor } from '../support/processes.js';

const procs = new ProcessGroup();
afterAll(() => procs.cleanup());

/** Appends entries after the last one of the log at `dir`, in the log's last term. */
async function appendRaw(dir: string, payloads: Uint8Array[]): Promise<number> {
  const store = await RaftLogStore.open(dir);
  try {
    const state = await store.load();
    const last = state.entries.at(-1)!;
    await store.persist(
      payloads.map((data, i) => ({
        index: last.index + 1 + i,
        term: last.term,
        type: 'normal' as const,
        data,
      })),
    );
    return last.index + payloads.length;
  } finally {
    await store.close();
  }
}

describe('poison entries in a three-node cluster', () => {
  it('are rejected alike on every node; all stay up and agree', async () => {
    assertBuilt();
    const cluster = await TestCluster.start(procs, 3);
    try {
      const client = cluster.client();
      await client.createCollection('c', { dimension: 2, metric: 'l2' });
      await client.upsert('c', [{ id: 'a', vector: [1, 2], metadata: { source: 'docA' } }]);
      // The API refuses the poison value itself, with INVALID_ARGUMENT.
      await expect(client.upsert('c', [{ id: 'x', vector: [1e16, 0] }])).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
      });
      client.close();
      const leader = await cluster.waitForLeader();
      for (const m of cluster.members) await cluster.waitForApplied(m.id, leader.commitIndex);

      // Stop every node, then write the poison into every log, as a buggy or hostile
      // leader would have replicated it.
      for (const m of cluster.members) await cluster.kill(m.id, 'SIGTERM');
      const poison = [
        encodeCommand({
          kind: 'upsert',
          collection: 'c',
          points: [{ id: 'x', vector: new Float32Array([1e16, 0]), metadata: {} }],
        }),
        Uint8Array.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]),
        encodeCommand({
          kind: 'createCollection',
          spec: { name: 'big', dimension: 4, metric: 'l2', indexSpec: 'HNSW65536' },
        }),
      ];
      let lastPoison = 0;
      for (const m of cluster.members)
        lastPoison = await appendRaw(join(m.dataDir, 'raft'), poison);
      await Promise.all(cluster.members.map((m) => cluster.startMember(m)));

      // A new leader commits its no-op, and with it the poison entries.
      const next = await cluster.waitForLeader();
      expect(next.commitIndex).toBeGreaterThan(lastPoison);
      const statuses = await waitFor('every node to apply past the poison', async () => {
        const all = await Promise.all(cluster.members.map((m) => cluster.status(m.id)));
        const done = all.every((s) => s !== undefined && s.appliedIndex === next.commitIndex);
        return done ? all : undefined;
      });
      for (const m of cluster.members) expect(m.process?.running).toBe(true);
      const digests = new Set(statuses.map((s) => s!.appliedDigest?.digest));
      expect(digests.size).toBe(1);

      // Same data everywhere: the poison left nothing behind, and writes go on.
      const after = cluster.client();
      expect(await after.listCollections()).toMatchObject([{ name: 'c', pointCount: 1 }]);
      await after.upsert('c', [{ id: 'b', vector: [3, 4] }]);
      const [hit] = (await after.search('c', [1, 2], { k: 1 })) as Array<{ id: string }>;
      expect(hit?.id).toBe('a');
      after.close();
      const final = await cluster.waitForLeader();
      const finalStatuses = await waitFor('every node to apply the new write', async () => {
        const all = await Promise.all(cluster.members.map((m) => cluster.status(m.id)));
        const done = all.every((s) => s !== undefined && s.appliedIndex >= final.commitIndex);
        return done ? all : undefined;
      });
      for (const m of cluster.members) expect(m.process?.running).toBe(true);
      // Compare at the lowest applied index, which every node remembers a digest for.
      const lowest = Math.min(...finalStatuses.map((s) => s!.appliedIndex));
      const samples = await Promise.all(
        cluster.members.map(
          async (m) => (await nodeStatus(m.address, 2_000, lowest))?.digestAt?.digest,
        ),
      );
      expect(samples.every((d) => d !== undefined && d === samples[0])).toBe(true);
    } finally {
      await cluster.close();
    }
  });
});

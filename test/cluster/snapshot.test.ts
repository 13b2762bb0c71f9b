/**
 * Snapshots in a real three-node cluster: the leader snapshots its state and
 * compacts its log as writes go on, so the log stays bounded; a follower that was
 * down while the entries it needs were compacted catches up by InstallSnapshot and
 * ends with the same state (same applied-entry digest) as the others.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { nodeStatus } from '../../src/client/cluster-status.js';
import { TEST_CLUSTER_SECRET, TestCluster } from '../support/cluster.js';
import { ProcessGroup, assertBuilt, runCli, waitFor } from '../support/processes.js';

const procs = new ProcessGroup();
afterAll(() => procs.cleanup());

const digestAt = async (address: string, index: number): Promise<string | undefined> =>
  (await nodeStatus(address, 2_000, index))?.digestAt?.digest;

describe('snapshots and log compaction', () => {
  it('a follower behind the compacted log catches up by snapshot, with the same state', async () => {
    assertBuilt();
    const cluster = await TestCluster.start(procs, 3, {
      serveArgs: ['--snapshot-threshold-entries', '40', '--snapshot-trailing-entries', '5'],
    });
    try {
      const client = cluster.client();
      await client.createCollection('docs', { dimension: 4, indexSpec: 'HNSW16' });
      const write = async (from: number, count: number): Promise<void> => {
        for (let i = from; i < from + count; i++)
          await client.upsert('docs', [
            { id: `p${i}`, vector: [i, i % 7, i % 3, 1], metadata: { n: i } },
          ]);
      };
      await write(0, 10);
      const leader = await cluster.waitForLeader();
      const lagging = cluster.members.find((m) => m.id !== leader.id)!;
      await cluster.kill(lagging.id, 'SIGKILL');

      // Enough writes for several snapshots, each compacting the leader's log.
      await write(10, 150);
      const compacted = await waitFor('the leader to compact its log', async () => {
        const s = await cluster.status(leader.id);
        return s !== undefined && s.snapshotIndex > 0 ? s : undefined;
      });
      expect(compacted.firstIndex).toBeGreaterThan(1);
      expect(compacted.lastIndex - compacted.firstIndex).toBeLessThan(100);

      await cluster.startMember(lagging);
      const target = (await cluster.status(leader.id))!.commitIndex;
      await cluster.waitForApplied(lagging.id, target, 60_000);
      expect(lagging.process!.stderr).toMatch(/installed snapshot \d+ from/);
      const caughtUp = (await cluster.status(lagging.id))!;
      expect(caughtUp.snapshotIndex).toBeGreaterThan(0);

      // Same state: equal digests at a common applied index, then after more writes.
      expect(await digestAt(lagging.address, target)).toBe(await digestAt(leader.address, target));
      await write(160, 5);
      const final = (await cluster.status(leader.id))!.commitIndex;
      for (const m of cluster.members) await cluster.waitForApplied(m.id, final);
      const digests = await Promise.all(cluster.members.map((m) => digestAt(m.address, final)));
      expect(new Set(digests).size).toBe(1);
      expect(digests[0]).toBeDefined();
      expect(await client.count('docs')).toBe(165);

      // On demand: `raftvec snapshot` needs the cluster secret, then compacts at once.
      const refused = await runCli(['--address', leader.address, 'snapshot'], {
        env: { RAFTVEC_CLUSTER_SECRET: 'not the secret' },
      });
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toMatch(/UNAUTHENTICATED/);
      const taken = await runCli(['--address', leader.address, 'snapshot'], {
        env: { RAFTVEC_CLUSTER_SECRET: TEST_CLUSTER_SECRET },
      });
      expect(taken.code, taken.stderr).toBe(0);
      const [reply] = JSON.parse(taken.stdout) as Array<{ index: number; firstIndex: number }>;
      expect(reply!.index).toBeGreaterThanOrEqual(final);
      expect((await cluster.status(leader.id))!.snapshotIndex).toBe(reply!.firstIndex - 1);
      client.close();
    } finally {
      await cluster.close();
    }
  });
});

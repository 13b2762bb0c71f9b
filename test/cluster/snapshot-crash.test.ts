/**
 * kill -9 during snapshot work: while the leader takes snapshots under a write load,
 * and while a follower receives and installs one. Every node comes back usable, no
 * acknowledged write is lost, and all replicas end with the same state.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { RaftvecClient } from '../../src/client/client.js';
import { nodeStatus } from '../../src/client/cluster-status.js';
import { TestCluster } from '../support/cluster.js';
import { ProcessGroup, assertBuilt, waitFor } from '../support/processes.js';

const procs = new ProcessGroup();
afterAll(() => procs.cleanup());

const DIM = 32;
const vector = (i: number): number[] =>
  Array.from({ length: DIM }, (_, d) => ((i * 31 + d) % 17) / 17);

/** Upserts batches until stopped; returns the ids that were acknowledged. */
function writer(client: RaftvecClient, prefix: string) {
  const acked: string[] = [];
  let stop = false;
  const done = (async () => {
    for (let b = 0; !stop; b++) {
      const points = Array.from({ length: 20 }, (_, i) => ({
        id: `${prefix}-${b}-${i}`,
        vector: vector(b * 20 + i),
        metadata: { b },
      }));
      try {
        await client.upsert('docs', points);
        acked.push(...points.map((p) => p.id));
      } catch {
        // Not acknowledged (the leader died): it may or may not have been applied.
      }
    }
  })();
  return {
    acked,
    stop: async () => {
      stop = true;
      await done;
    },
  };
}

async function sameState(cluster: TestCluster): Promise<void> {
  const leader = await cluster.waitForLeader(undefined, 60_000);
  for (const m of cluster.members) await cluster.waitForApplied(m.id, leader.commitIndex, 60_000);
  const digests = await Promise.all(
    cluster.members.map(
      async (m) => (await nodeStatus(m.address, 2_000, leader.commitIndex))?.digestAt?.digest,
    ),
  );
  expect(digests[0]).toBeDefined();
  expect(new Set(digests).size).toBe(1);
}

async function allPresent(client: RaftvecClient, ids: readonly string[]): Promise<void> {
  for (let i = 0; i < ids.length; i += 1_000) {
    const chunk = ids.slice(i, i + 1_000);
    const found = await client.get('docs', chunk, { withVector: false, withMetadata: false });
    expect(found.length, 'acknowledged writes present').toBe(chunk.length);
  }
}

describe('kill -9 during snapshot work', () => {
  it('while the leader takes snapshots under load, and while a follower installs one', async () => {
    assertBuilt();
    const cluster = await TestCluster.start(procs, 3, {
      serveArgs: ['--snapshot-threshold-entries', '15', '--snapshot-trailing-entries', '2'],
    });
    try {
      const client = cluster.client({ deadlineMs: 30_000, maxAttempts: 40 });
      await client.createCollection('docs', { dimension: DIM, indexSpec: 'HNSW16' });

      // 1. The leader is killed while it snapshots every 15 entries under a write load.
      const first = writer(client, 'a');
      const leader = await cluster.waitForLeader();
      const leaderProcess = cluster.member(leader.id).process!;
      await waitFor(
        'the leader to take snapshots',
        () => (leaderProcess.stderr.match(/took snapshot/g) ?? []).length >= 3,
      );
      await cluster.kill(leader.id, 'SIGKILL');
      await cluster.waitForLeader(
        cluster.running().map((m) => m.id),
        30_000,
      );
      await waitFor('writes to go on under the new leader', () => first.acked.length >= 400, {
        timeoutMs: 60_000,
      });
      await first.stop();
      await cluster.startMember(cluster.member(leader.id));
      await sameState(cluster);
      await allPresent(client, first.acked);

      // 2. A follower is killed while a snapshot is streamed to it or installed.
      const now = await cluster.waitForLeader();
      const follower = cluster.members.find((m) => m.id !== now.id)!;
      await cluster.kill(follower.id, 'SIGKILL');
      const second = writer(client, 'b');
      await waitFor('the log to move well past the follower', () => second.acked.length >= 600, {
        timeoutMs: 60_000,
      });
      await second.stop();
      const nowProcess = cluster.member(now.id).process!;
      const sendsBefore = (nowProcess.stderr.match(/sending snapshot/g) ?? []).length;
      await cluster.startMember(follower);
      await waitFor(
        'the leader to start sending a snapshot',
        () => (nowProcess.stderr.match(/sending snapshot/g) ?? []).length > sendsBefore,
      );
      await cluster.kill(follower.id, 'SIGKILL');
      await cluster.startMember(follower);
      await sameState(cluster);
      await allPresent(client, [...first.acked, ...second.acked]);
      client.close();
    } finally {
      await cluster.close();
    }
  });
});

/**
 * Real three-node clusters on loopback: kill -9 the leader during a stream of
 * writes; every acknowledged write (vector and metadata) must be on every node
 * afterwards, and the killed node must catch up from its own data directory.
 */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RaftvecClientError } from '../../src/client/errors.js';
import type { RaftvecClient } from '../../src/client/client.js';
import { VectorStateMachine } from '../../src/storage/state-machine.js';
import { TestCluster } from '../support/cluster.js';
import { ProcessGroup, waitFor } from '../support/processes.js';

const group = new ProcessGroup();
const clusters: TestCluster[] = [];
afterAll(async () => {
  await Promise.all(clusters.map((c) => c.close()));
  await group.cleanup();
});

const DIM = 8;
const vectorOf = (i: number): number[] =>
  Array.from({ length: DIM }, (_, j) => Math.fround(Math.sin(i * 7 + j)));

/** Writes points w0, w1, ... one at a time until stopped; records which were acknowledged. */
class Writer {
  readonly acked: number[] = [];
  readonly failed: string[] = [];
  private stopped = false;
  private readonly done: Promise<void>;

  constructor(private readonly client: RaftvecClient) {
    this.done = this.loop();
  }

  private async loop(): Promise<void> {
    for (let i = 0; !this.stopped; i++) {
      try {
        await this.client.upsert('docs', [
          { id: `w${i}`, vector: vectorOf(i), metadata: { i, source: `doc${i}` } },
        ]);
        this.acked.push(i);
      } catch (error) {
        this.failed.push(
          error instanceof RaftvecClientError ? `${error.code}: ${error.message}` : String(error),
        );
      }
    }
  }

  async waitForAcks(count: number): Promise<void> {
    const target = this.acked.length + count;
    await waitFor(
      `${count} more acknowledged writes (failures so far: ${this.failed.slice(-3).join(' | ')})`,
      () => this.acked.length >= target,
      {
        timeoutMs: 60_000,
      },
    );
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.done;
  }
}

/** Opens each member's state directly from disk and checks every acknowledged write. */
async function expectAllAckedOnDisk(cluster: TestCluster, acked: readonly number[]): Promise<void> {
  for (const member of cluster.members) {
    const stateMachine = await VectorStateMachine.open(join(member.dataDir, 'state'));
    try {
      const points = await stateMachine.get(
        'docs',
        acked.map((i) => `w${i}`),
        { withVector: true, withMetadata: true },
      );
      expect(
        points.map((p) => p.id),
        `acknowledged writes on ${member.id}`,
      ).toEqual(acked.map((i) => `w${i}`));
      for (const point of points) {
        const i = Number(point.id.slice(1));
        expect(Array.from(point.vector ?? []), `vector of ${point.id} on ${member.id}`).toEqual(
          vectorOf(i),
        );
        expect(point.metadata, `metadata of ${point.id} on ${member.id}`).toEqual({
          i,
          source: `doc${i}`,
        });
      }
    } finally {
      await stateMachine.close();
    }
  }
}

describe('a three-node cluster of real processes', () => {
  it('survives kill -9 of the leader during writes and loses no acknowledged write', async () => {
    const cluster = await TestCluster.start(group, 3);
    clusters.push(cluster);
    const first = await cluster.waitForLeader();
    const client = cluster.client();
    await client.createCollection('docs', { dimension: DIM });

    const writer = new Writer(client);
    await writer.waitForAcks(30);
    await cluster.kill(first.id, 'SIGKILL');
    const survivors = cluster.members.filter((m) => m.id !== first.id).map((m) => m.id);
    const second = await cluster.waitForLeader(survivors);
    expect(second.id).not.toBe(first.id);
    expect(second.term).toBeGreaterThan(first.term);
    await writer.waitForAcks(30);

    // Kill -9 a follower too: acknowledged writes are on the new leader's disk and one other's.
    const follower = survivors.find((id) => id !== second.id)!;
    await cluster.kill(follower, 'SIGKILL');
    await cluster.startMember(cluster.member(follower));
    await writer.waitForAcks(20);
    await writer.stop();

    // Every acknowledged write is readable through the cluster, with its metadata.
    const acked = writer.acked;
    const read = await client.get(
      'docs',
      acked.map((i) => `w${i}`),
      { withMetadata: true, withVector: false },
    );
    expect(read.map((p) => p.id)).toEqual(acked.map((i) => `w${i}`));
    const hits = await client.search('docs', vectorOf(acked[0]!), { k: 1 });
    expect(hits[0]?.id).toBe(`w${acked[0]}`);

    // The killed leader restarts on its data and catches up.
    await cluster.startMember(cluster.member(first.id));
    const leaderNow = await cluster.waitForLeader();
    for (const member of cluster.members)
      await cluster.waitForApplied(member.id, leaderNow.commitIndex);
    const restarted = await cluster.status(first.id);
    expect(restarted?.term).toBeGreaterThanOrEqual(second.term);
    client.close();

    for (const member of cluster.members) await cluster.kill(member.id, 'SIGTERM');
    await expectAllAckedOnDisk(cluster, acked);
  });

  it('never acknowledges a write on a follower: UNAVAILABLE with the leader address', async () => {
    const cluster = await TestCluster.start(group, 3);
    clusters.push(cluster);
    const leader = await cluster.waitForLeader();
    const follower = cluster.members.find((m) => m.id !== leader.id)!;
    const direct = cluster.client({ addresses: [follower.address], maxAttempts: 1 });
    try {
      await direct.createCollection('docs', { dimension: 3 });
      expect.unreachable('a follower acknowledged a write');
    } catch (error) {
      expect(error).toBeInstanceOf(RaftvecClientError);
      const e = error as RaftvecClientError;
      expect(e.code).toBe('UNAVAILABLE');
      expect(e.details['leader-address']).toBe(cluster.member(leader.id).address);
      expect(e.message).toContain(leader.id);
      // Judged by leadership before local state: not NOT_FOUND for an unknown collection.
      const unknown = await direct.upsert('nowhere', [{ id: 'a', vector: [1, 2, 3] }]).then(
        () => undefined,
        (e: unknown) => e as RaftvecClientError,
      );
      expect(unknown?.code).toBe('UNAVAILABLE');
      expect(unknown?.details['leader-address']).toBe(cluster.member(leader.id).address);
    } finally {
      direct.close();
    }
    // Following the hint, the same write succeeds.
    const following = cluster.client();
    await following.createCollection('docs', { dimension: 3 });
    expect((await following.listCollections()).map((c) => c.name)).toEqual(['docs']);
    following.close();
  });
});

describe('a five-node cluster of real processes', () => {
  it('keeps accepting writes with two nodes killed, and loses none', async () => {
    const cluster = await TestCluster.start(group, 5);
    clusters.push(cluster);
    const leader = await cluster.waitForLeader();
    const client = cluster.client();
    await client.createCollection('docs', { dimension: DIM });
    const writer = new Writer(client);
    await writer.waitForAcks(20);
    const follower = cluster.members.find((m) => m.id !== leader.id)!;
    await cluster.kill(leader.id, 'SIGKILL');
    await cluster.kill(follower.id, 'SIGKILL');
    await cluster.waitForLeader();
    await writer.waitForAcks(20);
    await writer.stop();

    await cluster.startMember(cluster.member(leader.id));
    await cluster.startMember(cluster.member(follower.id));
    const now = await cluster.waitForLeader();
    for (const member of cluster.members) await cluster.waitForApplied(member.id, now.commitIndex);
    client.close();
    for (const member of cluster.members) await cluster.kill(member.id, 'SIGTERM');
    await expectAllAckedOnDisk(cluster, writer.acked);
  });
});

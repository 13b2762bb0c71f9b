/**
 * Network partitions of real processes (every peer link goes through a TCP proxy the
 * test can cut): an isolated leader must not acknowledge writes, and peer calls
 * without the cluster secret are refused.
 */
import * as grpc from '@grpc/grpc-js';
import { afterAll, describe, expect, it } from 'vitest';
import { RaftvecClientError } from '../../src/client/errors.js';
import {
  CLUSTER_SECRET_HEADER,
  raftPeerServiceDefinition,
} from '../../src/raft/runtime/peer-transport.js';
import { TestCluster } from '../support/cluster.js';
import { ProcessGroup } from '../support/processes.js';

const group = new ProcessGroup();
const clusters: TestCluster[] = [];
afterAll(async () => {
  await Promise.all(clusters.map((c) => c.close()));
  await group.cleanup();
});

describe('a partitioned leader', () => {
  it('cannot acknowledge writes; the majority side elects a leader and its writes survive the heal', async () => {
    const cluster = await TestCluster.start(group, 3, { proxied: true });
    clusters.push(cluster);
    const old = await cluster.waitForLeader();
    const setup = cluster.client();
    await setup.createCollection('docs', { dimension: 2 });
    await setup.upsert('docs', [{ id: 'before', vector: [1, 0] }]);
    setup.close();

    cluster.isolate(old.id);
    // A client that can reach only the old leader: its write must never be acknowledged.
    const stranded = cluster.client({
      addresses: [cluster.member(old.id).address],
      deadlineMs: 3_000,
      maxAttempts: 1,
    });
    const outcome = await stranded.upsert('docs', [{ id: 'stranded', vector: [0, 1] }]).then(
      () => 'acknowledged',
      (error: unknown) => (error instanceof RaftvecClientError ? error.code : String(error)),
    );
    expect(outcome).not.toBe('acknowledged');
    expect(['DEADLINE_EXCEEDED', 'UNAVAILABLE']).toContain(outcome);
    stranded.close();

    const majority = cluster.members.filter((m) => m.id !== old.id);
    const fresh = await cluster.waitForLeader(majority.map((m) => m.id));
    expect(fresh.term).toBeGreaterThan(old.term);
    const majorityClient = cluster.client({ addresses: majority.map((m) => m.address) });
    await majorityClient.upsert('docs', [{ id: 'after', vector: [0.5, 0.5] }]);

    // No stale read from the deposed leader: it cannot confirm its leadership (ReadIndex),
    // so a read there fails instead of answering without the majority's newer write.
    const staleReader = cluster.client({
      addresses: [cluster.member(old.id).address],
      deadlineMs: 2_000,
      maxAttempts: 1,
    });
    const read = await staleReader.get('docs', ['before', 'after']).then(
      (points) => `served ${JSON.stringify(points.map((p) => p.id))}`,
      (error: unknown) => (error instanceof RaftvecClientError ? error.code : String(error)),
    );
    expect(['DEADLINE_EXCEEDED', 'UNAVAILABLE']).toContain(read);
    staleReader.close();

    // The old leader, still cut off, has stepped down (check-quorum) or lost its lease on writes.
    const oldNow = await cluster.status(old.id);
    expect(oldNow?.role === 'leader' && oldNow.term === fresh.term).toBe(false);

    cluster.heal();
    const healed = await cluster.waitForLeader();
    for (const member of cluster.members)
      await cluster.waitForApplied(member.id, healed.commitIndex);
    const ids = (await majorityClient.scroll('docs', { limit: 10 })).points.map((p) => p.id);
    expect(ids).toEqual(['after', 'before']);
    majorityClient.close();
  });
});

describe('the peer API', () => {
  it('refuses a caller without the cluster secret, or with a wrong one', async () => {
    const cluster = await TestCluster.start(group, 1);
    clusters.push(cluster);
    const Client = grpc.makeGenericClientConstructor(raftPeerServiceDefinition(), 'RaftPeer');
    const client = new Client(cluster.members[0]!.address, grpc.credentials.createInsecure());
    const attempt = (secret: string | undefined): Promise<grpc.ServiceError | null> =>
      new Promise((resolve) => {
        const metadata = new grpc.Metadata();
        if (secret !== undefined) metadata.set(CLUSTER_SECRET_HEADER, secret);
        const call = client.makeClientStreamRequest(
          '/raftvec.v1.RaftPeer/Deliver',
          (m: object) => raftPeerServiceDefinition()['Deliver']!.requestSerialize(m),
          () => ({}),
          metadata,
          (error) => resolve(error),
        );
        call.write({
          from: 'intruder',
          to: 'n1',
          term: 99,
          heartbeat: { commit: 0, readContext: 0 },
        });
        call.end();
      });
    expect((await attempt(undefined))?.code).toBe(grpc.status.UNAUTHENTICATED);
    expect((await attempt('wrong'))?.code).toBe(grpc.status.UNAUTHENTICATED);
    client.close();
    // The intruder's term-99 message was not delivered: the node's term is unchanged.
    const status = await cluster.status('n1');
    expect(status?.term).toBeLessThan(99);
  });
});

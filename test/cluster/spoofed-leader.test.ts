/**
 * Real processes: a caller on the peer API cannot make one replica apply an entry
 * the others do not have, whether it forges a key, replays the raw cluster secret,
 * uses one node's credentials to speak as the leader, or speaks as a second leader
 * of the term; and a heartbeat carrying a commit index beyond the follower's log
 * does not kill it. The follower stays up, its log and data stay the cluster's, and
 * it logs every rejection.
 *
 * Also: `raftvec serve --cluster-secret-file` (one member of the cluster reads the
 * secret from a file, with a trailing newline, the others from the environment).
 */
import { join } from 'node:path';
import { writeFile } from 'node:fs/promises';
import * as grpc from '@grpc/grpc-js';
import { afterAll, describe, expect, it } from 'vitest';
import type { NodeStatus } from '../../src/client/cluster-status.js';
import type { WireRaftMessage } from '../../src/raft/runtime/message-codec.js';
import {
  CLUSTER_SECRET_HEADER,
  PEER_ID_HEADER,
  PEER_KEY_HEADER,
  peerKey,
} from '../../src/raft/runtime/peer-transport.js';
import { encodeCommand } from '../../src/storage/command-codec.js';
import { VectorStateMachine } from '../../src/storage/state-machine.js';
import { TEST_CLUSTER_SECRET, TestCluster } from '../support/cluster.js';
import { ProcessGroup, runCli, waitFor } from '../support/processes.js';
import { deliverAsPeer } from '../support/peer-stream.js';

const group = new ProcessGroup();
const clusters: TestCluster[] = [];
afterAll(async () => {
  await Promise.all(clusters.map((c) => c.close()));
  await group.cleanup();
});

const deliver = deliverAsPeer;

const credentialsOf = (id: string, secret = TEST_CLUSTER_SECRET): Record<string, string> => ({
  [PEER_ID_HEADER]: id,
  [PEER_KEY_HEADER]: peerKey(secret, id),
});

/** Every member's status once all agree on term, leader and an idle, fully applied log. */
async function quiescent(cluster: TestCluster): Promise<NodeStatus[]> {
  return waitFor(
    'every member to agree on term, leader and last, commit and applied index',
    async () => {
      const all = await Promise.all(cluster.members.map((m) => cluster.status(m.id)));
      const first = all[0];
      if (first === undefined || first.leaderId === '') return undefined;
      const same = all.every(
        (s) =>
          s !== undefined &&
          s.term === first.term &&
          s.leaderId === first.leaderId &&
          s.lastIndex === first.lastIndex &&
          s.commitIndex === first.lastIndex &&
          s.appliedIndex === first.lastIndex,
      );
      return same ? (all as NodeStatus[]) : undefined;
    },
    { timeoutMs: 30_000 },
  );
}

describe('a peer that claims to be the leader', () => {
  it('cannot make a follower append or apply an entry the others do not have', async () => {
    const cluster = await TestCluster.start(group, 3, { secretFileFor: ['n1'] });
    clusters.push(cluster);
    const client = cluster.client();
    await client.createCollection('docs', { dimension: 2 });
    await client.upsert('docs', [{ id: 'a', vector: [1, 0], metadata: { source: 'real' } }]);

    const settled = await quiescent(cluster);
    const { term, lastIndex: last, leaderId: leader } = settled[0]!;
    const [victim, other] = cluster.members.filter((m) => m.id !== leader);
    if (victim === undefined || other === undefined) throw new Error('expected two followers');

    // The leader commits only entries of its own term, so the last (committed) entry is of `term`:
    // prevLogTerm below matches the follower's log, and a follower that trusted the
    // sender would append (and, with leaderCommit, apply) the forged entry.
    const forged = (from: string): WireRaftMessage => ({
      from,
      to: victim.id,
      term,
      appendEntries: {
        prevLogIndex: last,
        prevLogTerm: term,
        leaderCommit: last + 1,
        entries: [
          {
            index: last + 1,
            term,
            type: 'ENTRY_TYPE_NORMAL',
            data: encodeCommand({
              kind: 'upsert',
              collection: 'docs',
              points: [{ id: 'evil', vector: new Float32Array([0, 1]), metadata: {} }],
            }),
          },
        ],
      },
    });
    const address = victim.address;

    // 1. The leader's id with a key forged without the secret: refused.
    const forgedKey = await deliver(address, credentialsOf(leader, 'guessed'), [forged(leader)]);
    expect(forgedKey?.code).toBe(grpc.status.UNAUTHENTICATED);
    // 2. The raw cluster secret, as earlier versions sent it: refused, it no longer travels.
    const rawSecret = await deliver(address, { [CLUSTER_SECRET_HEADER]: TEST_CLUSTER_SECRET }, [
      forged(leader),
    ]);
    expect(rawSecret?.code).toBe(grpc.status.UNAUTHENTICATED);
    // 3. Another node's real credentials, speaking as the leader: the stream is accepted,
    //    the message dropped.
    expect(await deliver(address, credentialsOf(other.id), [forged(leader)])).toBeNull();
    // 4. That node speaking as itself, i.e. as a second leader of the term: dropped by Raft.
    expect(await deliver(address, credentialsOf(other.id), [forged(other.id)])).toBeNull();
    // 5. The leader's own identity (whoever holds the secret can derive its key) with a
    //    heartbeat whose commit lies beyond the follower's log: dropped, not fatal.
    const beyond: WireRaftMessage = {
      from: leader,
      to: victim.id,
      term,
      heartbeat: { commit: last + 100, readContext: 0 },
    };
    expect(await deliver(address, credentialsOf(leader), [beyond])).toBeNull();

    const proc = victim.process!;
    await waitFor(
      `${victim.id} to log every rejection`,
      () =>
        /refused a peer call/.test(proc.stderr) &&
        new RegExp(`claims to be from ${leader}, but the stream authenticated as ${other.id}`).test(
          proc.stderr,
        ) &&
        new RegExp(
          `rejected AppendEntries from ${other.id} .*follows ${leader} in term ${term}`,
        ).test(proc.stderr) &&
        new RegExp(
          `rejected Heartbeat from ${leader} .*heartbeat commit ${last + 100} beyond`,
        ).test(proc.stderr),
      { timeoutMs: 10_000 },
    ).catch((error: unknown) => {
      throw new Error(`${String(error)}\n${proc.describe()}`);
    });

    expect(proc.running).toBe(true);
    expect(proc.stderr).not.toMatch(/FATAL/);
    // Nothing moved: not the victim's log, not anyone's commit or applied index.
    const after = await quiescent(cluster);
    expect(after.map((s) => [s.id, s.term, s.leaderId, s.lastIndex, s.appliedIndex])).toEqual(
      settled.map((s) => [s.id, term, leader, last, last]),
    );

    // The leader's next write takes index last + 1 everywhere; had the victim kept the
    // forged entry there (same index and term), it would have applied that instead.
    await client.upsert('docs', [{ id: 'b', vector: [0, 1], metadata: { source: 'real' } }]);
    const final = await quiescent(cluster);
    expect(final[0]!.lastIndex).toBe(last + 1);
    const points = await client.get('docs', ['a', 'b', 'evil']);
    expect(points.map((p) => p.id)).toEqual(['a', 'b']);
    client.close();

    // The victim's own data, read from its disk after a clean stop.
    await proc.kill('SIGTERM');
    const stateMachine = await VectorStateMachine.open(join(victim.dataDir, 'state'));
    try {
      expect(stateMachine.appliedIndex).toBe(last + 1);
      const stored = await stateMachine.get('docs', ['a', 'b', 'evil'], {
        withVector: true,
        withMetadata: true,
      });
      expect(stored.map((p) => [p.id, [...(p.vector ?? [])], p.metadata])).toEqual([
        ['a', [1, 0], { source: 'real' }],
        ['b', [0, 1], { source: 'real' }],
      ]);
    } finally {
      await stateMachine.close();
    }
  }, 120_000);
});

describe('raftvec serve --cluster-secret-file', () => {
  it('refuses an empty file, and a secret given both ways', async () => {
    const dir = await group.tempDir('secret-file');
    const empty = join(dir, 'empty');
    await writeFile(empty, '\n', { mode: 0o600 });
    const serve = ['serve', '--data', join(dir, 'data'), '--listen', '127.0.0.1:0'];
    const emptyRun = await runCli([...serve, '--cluster-secret-file', empty]);
    expect(emptyRun.code).toBe(2);
    expect(emptyRun.stderr).toMatch(/--cluster-secret-file .*empty: write the cluster secret/);
    const missing = await runCli([...serve, '--cluster-secret-file', join(dir, 'missing')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/cannot read it/);
    const both = await runCli([...serve, '--cluster-secret', 's', '--cluster-secret-file', empty]);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/either --cluster-secret or --cluster-secret-file/);
  });
});

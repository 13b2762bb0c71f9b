/**
 * Leadership transfer (TimeoutNow, thesis §3.10) with real processes: on request
 * (`raftvec leader transfer`), and on SIGTERM of the leader, under a stream of writes
 * that must all survive.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { RaftvecClient } from '../../src/client/client.js';
import { TestCluster, TEST_CLUSTER_SECRET } from '../support/cluster.js';
import { writeStream } from '../support/write-stream.js';
import { ProcessGroup, runCli, waitFor } from '../support/processes.js';

const group = new ProcessGroup();
const clusters: TestCluster[] = [];
afterAll(async () => {
  await Promise.all(clusters.map((c) => c.close()));
  await group.cleanup();
});

describe('leadership transfer', () => {
  it('raftvec leader transfer --to hands leadership over in the next term; writes go on and none is lost', async () => {
    const cluster = await TestCluster.start(group, 3);
    clusters.push(cluster);
    const old = await cluster.waitForLeader();
    const client = new RaftvecClient(cluster.addresses, {
      deadlineMs: 20_000,
      retry: { maxAttempts: 30, initialBackoffMs: 10, maxBackoffMs: 200 },
    });
    await client.createCollection('docs', { dimension: 2 });
    const writes = writeStream(client);
    await waitFor('some writes', async () =>
      (await client.count('docs')) > 20 ? true : undefined,
    );
    const target = cluster.members.find((m) => m.id !== old.id)!.id;
    const r = await runCli(
      ['--address', cluster.addresses.join(','), 'leader', 'transfer', '--to', target],
      {
        env: { RAFTVEC_CLUSTER_SECRET: TEST_CLUSTER_SECRET },
      },
    );
    expect(r.code, r.stderr).toBe(0);
    const done = JSON.parse(r.stdout) as { from: string; to: string; term: number };
    expect(done).toMatchObject({ from: old.id, to: target });
    const fresh = await cluster.waitForLeader();
    expect(fresh.id).toBe(target);
    // TimeoutNow makes the target campaign at once: one term, no election lost to timeouts.
    expect(fresh.term).toBe(old.term + 1);
    const before = await client.count('docs');
    await waitFor('writes at the new leader', async () =>
      (await client.count('docs')) > before + 20 ? true : undefined,
    );
    const acked = await writes.stop();
    expect(await client.count('docs')).toBe(acked.length);
    const back = await client.get('docs', acked, { withVector: false, withMetadata: false });
    expect(back.map((p) => p.id)).toEqual(acked);
    client.close();
  }, 90_000);

  it('refuses a transfer to a node that is not a voter, and without the cluster secret', async () => {
    const cluster = clusters[0]!;
    const r = await runCli(
      ['--address', cluster.addresses.join(','), 'leader', 'transfer', '--to', 'n9'],
      {
        env: { RAFTVEC_CLUSTER_SECRET: TEST_CLUSTER_SECRET },
      },
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/FAILED_PRECONDITION: .*n9 is not a voter/);
    const noSecret = await runCli(
      ['--address', cluster.addresses.join(','), 'leader', 'transfer'],
      {
        env: { RAFTVEC_CLUSTER_SECRET: '' },
      },
    );
    expect(noSecret.code).toBe(2);
    expect(noSecret.stderr).toMatch(/needs the cluster secret/);
    const wrong = await runCli(['--address', cluster.addresses.join(','), 'leader', 'transfer'], {
      env: { RAFTVEC_CLUSTER_SECRET: 'not-the-secret' },
    });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/UNAUTHENTICATED/);
  }, 30_000);

  it('a leader stopped with SIGTERM hands leadership over first: the next term, and every write survives', async () => {
    const cluster = await TestCluster.start(group, 3);
    clusters.push(cluster);
    const old = await cluster.waitForLeader();
    const client = new RaftvecClient(cluster.addresses, {
      deadlineMs: 20_000,
      retry: { maxAttempts: 30, initialBackoffMs: 10, maxBackoffMs: 200 },
    });
    await client.createCollection('docs', { dimension: 2 });
    const writes = writeStream(client);
    await waitFor('some writes', async () =>
      (await client.count('docs')) > 20 ? true : undefined,
    );
    const exit = await cluster.member(old.id).process!.kill('SIGTERM');
    expect(exit).toEqual({ code: 0, signal: null });
    expect(cluster.member(old.id).process!.stderr).toMatch(
      new RegExp(`${old.id}: handed leadership to n\\d in \\d+ ms before stopping`),
    );
    const fresh = await cluster.waitForLeader(cluster.running().map((m) => m.id));
    expect(fresh.term).toBe(old.term + 1);
    const before = await client.count('docs');
    await waitFor('writes at the new leader', async () =>
      (await client.count('docs')) > before + 20 ? true : undefined,
    );
    const acked = await writes.stop();
    expect(await client.count('docs')).toBe(acked.length);
    client.close();
  }, 90_000);

  it('a rolling restart of all three nodes under writes and reads loses nothing, and each leader change takes one term', async () => {
    const cluster = await TestCluster.start(group, 3);
    clusters.push(cluster);
    const client = new RaftvecClient(cluster.addresses, {
      deadlineMs: 20_000,
      retry: { maxAttempts: 50, initialBackoffMs: 10, maxBackoffMs: 200 },
    });
    await client.createCollection('docs', { dimension: 2 });
    const writes = writeStream(client);
    const reader = new RaftvecClient(cluster.addresses, {
      deadlineMs: 20_000,
      retry: { maxAttempts: 50, initialBackoffMs: 10, maxBackoffMs: 200 },
    });
    let reading = true;
    let reads = 0;
    const readLoop = (async () => {
      while (reading) {
        await reader.count('docs');
        reads++;
      }
    })();
    // Each restart takes the node that leads at the time: the handover is what is tested.
    for (let round = 0; round < 3; round++) {
      const old = await cluster.waitForLeader();
      const member = cluster.member(old.id);
      const exit = await member.process!.kill('SIGTERM');
      expect(exit).toEqual({ code: 0, signal: null });
      expect(member.process!.stderr).toMatch(new RegExp(`${old.id}: handed leadership to`));
      const fresh = await cluster.waitForLeader(cluster.running().map((m) => m.id));
      expect(fresh.term, `round ${round}: the transferee won the next term`).toBe(old.term + 1);
      await cluster.startMember(member);
      await cluster.waitForApplied(member.id, (await cluster.status(fresh.id))!.commitIndex);
    }
    const acked = await writes.stop();
    reading = false;
    await readLoop;
    expect(reads).toBeGreaterThan(0);
    expect(await client.count('docs')).toBe(acked.length);
    const back = await client.get('docs', acked, { withVector: false, withMetadata: false });
    expect(back).toHaveLength(acked.length);
    client.close();
    reader.close();
  }, 120_000);
});
